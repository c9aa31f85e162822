"""Small PDF documents (fpdf2, pure Python): a title, a subtitle, one table, page numbers.

Shared by the reports (language overview) and the allowance statements. Text is Unicode when a
DejaVu font is installed (Debian: fonts-dejavu-core); otherwise the PDF core font Helvetica is used
with Windows-1252, which still covers German umlauts, ß and €, and other characters become "?".

    from pool.pdf import table_pdf
    data = table_pdf("Sprachen im Pool", "Stand: 3. März 2027", ["Sprache", "Anzahl"],
                     [["Arabisch", "3"], ["Türkisch", "weniger als 3"]])
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from pool.i18n import gettext as _

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FALLBACK_ENCODING = "windows-1252"


def _font_dir() -> Path | None:
    for directory in FONT_DIRS:
        if all((directory / name).is_file() for name in FONT_FILES.values()):
            return directory
    return None


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        font_dir = _font_dir()
        if font_dir is not None:
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(font_dir / name))
            self.font_name = "DejaVu"
        else:
            self.core_fonts_encoding = FALLBACK_ENCODING
            self.font_name = "Helvetica"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def text_for_font(self, text: str) -> str:
        """The text as the font can show it (core fonts: unknown characters become "?")."""
        if self.font_name == "DejaVu":
            return text
        return text.encode(FALLBACK_ENCODING, "replace").decode(FALLBACK_ENCODING)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.font_name, "", 8)
        self.cell(0, 5, self.text_for_font(self.footer_text % {"page": self.page_no()}), align="C")


def table_pdf(title: str, subtitle: str, headers: list[str], rows: list[list[str]]) -> bytes:
    """An A4 document: ``title`` (bold), ``subtitle`` (a line below it, may be empty), then a
    table with the ``headers`` row repeated on every page and one line per row of ``rows``
    (strings; the columns share the width equally). Every page shows "Seite N von M"."""
    doc = _Document(_("Seite %(page)s von {nb}"))
    doc.set_title(title)
    doc.add_page()
    doc.set_font(doc.font_name, "B", 16)
    doc.multi_cell(0, 8, doc.text_for_font(title), new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        doc.set_font(doc.font_name, "", 10)
        doc.multi_cell(0, 6, doc.text_for_font(subtitle), new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font(doc.font_name, "", 10)
    with doc.table(
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        line_height=6,
        text_align="LEFT",
    ) as table:
        for values in [headers, *rows]:
            row = table.row()
            for value in values:
                row.cell(doc.text_for_font(str(value)))
    return bytes(doc.output())

"""Files the pages offer for download: CSV as German Excel opens it, and the response."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response


def csv_cell(value) -> str:
    """Text for a CSV cell; a leading = + - @ would start a formula in a spreadsheet."""
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    if text[:1] in ("=", "+", "-", "@", "\t"):
        text = "'" + text
    return text


def csv_writer(out: io.StringIO):
    """Semicolon-separated with CRLF, as German Excel expects."""
    return csv.writer(out, delimiter=";", lineterminator="\r\n")


def csv_text(headers: Iterable, rows: Iterable[Iterable]) -> str:
    """A whole CSV file with a byte order mark (Excel then reads UTF-8)."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(csv_cell(v) for v in headers)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return "\ufeff" + out.getvalue()


def download(data: str | bytes, filename: str, mimetype: str) -> Response:
    """An attachment; ``filename`` must not carry personal data (it ends up in logs).

    ``mimetype`` without parameters: text is always sent as UTF-8, and says so once."""
    mimetype = mimetype.split(";")[0].strip()
    content_type = f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )

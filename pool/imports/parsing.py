"""Reading mediator lists from CSV and XLSX files, guessing the column mapping and checking rows.

Pure: no database and no Flask request. Problems are codes with parameters (``Problem``); the
texts are looked up when a page shows them, so they follow the reader's language.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache

from email_validator import EmailNotValidError, validate_email

from pool.enums import Gender, Level, MediatorKind, Mode
from pool.forms import FORBIDDEN_CHARACTERS
from pool.i18n import lazy_gettext as _l
from pool.languages import LANGUAGES, language_name
from pool.models.mediators import GERMAN_LEVELS, LEVELS

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
MAX_CELL = 2000
# Guards against files that unpack to far more than they weigh.
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_TOTAL_CHARACTERS = 40_000_000
HEADER_SEARCH_ROWS = 10
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")


class FileProblem(Exception):
    """The file cannot be read at all; ``message`` says why in plain words."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class ParsedFile:
    file_type: str  # "csv" or "xlsx"
    header_line: int
    headers: list[str]
    # Non-empty rows after the header: (line number in the file, cells).
    rows: list[tuple[int, list[str]]]


# --- reading --------------------------------------------------------------------------------------


def read_file(filename: str, data: bytes) -> ParsedFile:
    """Read an uploaded file by its content (and name); raise FileProblem if that is impossible."""
    name = (filename or "").strip().lower()
    if not data:
        raise FileProblem(_l("Die Datei ist leer."))
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(_l("Die Datei ist größer als 5 MB. Bitte teilen Sie sie auf."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            _l(
                "Alte Excel-Dateien (.xls) können wir nicht lesen. Bitte speichern Sie die Datei "
                "in Excel als „Excel-Arbeitsmappe (.xlsx)“ oder als „CSV UTF-8“."
            )
        )
    if data.startswith(b"PK\x03\x04"):
        if name.endswith(CSV_EXTENSIONS):
            raise FileProblem(_unsupported())
        return _tidy("xlsx", _read_xlsx(data))
    if name.endswith(CSV_EXTENSIONS):
        if _looks_binary(data):
            raise FileProblem(
                _l(
                    "Diese Datei endet auf .csv, enthält aber keinen Text, sondern Binärdaten "
                    "(zum Beispiel ein Bild oder eine umbenannte Excel-Datei). Bitte speichern Sie "
                    "die Tabelle in Excel mit „Speichern unter“ als „CSV (Trennzeichen-getrennt)“ "
                    "oder laden Sie die Excel-Datei (.xlsx) hoch."
                )
            )
        return _tidy("csv", _read_csv(data))
    raise FileProblem(_unsupported())


def _unsupported():
    return _l(
        "Diese Datei können wir nicht lesen. Bitte laden Sie eine CSV-Datei (.csv) oder eine "
        "Excel-Datei (.xlsx) hoch."
    )


# Bytes no text file holds: control characters other than tab, line feed, form feed and
# carriage return (in UTF-8 and Windows-1252 alike).
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])


def _looks_binary(data: bytes) -> bool:
    """More than one byte in a hundred a control character: a text file has none or a stray one
    (random bytes have one in ten)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return controls > max(2, len(data) // 100)


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 (Excel's "CSV" in Germany)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_delimiter(text: str) -> str:
    """``;``, tab or ``,``: the one that splits the first lines into the most regular columns."""
    lines = [line for line in text.splitlines()[:60] if line.strip()][:30]
    sample = "\n".join(lines)
    best, best_score = ";", (False, 0.0, 0)
    for delimiter in (";", "\t", ","):
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        mode, times = Counter(counts).most_common(1)[0]
        score = (mode > 1, times / len(counts) if mode > 1 else 0.0, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    text = decode(data)
    delimiter = detect_delimiter(text)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, row in enumerate(reader, start=1):
            rows.append((line, row))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1000 and _too_many(rows):
                break
    except csv.Error as exc:
        raise FileProblem(
            _l(
                "Die Datei ist keine lesbare CSV-Datei (Zeile %(line)s). Bitte speichern Sie sie "
                "noch einmal als „CSV UTF-8“.",
                line=line + 1,
            )
        ) from exc
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list]]:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileProblem(_unsupported()) from exc
    if "xl/workbook.xml" not in names:
        raise FileProblem(_unsupported())
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileProblem(_l("Die Datei ist zu groß. Bitte teilen Sie sie auf."))
    rows: list[tuple[int, list]] = []
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any broken workbook is one plain message
        raise FileProblem(_unsupported()) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem(_l("Die Datei ist leer."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write wrong dimensions
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((line, list(values)))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1000 and _too_many(rows):
                break
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001
        raise FileProblem(_unsupported()) from exc
    finally:
        workbook.close()
    return rows


def _too_many(rows) -> bool:
    return sum(1 for _line, cells in rows if any(_cell(c) for c in cells)) > MAX_ROWS + 1


def _cell(value) -> str:
    """A cell as text: dates as 31.12.2024, whole numbers without ``.0``; at most MAX_CELL + 1
    characters (one more than allowed, so the check can tell it was too long)."""
    if value is None:
        text = ""
    elif isinstance(value, datetime):
        text = (
            value.strftime("%d.%m.%Y")
            if value.time() == time(0)
            else value.strftime("%d.%m.%Y %H:%M")
        )
    elif isinstance(value, date):
        text = value.strftime("%d.%m.%Y")
    elif isinstance(value, time):
        text = value.strftime("%H:%M")
    elif isinstance(value, bool):
        text = "ja" if value else "nein"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    else:
        text = str(value)
    return text.strip()[: MAX_CELL + 1]


def _tidy(file_type: str, raw: list[tuple[int, list]]) -> ParsedFile:
    """Find the header row, drop empty rows and trailing empty cells, check the limits."""
    rows = []
    total = 0
    for line, values in raw:
        cells = [_cell(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(_l("Die Datei hat mehr als %(max)s Spalten.", max=MAX_COLUMNS))
        total += sum(len(c) for c in cells)
        if total > MAX_TOTAL_CHARACTERS:
            raise FileProblem(_l("Die Datei ist zu groß. Bitte teilen Sie sie auf."))
        rows.append((line, cells))
    if not rows:
        raise FileProblem(_l("Die Datei ist leer."))
    # The header is the row among the first ones whose names we recognise best (lists often
    # start with a title line).
    candidates = rows[:HEADER_SEARCH_ROWS]
    scores = [sum(1 for h in cells if guess_field(h) != "ignore") for _line, cells in candidates]
    index = scores.index(max(scores)) if max(scores) > 0 else 0
    header_line, headers = rows[index]
    data = rows[index + 1 :]
    if not data:
        raise FileProblem(_l("Die Datei enthält nur Überschriften und keine Personen."))
    if len(data) > MAX_ROWS:
        raise FileProblem(
            _l(
                "Die Datei hat mehr als %(max)s Zeilen. Bitte teilen Sie sie in mehrere Dateien auf.",
                max="20.000",
            )
        )
    width = max(len(headers), *(len(cells) for _line, cells in data))
    headers = headers + [""] * (width - len(headers))
    return ParsedFile(file_type, header_line, [h[:200] for h in headers], data)


# --- the fields of a mediator and guessing them from headers --------------------------------------

FIELDS = (
    ("name", _l("Name")),
    ("first_name", _l("Vorname")),
    ("last_name", _l("Nachname")),
    ("email", _l("E-Mail")),
    ("phone", _l("Telefon")),
    ("kind", _l("Art (ehrenamtlich / Mitarbeiter:in)")),
    ("gender", _l("Geschlecht")),
    ("german_level", _l("Deutschniveau")),
    ("languages", _l("Sprachen")),
    ("dialects", _l("Dialekte")),
    ("municipalities", _l("Orte / Gemeinden")),
    ("modes", _l("Einsatzarten")),
    ("domains", _l("Bereiche")),
    ("monthly_cap", _l("Einsätze pro Monat (höchstens)")),
    ("notes", _l("Notizen")),
    ("ignore", _l("ignorieren")),
)
FIELD_NAMES = tuple(name for name, _label in FIELDS)
# Fields that may come from several columns (their cells are joined).
MULTI_FIELDS = frozenset({"languages", "dialects", "municipalities", "domains", "modes", "notes"})
MAX_LENGTHS = {"name": 120, "first_name": 120, "last_name": 120, "email": 254, "phone": 40}


def field_label(name: str) -> str:
    return str(dict(FIELDS).get(name, name))


def norm(text: str) -> str:
    """Lower case, without accents and anything but letters and digits: "E-Mail" → "email"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]", "", plain.casefold().replace("ß", "ss"))


EXACT_HEADERS = {
    "name": ("name", "namevorname", "nachnamevorname", "vornamenachname", "vollername",
             "vollstandigername", "fullname", "person"),
    "first_name": ("vorname", "vornamen", "rufname", "firstname", "givenname"),
    "last_name": ("nachname", "familienname", "zuname", "lastname", "surname"),
    "email": ("email", "mail", "emailadresse", "mailadresse", "emailaddress"),
    "phone": ("telefon", "tel", "telnr", "telefonnummer", "handy", "mobil", "mobilnummer",
              "phone", "rufnummer", "kontakttelefon"),
    "kind": ("art", "typ", "kind", "ehrenamthauptamt", "beschaftigung", "ehrenamtlich"),
    "gender": ("geschlecht", "gender", "anrede"),
    "german_level": ("deutsch", "deutschniveau", "deutschkenntnisse", "niveaudeutsch",
                     "sprachniveaudeutsch", "german", "germanlevel"),
    "languages": ("sprachen", "sprache", "languages", "language", "sprachkenntnisse",
                  "muttersprache", "fremdsprachen"),
    "dialects": ("dialekte", "dialekt", "dialects", "dialect", "varietaten"),
    "municipalities": ("ort", "orte", "gemeinde", "gemeinden", "ortgemeinde", "wohnort",
                       "einsatzort", "einsatzorte", "stadt", "municipalities", "kommune"),
    "modes": ("einsatzart", "einsatzarten", "modus", "modes", "einsatzform"),
    "domains": ("bereich", "bereiche", "einsatzbereiche", "fachbereiche", "domains", "themen"),
    "monthly_cap": ("einsatzepromonat", "maxeinsatze", "maxeinsatzepromonat", "obergrenze",
                    "monatlicheobergrenze", "monthlycap", "hochstzahl"),
    "notes": ("bemerkung", "bemerkungen", "notiz", "notizen", "anmerkung", "anmerkungen",
              "hinweise", "kommentar", "notes"),
}  # fmt: skip
# Parts of longer headers, checked in this order ("Sprachniveau Deutsch" is the German level).
CONTAINED_HEADERS = (
    ("email", ("email", "mail")),
    ("first_name", ("vorname", "firstname")),
    ("last_name", ("nachname", "familienname", "lastname")),
    ("phone", ("telefon", "handy", "mobil", "phone")),
    ("german_level", ("deutsch",)),
    ("dialects", ("dialekt", "varietat")),
    ("languages", ("sprache", "language")),
    ("municipalities", ("gemeinde", "einsatzort", "wohnort")),
    ("modes", ("einsatzart",)),
    ("domains", ("bereich",)),
    ("monthly_cap", ("promonat", "obergrenze", "maxeinsatz")),
    ("notes", ("bemerkung", "notiz", "anmerkung", "kommentar")),
    ("gender", ("geschlecht",)),
    ("kind", ("ehrenamt", "hauptamt")),
)
_EXACT = {synonym: name for name, synonyms in EXACT_HEADERS.items() for synonym in synonyms}


def guess_field(header: str) -> str:
    key = norm(header)
    if not key:
        return "ignore"
    if key in _EXACT:
        return _EXACT[key]
    for name, parts in CONTAINED_HEADERS:
        if any(part in key for part in parts):
            return name
    return "ignore"


def guess_mapping(headers: Sequence[str]) -> list[str]:
    """One field per column; a single-value field only for its first column."""
    mapping, taken = [], set()
    for header in headers:
        name = guess_field(header)
        if name != "ignore" and name not in MULTI_FIELDS and name in taken:
            name = "ignore"
        taken.add(name)
        mapping.append(name)
    # "Vorname" + "Name": the "Name" column holds the last name.
    if "first_name" in taken and "last_name" not in taken and "name" in taken:
        mapping[mapping.index("name")] = "last_name"
    return mapping


def mapping_problems(mapping: Sequence[str]) -> list:
    """What is wrong with a mapping as a whole (texts)."""
    problems = []
    counts = Counter(mapping)
    for name, count in counts.items():
        if name != "ignore" and name not in MULTI_FIELDS and count > 1:
            problems.append(
                _l("„%(field)s“ ist mehreren Spalten zugeordnet. Bitte nur einer.",
                   field=field_label(name))
            )  # fmt: skip
    if "email" not in counts:
        problems.append(_l("Bitte ordnen Sie eine Spalte der E-Mail-Adresse zu."))
    if not ({"name", "first_name", "last_name"} & set(counts)):
        problems.append(_l("Bitte ordnen Sie eine Spalte dem Namen zu."))
    if "languages" not in counts:
        problems.append(_l("Bitte ordnen Sie eine Spalte den Sprachen zu."))
    return problems


# --- checking rows --------------------------------------------------------------------------------

# (code, parameters); see PROBLEM_TEXTS.
Problem = tuple[str, dict]

PROBLEM_TEXTS = {
    "name_missing": _l("Name fehlt"),
    "email_missing": _l("E-Mail-Adresse fehlt"),
    "email_invalid": _l("E-Mail-Adresse „%(value)s“ ist ungültig"),
    "email_duplicate_file": _l("E-Mail-Adresse gibt es schon (Zeile %(line)s)"),
    "email_exists_pool": _l("E-Mail-Adresse gibt es schon (im Pool)"),
    "email_exists_other_pool": _l("E-Mail-Adresse gibt es schon (in einem anderen Pool)"),
    "email_exists_user": _l(
        "Zu dieser E-Mail-Adresse gibt es schon einen Zugang. Bitte legen Sie die Person einzeln an"
    ),
    "languages_missing": _l("Sprache fehlt"),
    "language_unknown": _l("Unbekannte Sprache „%(value)s“"),
    "language_twice": _l("Sprache „%(value)s“ steht doppelt"),
    "level_missing": _l("Niveau für „%(value)s“ fehlt (z. B. „B2“ oder „Muttersprache“)"),
    "level_unknown": _l("Unbekanntes Niveau „%(value)s“ (möglich: A2 bis C2 oder Muttersprache)"),
    "german_level_unknown": _l(
        "Unbekanntes Deutschniveau „%(value)s“ (möglich: A1 bis C2 oder Muttersprache)"
    ),
    "kind_unknown": _l("Unbekannte Art „%(value)s“ (möglich: ehrenamtlich oder Mitarbeiter:in)"),
    "gender_unknown": _l("Unbekannte Angabe zum Geschlecht „%(value)s“"),
    "mode_unknown": _l("Unbekannte Einsatzart „%(value)s“ (möglich: vor Ort, Telefon, Video)"),
    "domain_unknown": _l("Unbekannter Bereich „%(value)s“"),
    "number_invalid": _l("„%(value)s“ ist keine Zahl von 0 bis 1000 (Spalte „%(column)s“)"),
    "too_long": _l("Spalte „%(column)s“ ist zu lang (höchstens %(max)s Zeichen)"),
    "control_characters": _l("Spalte „%(column)s“ enthält unzulässige Steuerzeichen"),
    "skipped_meanwhile": _l("wurde übersprungen: %(reason)s"),
}


def problem_text(problem: Sequence) -> str:
    code, params = problem[0], problem[1] if len(problem) > 1 else {}
    text = PROBLEM_TEXTS.get(code)
    if text is None:
        return str(code)
    return str(text) % params if params else str(text)


def column_name(headers: Sequence[str], index: int) -> str:
    """The header of a column, or "Spalte C" if it has none."""
    header = headers[index] if index < len(headers) else ""
    return header or str(_l("Spalte %(letter)s", letter=column_letter(index)))


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown(value: str, limit: int = 60) -> str:
    """A cell value as a problem text may echo it: short and without control characters."""
    value = FORBIDDEN_CHARACTERS.sub("?", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


NATIVE_WORDS = ("muttersprache", "muttersprachlich", "erstsprache", "native", "nativespeaker",
                "mothertongue", "ms", "l1")  # fmt: skip
LEVEL_WORDS = {norm(level): level for level in LEVELS} | {
    word: Level.NATIVE for word in NATIVE_WORDS
}
GERMAN_LEVEL_WORDS = {norm(level): level for level in GERMAN_LEVELS} | {
    word: Level.NATIVE for word in NATIVE_WORDS
}
# Spellings people use besides the German and English names of the catalogue.
EXTRA_LANGUAGE_NAMES = {
    "farsi": "fa", "persisch": "fa", "persian": "fa", "iranisch": "fa",
    "dari": "prs", "afghanischpersisch": "prs",
    "paschto": "ps", "paschtu": "ps", "pashto": "ps", "pashtu": "ps", "paschtunisch": "ps",
    "kurdisch": "ku", "kurdish": "ku",
    "kurmanci": "kmr", "kurmandschi": "kmr", "kurmanji": "kmr", "nordkurdisch": "kmr",
    "kurdischkurmanci": "kmr", "kurdischkurmandschi": "kmr", "kurdischkurmanji": "kmr",
    "kurdishkurmanji": "kmr",
    "sorani": "ckb", "kurdischsorani": "ckb", "zentralkurdisch": "ckb", "kurdishsorani": "ckb",
    "zazaki": "zza", "zaza": "zza",
    "tigrinja": "ti", "tigrinisch": "ti", "tigrigna": "ti", "tigrinya": "ti",
    "somalisch": "so", "somali": "so",
    "amharisch": "am", "oromo": "om",
    "arabisch": "ar", "hocharabisch": "ar", "arabic": "ar",
    "romanes": "rom", "romani": "rom",
    "moldauisch": "ro",
    "serbokroatisch": "sr", "bosnisch": "bs",
    "gebardensprache": "dgs", "deutschegebardensprache": "dgs", "dgs": "dgs",
    "chinesisch": "zh", "mandarin": "zh",
}  # fmt: skip


@cache
def language_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code in LANGUAGES:
        aliases[norm(code)] = code
        for locale in ("en", "de"):
            aliases[norm(language_name(code, locale))] = code
    aliases.update(EXTRA_LANGUAGE_NAMES)
    return aliases


KIND_WORDS = {
    **dict.fromkeys(("ehrenamtlich", "ehrenamt", "ea", "volunteer", "freiwillig", "ehrenamtler",
                     "ehrenamtlerin"), MediatorKind.VOLUNTEER),
    **dict.fromkeys(("hauptamtlich", "hauptamt", "mitarbeiter", "mitarbeiterin", "mitarbeitende",
                     "mitarbeiterinnen", "beschaftigte", "beschaftigter", "staff", "intern",
                     "verwaltung", "ha"), MediatorKind.STAFF),
}  # fmt: skip
GENDER_WORDS = {
    **dict.fromkeys(("w", "weiblich", "frau", "f", Gender.FEMALE, "woman"), Gender.FEMALE),
    **dict.fromkeys(("m", "mannlich", "herr", Gender.MALE, "man"), Gender.MALE),
    **dict.fromkeys(("d", "divers", Gender.DIVERSE, "x", "nonbinary"), Gender.DIVERSE),
}
MODE_WORDS = {
    **dict.fromkeys(
        ("vorort", "personlich", "prasenz", "inperson", "vororteinsatz"), Mode.IN_PERSON
    ),
    **dict.fromkeys(("telefon", "telefonisch", Mode.PHONE, "tel"), Mode.PHONE),
    **dict.fromkeys(
        (Mode.VIDEO, "videocall", "videokonferenz", "online", "videotelefonie"), Mode.VIDEO
    ),
}
DOMAIN_SYNONYMS = {
    **dict.fromkeys(("schule", "bildung", "kita", "kindergarten", "schulen"), "education"),
    **dict.fromkeys(("gesundheit", "gesundheitsamt", "medizin", "arzt", "klinik"), "health"),
    **dict.fromkeys(("jugendhilfe", "jugendamt", "kinderundjugendhilfe", "kjh"), "youth_welfare"),
    **dict.fromkeys(("soziales", "sozialamt", "sozialberatung", "beratung"), "social_services"),
    **dict.fromkeys(("behorde", "behorden", "amt", "amter", "behordenundamter"), "authorities"),
    **dict.fromkeys(("sonstiges", "andere"), "other"),
}


def split_list(text: str) -> list[str]:
    """Split at ``,`` ``;`` ``/`` line breaks and " und ", but not inside parentheses."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if depth == 0 and ch in ",;/\n\r|":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    result: list[str] = []
    for item in items:
        result.extend(re.split(r"\s+(?:und|and|&)\s+", item) if depth == 0 else [item])
    return [item.strip() for item in result if item.strip()]


@dataclass
class LanguageItem:
    raw: str
    code: str | None
    level: str | None
    level_text: str | None  # an unreadable level as written
    dialects: list[str] = field(default_factory=list)


_CODE_LEVEL = re.compile(r"^([A-Za-z]{2,3})\s*[:=]\s*(.+)$")
_TRAILING_LEVEL = re.compile(
    r"^(.*?)[\s:\-–]+((?:[ABC][12])|muttersprache|muttersprachlich|native|erstsprache)$",
    re.IGNORECASE,
)


def parse_language(item: str) -> LanguageItem:
    """ "Arabisch (Muttersprache)", "Englisch B2", "ar:native", "Kurdisch (Kurmanci) C1",
    "Arabisch (Levantinisch, B2)" → code, level and dialects."""
    aliases = language_aliases()
    match = _CODE_LEVEL.match(item)
    if match and norm(match.group(1)) in aliases and len(match.group(1)) <= 3:
        return _with_level(LanguageItem(item, aliases[norm(match.group(1))], None, None),
                           match.group(2))  # fmt: skip
    parens = re.findall(r"\(([^)]*)\)", item)
    base = re.sub(r"\([^)]*\)", " ", item).strip()
    level_texts: list[str] = []
    extras: list[str] = []
    for part in parens:
        for piece in re.split(r"[,;/]", part):
            piece = piece.strip()
            if not piece:
                continue
            (level_texts if norm(piece) in LEVEL_WORDS or _looks_like_level(piece)
             else extras).append(piece)  # fmt: skip
    trailing = _TRAILING_LEVEL.match(base)
    if trailing and norm(trailing.group(1)):
        base, level_texts = trailing.group(1).strip(" -–:"), [*level_texts, trailing.group(2)]
    base = base.strip(" -–:")
    code = None
    if extras and norm(base + "".join(extras)) in aliases:
        code, extras = aliases[norm(base + "".join(extras))], []
    elif norm(base) in aliases:
        code = aliases[norm(base)]
    elif not norm(base) and len(extras) == 1 and norm(extras[0]) in aliases:
        code, extras = aliases[norm(extras[0])], []
    result = LanguageItem(base or item, code, None, None, extras)
    if level_texts:
        return _with_level(result, level_texts[0])
    return result


def _looks_like_level(text: str) -> bool:
    return bool(re.fullmatch(r"[abcABC][0-9]", text.strip()))


def _with_level(item: LanguageItem, text: str) -> LanguageItem:
    level = LEVEL_WORDS.get(norm(text))
    if level is None:
        item.level_text = text.strip()
    else:
        item.level = level
    return item


@dataclass
class PreparedRow:
    line: int
    values: dict
    problems: list[Problem]

    def as_json(self) -> dict:
        return {"line": self.line, "values": self.values,
                "problems": [[c, p] for c, p in self.problems]}  # fmt: skip


def prepare_rows(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    mapping: Sequence[str],
    *,
    default_level: str | None = None,
    domains: dict[str, str] | None = None,
) -> list[PreparedRow]:
    """Turn the cells of every row into the values of a new mediator, with every problem.
    Duplicates within the file are found here; the database check follows in the service."""
    domain_lookup = dict(domains or {})
    first_line_of: dict[str, int] = {}
    prepared = []
    for line, cells in rows:
        row = _prepare_row(headers, line, list(cells), mapping, default_level, domain_lookup)
        email = row.values.get("email")
        if email:
            if email in first_line_of:
                row.problems.append(("email_duplicate_file", {"line": first_line_of[email]}))
            else:
                first_line_of[email] = line
        prepared.append(row)
    return prepared


def _collect_cells(headers, cells, mapping, problems: list[Problem]):
    """The usable cells per field (several columns may feed one field), and the fields with a
    cell too broken to use (its problem is noted, so that no "missing" follows)."""
    broken: set[str] = set()
    collected: dict[str, list[tuple[int, str]]] = {}
    for index, name in enumerate(mapping):
        if name == "ignore":
            continue
        value = cells[index] if index < len(cells) else ""
        if not value:
            continue
        column = column_name(headers, index)
        if FORBIDDEN_CHARACTERS.search(value):
            problems.append(("control_characters", {"column": column}))
            broken.add(name)
            continue
        limit = MAX_LENGTHS.get(name, MAX_CELL)
        if len(value) > limit:
            problems.append(("too_long", {"column": column, "max": limit}))
            broken.add(name)
            continue
        collected.setdefault(name, []).append((index, value))
    return collected, broken


def _name_and_email(text, broken: set[str], values: dict, problems: list[Problem]) -> None:
    name = text("name") or " ".join(p for p in (text("first_name"), text("last_name")) if p)
    if name:
        values["name"] = name[:120]
    elif not broken & {"name", "first_name", "last_name"}:
        problems.append(("name_missing", {}))
    email = text("email").strip().lower()
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(("email_invalid", {"value": shown(email)}))
        values["email"] = email
    elif "email" not in broken:
        problems.append(("email_missing", {}))


def _word(raw: str, words: dict, code: str, problems: list[Problem]):
    """The code a cell's word stands for (none, with the problem ``code``, when unknown)."""
    found = words.get(norm(raw))
    if found is None:
        problems.append((code, {"value": shown(raw)}))
    return found


def _listed(raw: str, lookup: dict, code: str, problems: list[Problem]) -> list[str]:
    """The codes of a list cell, each once, in the order given; unknown items are problems."""
    codes: list[str] = []
    for item in split_list(raw):
        found = lookup.get(norm(item))
        if found is None:
            problems.append((code, {"value": shown(item)}))
        elif found not in codes:
            codes.append(found)
    return codes


def _row_languages(text, broken: set[str], default_level, problems: list[Problem]) -> list:
    languages = _languages(text("languages"), text("dialects"), default_level, problems)
    if (
        not languages
        and "languages" not in broken
        and not any(p[0].startswith(("language", "level")) for p in problems)
    ):
        problems.append(("languages_missing", {}))
    return languages


def _prepare_row(headers, line, cells, mapping, default_level, domain_lookup) -> PreparedRow:
    problems: list[Problem] = []
    collected, broken = _collect_cells(headers, cells, mapping, problems)

    def text(name: str, joiner: str = "; ") -> str:
        return joiner.join(v for _i, v in collected.get(name, []))

    values: dict = {}
    _name_and_email(text, broken, values, problems)
    if "phone" in collected:
        values["phone"] = text("phone")
    if "kind" in mapping:
        raw = text("kind")
        kind = _word(raw, KIND_WORDS, "kind_unknown", problems) if raw else MediatorKind.VOLUNTEER
        values["kind"] = kind or MediatorKind.VOLUNTEER
    for key, words in (("gender", GENDER_WORDS), ("german_level", GERMAN_LEVEL_WORDS)):
        if key in collected:
            found = _word(text(key), words, f"{key}_unknown", problems)
            if found is not None:
                values[key] = found
    values["languages"] = _row_languages(text, broken, default_level, problems)
    if "municipalities" in collected:
        values["municipalities"] = sorted({m[:120] for m in split_list(text("municipalities"))})
    if "modes" in collected:
        modes = _listed(text("modes"), MODE_WORDS, "mode_unknown", problems)
        if modes:
            values["modes"] = modes
    if "domains" in collected:
        values["domains"] = _listed(text("domains"), domain_lookup, "domain_unknown", problems)
    if "monthly_cap" in collected:
        raw = text("monthly_cap")
        number = _number(raw)
        if number is None:
            problems.append(("number_invalid", {"value": shown(raw),
                                                "column": field_label("monthly_cap")}))  # fmt: skip
        else:
            values["monthly_cap"] = number
    if "notes" in collected:
        notes = text("notes", "\n")
        if len(notes) > MAX_CELL:
            problems.append(("too_long", {"column": field_label("notes"), "max": MAX_CELL}))
        values["notes"] = notes[:MAX_CELL]
    return PreparedRow(line, values, problems)


def _number(text: str) -> int | None:
    match = re.fullmatch(r"\s*(\d{1,4})(?:[.,]0+)?\s*", text)
    if not match:
        return None
    number = int(match.group(1))
    return number if number <= 1000 else None


def _languages(text: str, dialect_text: str, default_level, problems) -> list:
    """[[code, level, [dialects]], …] from the languages cell and the dialects cell."""
    result: dict[str, list] = {}
    for item in split_list(text):
        parsed = parse_language(item)
        if parsed.code is None:
            problems.append(("language_unknown", {"value": shown(parsed.raw)}))
            continue
        name = parsed.raw
        if parsed.code in result:
            problems.append(("language_twice", {"value": shown(name)}))
            continue
        level = parsed.level
        if level is None and parsed.level_text:
            problems.append(("level_unknown", {"value": shown(parsed.level_text)}))
            continue
        if level is None:
            if not default_level:
                problems.append(("level_missing", {"value": shown(name)}))
                continue
            level = default_level
        result[parsed.code] = [parsed.code, level, [d[:60] for d in parsed.dialects][:20]]
    if dialect_text and result:
        first = next(iter(result))
        for item in re.split(r"[;\n|]", dialect_text):
            item = item.strip()
            if not item:
                continue
            target, dialects = first, item
            prefix, sep, rest = item.partition(":")
            if sep:
                code = language_aliases().get(norm(prefix))
                if code in result:
                    target, dialects = code, rest
            for dialect in re.split(r"[,/]", dialects):
                dialect = dialect.strip()[:60]
                if dialect and dialect not in result[target][2] and len(result[target][2]) < 20:
                    result[target][2].append(dialect)
    return list(result.values())


def domain_lookup(domains: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Normalised names → domain code, from the (code, name_de, name_en) rows of the database."""
    domains = list(domains)
    known = {code for code, _de, _en in domains}
    lookup = {k: v for k, v in DOMAIN_SYNONYMS.items() if v in known}
    for code, name_de, name_en in domains:
        for name in (code, name_de, name_en):
            lookup[norm(name)] = code
    return lookup

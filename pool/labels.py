"""The words the interface shows for the registry's codes (one place for every page)."""

from flask_babel import lazy_gettext as _l

from pool.models.mediators import GERMAN_LEVELS

STATUS_LABELS = {
    "applied": _l("beworben"),
    "active": _l("aktiv"),
    "paused": _l("pausiert"),
    "left": _l("ausgeschieden"),
    "rejected": _l("abgelehnt"),
}
KIND_LABELS = {"volunteer": _l("ehrenamtlich"), "staff": _l("Mitarbeiter:in der Verwaltung")}
MODE_LABELS = {"in_person": _l("vor Ort"), "phone": _l("am Telefon"), "video": _l("per Video")}
GENDER_LABELS = {"female": _l("weiblich"), "male": _l("männlich"), "diverse": _l("divers")}
# Short labels for lists; the forms that people fill in for themselves explain the levels.
LEVEL_LABELS = {
    **{level: level for level in GERMAN_LEVELS if level != "native"},
    "native": _l("Muttersprache"),
}
LEVEL_DESCRIPTIONS = {
    "A1": _l("A1 – Anfänger"),
    "A2": _l("A2 – Grundkenntnisse"),
    "B1": _l("B1 – gute Grundkenntnisse"),
    "B2": _l("B2 – selbstständig"),
    "C1": _l("C1 – fließend"),
    "C2": _l("C2 – sehr gut, fast wie Muttersprache"),
    "native": _l("Muttersprache"),
}
WEEKDAY_LABELS = (
    _l("Montag"),
    _l("Dienstag"),
    _l("Mittwoch"),
    _l("Donnerstag"),
    _l("Freitag"),
    _l("Samstag"),
    _l("Sonntag"),
)

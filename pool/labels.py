"""The words the interface shows for the registry's codes (one place for every page)."""

from pool.i18n import lazy_gettext as _l
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

SETTING_LABELS = {
    "parents_meeting": _l("Elterngespräch"),
    "counselling": _l("Beratung"),
    "office_appointment": _l("Termin in einer Behörde"),
    "home_visit": _l("Hausbesuch"),
    "medical_appointment": _l("Arzttermin"),
    "information_event": _l("Informationsveranstaltung"),
    "other": _l("Sonstiges"),
    "court": _l("Gericht"),
    "police": _l("Polizei"),
    "asylum_hearing": _l("Asylanhörung"),
    "legally_binding": _l("rechtsverbindliches Verfahren"),
    "medical_report": _l("ärztliches Gutachten"),
}
# Neutral words for the coordination; the office and the mediator see their own phrasing.
REQUEST_STATUS_LABELS = {
    "open": _l("offen"),
    "offered": _l("angeboten"),
    "assigned": _l("vergeben"),
    "completed": _l("erledigt"),
    "cancelled": _l("abgesagt"),
    "unfilled": _l("nicht besetzbar"),
}
ASSIGNMENT_STATUS_LABELS = {
    "confirmed": _l("bestätigt"),
    "completed": _l("erledigt"),
    "cancelled": _l("abgesagt"),
}
OUTCOME_LABELS = {
    "took_place": _l("hat stattgefunden"),
    "client_no_show": _l("Klient:in nicht erschienen"),
    "mediator_no_show": _l("Sprachmittler:in nicht erschienen"),
    "cancelled_on_site": _l("vor Ort abgebrochen"),
}

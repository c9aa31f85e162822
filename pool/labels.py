"""The words the interface shows for the registry's codes (one place for every page)."""

from pool.enums import AssignmentStatus, MediatorStatus, RequestStatus
from pool.i18n import lazy_gettext as _l
from pool.models.mediators import GERMAN_LEVELS

STATUS_LABELS = {
    MediatorStatus.APPLIED: _l("beworben"),
    MediatorStatus.ACTIVE: _l("aktiv"),
    MediatorStatus.PAUSED: _l("pausiert"),
    MediatorStatus.LEFT: _l("ausgeschieden"),
    MediatorStatus.REJECTED: _l("abgelehnt"),
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
    RequestStatus.OPEN: _l("offen"),
    RequestStatus.OFFERED: _l("angeboten"),
    RequestStatus.ASSIGNED: _l("vergeben"),
    RequestStatus.COMPLETED: _l("erledigt"),
    RequestStatus.CANCELLED: _l("abgesagt"),
    RequestStatus.UNFILLED: _l("nicht besetzbar"),
}
ASSIGNMENT_STATUS_LABELS = {
    AssignmentStatus.CONFIRMED: _l("bestätigt"),
    AssignmentStatus.COMPLETED: _l("erledigt"),
    AssignmentStatus.CANCELLED: _l("abgesagt"),
}
OUTCOME_LABELS = {
    "took_place": _l("hat stattgefunden"),
    "client_no_show": _l("Klient:in nicht erschienen"),
    "mediator_no_show": _l("Sprachmittler:in nicht erschienen"),
    "cancelled_on_site": _l("vor Ort abgebrochen"),
}

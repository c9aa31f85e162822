"""The words the interface shows for the registry's codes (one place for every page)."""

from flask_babel import LazyString

from pool.enums import (
    AssignmentStatus,
    Gender,
    Level,
    MediatorKind,
    MediatorStatus,
    Mode,
    Outcome,
    RequestStatus,
    Setting,
)
from pool.i18n import lazy_gettext as _l
from pool.models.mediators import GERMAN_LEVELS

STATUS_LABELS: dict[str, LazyString] = {
    MediatorStatus.APPLIED: _l("beworben"),
    MediatorStatus.ACTIVE: _l("aktiv"),
    MediatorStatus.PAUSED: _l("pausiert"),
    MediatorStatus.LEFT: _l("ausgeschieden"),
    MediatorStatus.REJECTED: _l("abgelehnt"),
}
KIND_LABELS: dict[str, LazyString] = {
    MediatorKind.VOLUNTEER: _l("ehrenamtlich"),
    MediatorKind.STAFF: _l("Mitarbeiter:in der Verwaltung"),
}
MODE_LABELS: dict[str, LazyString] = {
    Mode.IN_PERSON: _l("vor Ort"),
    Mode.PHONE: _l("am Telefon"),
    Mode.VIDEO: _l("per Video"),
}
GENDER_LABELS: dict[str, LazyString] = {
    Gender.FEMALE: _l("weiblich"),
    Gender.MALE: _l("männlich"),
    Gender.DIVERSE: _l("divers"),
}
# Short labels for lists; the forms that people fill in for themselves explain the levels.
LEVEL_LABELS: dict[str, LazyString | str] = {
    **{level: level for level in GERMAN_LEVELS if level != Level.NATIVE},
    Level.NATIVE: _l("Muttersprache"),
}
LEVEL_DESCRIPTIONS: dict[str, LazyString] = {
    Level.A1: _l("A1 – Anfänger"),
    Level.A2: _l("A2 – Grundkenntnisse"),
    Level.B1: _l("B1 – gute Grundkenntnisse"),
    Level.B2: _l("B2 – selbstständig"),
    Level.C1: _l("C1 – fließend"),
    Level.C2: _l("C2 – sehr gut, fast wie Muttersprache"),
    Level.NATIVE: _l("Muttersprache"),
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

SETTING_LABELS: dict[str, LazyString] = {
    Setting.PARENTS_MEETING: _l("Elterngespräch"),
    Setting.COUNSELLING: _l("Beratung"),
    Setting.OFFICE_APPOINTMENT: _l("Termin in einer Behörde"),
    Setting.HOME_VISIT: _l("Hausbesuch"),
    Setting.MEDICAL_APPOINTMENT: _l("Arzttermin"),
    Setting.INFORMATION_EVENT: _l("Informationsveranstaltung"),
    Setting.OTHER: _l("Sonstiges"),
    Setting.COURT: _l("Gericht"),
    Setting.POLICE: _l("Polizei"),
    Setting.ASYLUM_HEARING: _l("Asylanhörung"),
    Setting.LEGALLY_BINDING: _l("rechtsverbindliches Verfahren"),
    Setting.MEDICAL_REPORT: _l("ärztliches Gutachten"),
}
# Neutral words for the coordination; the office and the mediator see their own phrasing.
REQUEST_STATUS_LABELS: dict[str, LazyString] = {
    RequestStatus.OPEN: _l("offen"),
    RequestStatus.OFFERED: _l("angeboten"),
    RequestStatus.ASSIGNED: _l("vergeben"),
    RequestStatus.COMPLETED: _l("erledigt"),
    RequestStatus.CANCELLED: _l("abgesagt"),
    RequestStatus.UNFILLED: _l("nicht besetzbar"),
}
ASSIGNMENT_STATUS_LABELS: dict[str, LazyString] = {
    AssignmentStatus.CONFIRMED: _l("bestätigt"),
    AssignmentStatus.COMPLETED: _l("erledigt"),
    AssignmentStatus.CANCELLED: _l("abgesagt"),
}
OUTCOME_LABELS: dict[str, LazyString] = {
    Outcome.TOOK_PLACE: _l("hat stattgefunden"),
    Outcome.CLIENT_NO_SHOW: _l("Klient:in nicht erschienen"),
    Outcome.MEDIATOR_NO_SHOW: _l("Sprachmittler:in nicht erschienen"),
    Outcome.CANCELLED_ON_SITE: _l("vor Ort abgebrochen"),
}

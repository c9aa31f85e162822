"""What kinds of message there are, and the recipient's preferences: digest and quiet hours.

Pure functions of time and settings (no session): ``pool/outbox.py`` applies them when a message
is enqueued, ``pool/services/booking.py`` when it sets the deadline of an offer.
Quiet hours are local times (Europe/Berlin) in minutes after midnight; ``quiet_from`` may be later
than ``quiet_until`` (22:00–07:00 spans midnight). Both None means no quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from pool.enums import NotificationCategory
from pool.i18n import BERLIN
from pool.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Category:
    label: object
    # May the recipient have it in the daily digest instead of single mails?
    digestible: bool


# The kinds of message a user can set preferences for; the order is the page's order.
CATEGORIES: dict[str, Category] = {
    NotificationCategory.REQUESTS: Category(_l("Neuigkeiten zu Ihren Anfragen"), True),
    NotificationCategory.ASSIGNMENTS: Category(_l("Einsätze: Zusagen, Änderungen, Absagen"), True),
    NotificationCategory.OFFERS: Category(_l("Neue Einsatzangebote (mit Antwortfrist)"), False),
    NotificationCategory.REMINDERS: Category(_l("Erinnerungen vor einem Termin"), False),
    NotificationCategory.REPORTS: Category(_l("Bitte um Rückmeldung nach einem Termin"), True),
    NotificationCategory.REGISTRY: Category(_l("Schulungen, Nachweise und Verfügbarkeit"), True),
    NotificationCategory.COORDINATION: Category(_l("Hinweise für die Koordination"), True),
    NotificationCategory.ALERTS: Category(_l("Dringende Warnungen für die Koordination"), False),
    NotificationCategory.ACCOUNT: Category(_l("Zugang und Passwort"), False),
}
DIGESTIBLE = tuple(code for code, c in CATEGORIES.items() if c.digestible)

# When the daily digest goes out (local time).
DIGEST_HOUR = 7


def minutes_to_time(minutes: int | None) -> time | None:
    return None if minutes is None else time(minutes // 60, minutes % 60)


def _local_at(day, minutes: int) -> datetime:
    """``minutes`` after local midnight of ``day`` as an aware UTC moment (DST-safe)."""
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=BERLIN)
    return local.astimezone(UTC)


def quiet_period_at(
    moment: datetime, quiet_from: int | None, quiet_until: int | None
) -> tuple[datetime, datetime] | None:
    """The quiet period (start, end) that contains ``moment``, or None."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return None
    day = moment.astimezone(BERLIN).date()
    for offset in (-1, 0):
        start_day = day + timedelta(days=offset)
        start = _local_at(start_day, quiet_from)
        end_day = start_day if quiet_until > quiet_from else start_day + timedelta(days=1)
        end = _local_at(end_day, quiet_until)
        if start <= moment < end:
            return start, end
    return None


def next_quiet_start(moment: datetime, quiet_from: int | None, quiet_until: int | None):
    """The first start of quiet hours after ``moment`` (None without quiet hours)."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return None
    day = moment.astimezone(BERLIN).date()
    for offset in (0, 1, 2):
        start = _local_at(day + timedelta(days=offset), quiet_from)
        if start > moment:
            return start
    return None  # pragma: no cover - a day always has a start


def after_quiet_hours(moment: datetime, quiet_from: int | None, quiet_until: int | None):
    """``moment``, or the end of the quiet hours it falls in."""
    period = quiet_period_at(moment, quiet_from, quiet_until)
    return period[1] if period else moment


def deadline(
    start: datetime, minutes: int, quiet_from: int | None, quiet_until: int | None
) -> datetime:
    """``minutes`` of the recipient's waking time after ``start``: the clock of a deadline does
    not run during their quiet hours."""
    moment = after_quiet_hours(start, quiet_from, quiet_until)
    remaining = timedelta(minutes=minutes)
    while True:
        quiet = next_quiet_start(moment, quiet_from, quiet_until)
        if quiet is None or moment + remaining <= quiet:
            return moment + remaining
        remaining -= quiet - moment
        moment = after_quiet_hours(quiet, quiet_from, quiet_until)

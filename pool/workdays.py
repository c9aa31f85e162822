"""Working days of a pool: not on a weekend, not on a public holiday of the pool's federal state,
not inside one of the pool's closure periods. Used for the minimum lead time of requests.

No Flask and no session here: the caller passes the pool's closures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays

from pool.i18n import BERLIN

# A closure list is searched at most this many days ahead: a pool closed "forever" must not turn
# the lead-time computation into an endless loop.
MAX_SEARCH_DAYS = 3 * 366

ClosureLike = Any  # a PoolClosure, or a (start_date, end_date) pair


@lru_cache(maxsize=512)
def _holidays(federal_state: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays("DE", subdiv=federal_state or None, years=year)
    except NotImplementedError:  # an unknown subdivision: the nationwide holidays only
        calendar = holidays.country_holidays("DE", years=year)
    return frozenset(calendar)


def _closure_ranges(closures: Iterable[ClosureLike] | None) -> list[tuple[date, date]]:
    ranges = []
    for closure in closures or ():
        if isinstance(closure, tuple):
            start, end = closure
        else:
            start, end = closure.start_date, closure.end_date
        ranges.append((start, end))
    return ranges


def is_working_day(
    day: date, federal_state: str, closures: Iterable[ClosureLike] | None = None
) -> bool:
    if day.weekday() >= 5:
        return False
    if day in _holidays(federal_state, day.year):
        return False
    return not any(start <= day <= end for start, end in _closure_ranges(closures))


def add_working_days(
    day: date, count: int, federal_state: str, closures: Iterable[ClosureLike] | None = None
) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
    ranges = _closure_ranges(closures)
    current, found = day, 0
    for _step in range(MAX_SEARCH_DAYS):
        if found >= count:
            return current
        current += timedelta(days=1)
        if is_working_day(current, federal_state, ranges):
            found += 1
    return current


def earliest_start(pool: Any, now: datetime, closures: Iterable[ClosureLike] | None) -> datetime:
    """The earliest start a request made at ``now`` may have under the pool's minimum lead time.

    Lead time N means: the day of the request does not count; the appointment may be on the N-th
    working day after it (from 0:00 Europe/Berlin) or later. Asked on Monday with N = 3 (no
    holidays), the earliest appointment is on Thursday. N = 0 means "any time from now on".
    The result is an aware datetime in Europe/Berlin.
    """
    lead = max(int(pool.lead_time_working_days or 0), 0)
    local_now = now.astimezone(BERLIN)
    if lead == 0:
        return local_now
    day = add_working_days(local_now.date(), lead, pool.federal_state, closures)
    return datetime.combine(day, time(0, 0), tzinfo=BERLIN)

"""Matching: who can take a request, ranked, and why (docs/architecture.md, "Matching").

Pure and deterministic. ``match`` gets the request, the candidate rows (loaded beforehand by
``pool/services/candidates.py``) and a context, reads them and changes nothing; the same inputs
give the same order. No Flask, no session: texts go through ``pool.i18n.gettext``, which falls
back to the German source strings outside an app context.

Hard filters exclude a speaker of the language, each with a code (counted) and a plain German
reason. Soft scores rank the rest; every candidate carries the reasons that add up its score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from babel.dates import format_date

from pool import deployability
from pool.enums import Gender, Level, Mode
from pool.i18n import BERLIN, current_language, ngettext
from pool.i18n import gettext as _
from pool.languages import language_name, related_languages

EXCLUDED_LIMIT = 50
RECENT_DAYS = 90

# Points of each soft score; a pool's ``matching_weights`` overrides single keys.
DEFAULT_WEIGHTS: dict[str, float] = {
    "level": 3.0,  # native speakers get it all, lower levels a share (LEVEL_SHARE)
    "dialect": 2.0,  # the requested dialect; half of it is taken off for another dialect
    "domain_experience": 2.0,  # completed assignments in the domain (all of it from 3 on)
    "continuity": 2.0,  # has interpreted for this case of this office before
    "fair_share": 2.0,  # divided by 1 + assignments in the last 90 days
    "same_municipality": 1.0,  # serves the place of an in-person appointment
    "travel": 1.0,  # taken off when the place is only reached by travelling
    "preferred_gender": 2.0,
    "reliability": 2.0,  # taken off, at most this much, for declines and late cancellations
    "related_language": 3.0,  # taken off for a related language instead of the requested one
}
LEVEL_SHARE: dict[str, float] = {
    Level.NATIVE: 1.0,
    Level.C2: 0.8,
    Level.C1: 0.6,
    Level.B2: 0.4,
    Level.B1: 0.2,
    Level.A2: 0.0,
}
LEVEL_ORDER = (Level.A2, Level.B1, Level.B2, Level.C1, Level.C2, Level.NATIVE)
DEFAULT_MIN_LEVEL = Level.B1
# Share of the reliability weight taken off per event.
DECLINE_SHARE = 0.25
LATE_CANCELLATION_SHARE = 0.5


def weights_for(custom: Mapping[str, Any] | None) -> dict[str, float]:
    """A pool's weights over the defaults; unknown keys and values that are no numbers are
    ignored, so a bad setting can never break matching."""
    merged = dict(DEFAULT_WEIGHTS)
    for key, value in (custom or {}).items():
        if key in merged and isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = float(value)
    return merged


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A not-cancelled assignment of the mediator near the request's time."""

    starts_at: datetime
    ends_at: datetime
    in_person: bool = True
    request_id: int | None = None


@dataclass
class CandidateRow:
    """One speaker of the requested (or a related) language with the facts matching needs.

    ``mediator`` is a ``Mediator`` or any object with its attributes; its ``pool``, ``absences``,
    ``acknowledgements``, ``training_records`` and ``availability`` must be loaded (the rule of
    ``pool/deployability.py`` reads them).
    """

    mediator: Any
    language_code: str
    level: str
    dialects: Sequence[str] = ()
    bookings: Sequence[Booking] = ()
    # Not-cancelled assignments in the calendar month (Europe/Berlin) of the request.
    month_count: int = 0
    # Not-cancelled assignments from 90 days before now on (the upcoming ones too).
    recent_count: int = 0
    # When the mediator was last offered a request (any request).
    last_asked_at: datetime | None = None
    # Completed assignments in the request's domain.
    domain_experience: int = 0
    # An earlier assignment for the same office and case reference.
    knows_case: bool = False
    declines: int = 0
    late_cancellations: int = 0
    # A pending offer for this very request: not an exclusion, only shown.
    pending_offer: bool = False
    # Excluded for this office's case reference (conflict of interest, client refused).
    case_excluded: bool = False


@dataclass
class MatchContext:
    deployability: deployability.Context
    # The request's pool and every pool that shares its mediators with it.
    pool_ids: frozenset[int]
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    travel_buffer_minutes: int = 30
    min_level: str = DEFAULT_MIN_LEVEL


# --- outputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    mediator_id: int
    name: str
    score: float
    reasons: list[str]
    related_language: bool = False
    language_code: str = ""
    level: str = ""
    pool_id: int | None = None
    pending_offer: bool = False


@dataclass(frozen=True)
class Excluded:
    mediator_id: int
    name: str
    reasons: list[str]
    codes: list[str]
    related_language: bool = False
    score: float = 0.0


@dataclass
class MatchResult:
    candidates: list[Candidate]
    excluded: list[Excluded]
    # Per reason code, over every excluded speaker (not only the listed ones).
    excluded_counts: dict[str, int]
    # How many speakers were excluded in all (``excluded`` lists at most 50).
    excluded_total: int = 0


# --- helpers --------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _format_date(day: date, pattern: str, locale: str) -> str:
    # The same day is formatted for many speakers in one call; Babel is slow at it.
    return format_date(day, pattern, locale=locale)


def _locale() -> str:
    return current_language()


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # stored UTC without a zone (SQLite before the type decorator)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BERLIN)


def _hm(value: datetime | time) -> str:
    return value.strftime("%H:%M")


def _points(value: float) -> str:
    """``+3``, ``+2,4``, ``-1,5`` (German decimal comma)."""
    sign = "+" if value >= 0 else "-"
    magnitude = abs(value)
    number = f"{magnitude:.0f}" if magnitude == int(magnitude) else f"{magnitude:.1f}"
    return sign + number.replace(".", ",")


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _level_rank(level: str | None) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _merged_windows(windows: Iterable[Any], weekday: int) -> list[tuple[time, time]]:
    """The mediator's windows of one weekday, touching or overlapping ones merged."""
    spans = sorted((w.start, w.end) for w in windows if w.weekday == weekday)
    merged: list[tuple[time, time]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _modes(mediator: Any) -> list[str]:
    modes = getattr(mediator, "modes", None)
    if modes is not None:
        return list(modes)
    flags = (
        (Mode.IN_PERSON, mediator.mode_in_person),
        (Mode.PHONE, mediator.mode_phone),
        (Mode.VIDEO, mediator.mode_video),
    )
    return [mode for mode, on in flags if on]


def _mode_phrase(mode: str) -> str:
    names: dict[str, str] = {
        Mode.IN_PERSON: _("vor Ort"),
        Mode.PHONE: _("am Telefon"),
        Mode.VIDEO: _("per Video"),
    }
    return names.get(mode, mode)


def _gender_wanted(code: str) -> str:
    names: dict[str, str] = {
        Gender.FEMALE: _("eine Frau"),
        Gender.MALE: _("ein Mann"),
        Gender.DIVERSE: _("divers"),
    }
    return names.get(code, code)


@dataclass
class _Evaluation:
    row: CandidateRow
    failures: list[tuple[str, str]]  # (code, text)
    parts: list[tuple[float, str]]  # (points, text)
    notes: list[str]
    related: bool

    @property
    def score(self) -> float:
        return round(sum(points for points, _text in self.parts), 1)

    @property
    def codes(self) -> list[str]:
        seen: dict[str, None] = {}
        for code, _text in self.failures:
            seen.setdefault(code, None)
        return list(seen)

    def reasons(self) -> list[str]:
        return [f"{_points(points)} {text}" for points, text in self.parts] + self.notes


# --- the filters and scores -----------------------------------------------------------------------


def _hard_filters(request: Any, row: CandidateRow, ctx: MatchContext, day: date) -> list:
    mediator = row.mediator
    failures: list[tuple[str, str]] = []
    locale = _locale()

    if mediator.pool_id not in ctx.pool_ids:
        failures.append(("pool", _("Gehört zu einem Pool, der nicht mit diesem Pool teilt.")))

    for reason in deployability.check(mediator, ctx.deployability, day).reasons:
        failures.append((reason.code, reason.text))
    for reason in deployability.domain_reasons(
        mediator, ctx.deployability, request.domain_code, day
    ):
        failures.append((reason.code, reason.text))

    if _level_rank(row.level) < _level_rank(ctx.min_level):
        failures.append(
            (
                "level",
                _(
                    "Niveau %(level)s in %(language)s reicht nicht (mindestens %(minimum)s).",
                    level=row.level,
                    language=language_name(row.language_code, locale),
                    minimum=ctx.min_level,
                ),
            )
        )

    if request.mode not in _modes(mediator):
        failures.append(
            (
                "mode",
                _(
                    "Nimmt keine Einsätze %(mode)s an.",
                    mode=_mode_phrase(request.mode),
                ),
            )
        )

    if request.mode == Mode.IN_PERSON and request.municipality:
        served = {_norm(m) for m in (mediator.municipalities or [])}
        if _norm(request.municipality) not in served and not (mediator.travel_km or 0) > 0:
            failures.append(
                (
                    "place",
                    _("Nicht in %(place)s im Einsatz.", place=request.municipality),
                )
            )

    failures.extend(_time_failures(request, row, ctx))

    cap = mediator.monthly_cap
    if cap is not None and row.month_count >= cap:
        failures.append(
            (
                "monthly_cap",
                _(
                    "Monatsgrenze für %(month)s erreicht (%(count)s von %(cap)s Einsätzen).",
                    month=_format_date(day, "LLLL y", locale),
                    count=row.month_count,
                    cap=cap,
                ),
            )
        )

    wanted = request.gender_preference
    if request.gender_required and wanted and mediator.gender != wanted:
        failures.append(
            (
                "gender",
                _(
                    "Ausdrücklich gewünscht ist: %(gender)s.",
                    gender=_gender_wanted(wanted),
                ),
            )
        )

    if row.case_excluded:
        failures.append(
            (
                "case_excluded",
                _("Für diesen Fall ausgeschlossen (Befangenheit oder Ablehnung)."),
            )
        )
    return failures


def _time_failures(request: Any, row: CandidateRow, ctx: MatchContext) -> list:
    failures: list[tuple[str, str]] = []
    start, end = _local(request.starts_at), _local(request.ends_at)
    windows = list(row.mediator.availability or [])
    if not windows:
        failures.append(("availability", _("Hat noch keine Zeiten eingetragen.")))
    else:
        fits = start.date() == end.date() and any(
            w_start <= start.time() and end.time() <= w_end
            for w_start, w_end in _merged_windows(windows, start.weekday())
        )
        if not fits:
            failures.append(
                (
                    "availability",
                    _(
                        "Zu dieser Zeit nicht verfügbar (%(day)s %(start)s–%(end)s).",
                        day=_format_date(start.date(), "ccc", _locale()),
                        start=_hm(start),
                        end=_hm(end),
                    ),
                )
            )

    for booking in sorted(row.bookings, key=lambda b: (b.starts_at, b.ends_at)):
        if request.id is not None and booking.request_id == request.id:
            continue  # the assignment for this very request is no conflict
        both_in_person = request.mode == Mode.IN_PERSON and booking.in_person
        buffer = timedelta(minutes=ctx.travel_buffer_minutes if both_in_person else 0)
        if booking.starts_at < request.ends_at + buffer and request.starts_at < (
            booking.ends_at + buffer
        ):
            b_start, b_end = _local(booking.starts_at), _local(booking.ends_at)
            overlaps = booking.starts_at < request.ends_at and request.starts_at < booking.ends_at
            if overlaps or not buffer:
                text = _("Schon gebucht %(start)s–%(end)s.", start=_hm(b_start), end=_hm(b_end))
            else:
                text = _(
                    "Schon gebucht %(start)s–%(end)s (mit %(minutes)s Minuten Fahrzeit dazwischen).",
                    start=_hm(b_start),
                    end=_hm(b_end),
                    minutes=ctx.travel_buffer_minutes,
                )
            failures.append(("booked", text))
    return failures


def _dialect_score(add, request: Any, row: CandidateRow) -> None:
    if not request.dialect:
        return
    dialects = [d for d in (row.dialects or []) if d and d.strip()]
    if _norm(request.dialect) in {_norm(d) for d in dialects}:
        add("dialect", 1.0, _("Dialekt: %(dialect)s", dialect=request.dialect.strip()))
    elif dialects:
        add(
            "dialect",
            0.5,
            _("anderer Dialekt (%(dialects)s)", dialects=", ".join(dialects)),
            negative=True,
        )


def _fair_share_text(row: CandidateRow, now: datetime) -> str:
    if row.recent_count:
        text = ngettext(
            "%(num)s Einsatz in den letzten 90 Tagen",
            "%(num)s Einsätze in den letzten 90 Tagen",
            row.recent_count,
        )
    else:
        text = _("keine Einsätze in den letzten 90 Tagen")
    if row.last_asked_at is not None:
        days = (now - row.last_asked_at).days
        if days == 0:
            text += ", " + _("heute schon angefragt")
        elif 0 < days < 7:
            text += ", " + ngettext(
                "zuletzt vor %(num)s Tag angefragt", "zuletzt vor %(num)s Tagen angefragt", days
            )
    return text


def _place_score(add, request: Any, mediator: Any) -> None:
    if request.mode != Mode.IN_PERSON or not request.municipality:
        return
    served = {_norm(m) for m in (mediator.municipalities or [])}
    if _norm(request.municipality) in served:
        add("same_municipality", 1.0, _("im Ort: %(place)s", place=request.municipality))
    elif (mediator.travel_km or 0) > 0:
        add(
            "travel",
            1.0,
            _(
                "Anfahrt nach %(place)s nötig (fährt bis %(km)s km)",
                place=request.municipality,
                km=mediator.travel_km,
            ),
            negative=True,
        )


def _reliability_score(add, row: CandidateRow) -> None:
    if not (row.declines or row.late_cancellations):
        return
    share = min(
        1.0, DECLINE_SHARE * row.declines + LATE_CANCELLATION_SHARE * row.late_cancellations
    )
    details = []
    if row.declines:
        details.append(ngettext("%(num)s Ablehnung", "%(num)s Ablehnungen", row.declines))
    if row.late_cancellations:
        details.append(
            ngettext(
                "%(num)s kurzfristige Absage",
                "%(num)s kurzfristige Absagen",
                row.late_cancellations,
            )
        )
    add(
        "reliability",
        share,
        _("Zuverlässigkeit: %(details)s", details=", ".join(details)),
        negative=True,
    )


def _notes(request: Any, row: CandidateRow) -> list[str]:
    mediator = row.mediator
    notes: list[str] = []
    if mediator.pool_id != request.pool_id and getattr(mediator, "pool", None) is not None:
        notes.append(_("aus dem Pool %(pool)s", pool=mediator.pool.name))
    if row.pending_offer:
        notes.append(_("hat schon ein Angebot"))
    return notes


def _scores(request: Any, row: CandidateRow, ctx: MatchContext, related: bool, now: datetime):
    """The signed points of each criterion with its reason, in the order shown, and the notes."""
    mediator = row.mediator
    weights = ctx.weights
    locale = _locale()
    parts: list[tuple[float, str]] = []

    def add(key: str, share: float, text: str, *, negative: bool = False) -> None:
        points = round(weights.get(key, 0.0) * share, 1)
        if points:
            parts.append((-points if negative else points, text))

    level_text = (
        _("Muttersprache") if row.level == Level.NATIVE else _("Niveau %(level)s", level=row.level)
    )
    add("level", LEVEL_SHARE.get(row.level, 0.0), level_text)

    if related:
        add(
            "related_language",
            1.0,
            _(
                "verwandte Sprache: %(spoken)s statt %(requested)s",
                spoken=language_name(row.language_code, locale),
                requested=language_name(request.language_code, locale),
            ),
            negative=True,
        )

    _dialect_score(add, request, row)

    if row.domain_experience:
        add(
            "domain_experience",
            1.0 if row.domain_experience >= 3 else 0.5,
            ngettext(
                "Erfahrung im Bereich (%(num)s Einsatz)",
                "Erfahrung im Bereich (%(num)s Einsätze)",
                row.domain_experience,
            ),
        )

    if row.knows_case:
        add("continuity", 1.0, _("kennt den Fall"))

    add("fair_share", 1.0 / (1 + row.recent_count), _fair_share_text(row, now))
    _place_score(add, request, mediator)

    if request.gender_preference and mediator.gender == request.gender_preference:
        add("preferred_gender", 1.0, _("gewünschtes Geschlecht"))

    _reliability_score(add, row)
    return parts, _notes(request, row)


# --- matching -------------------------------------------------------------------------------------


def _best_rows(request: Any, rows: Iterable[CandidateRow]) -> list[tuple[CandidateRow, bool]]:
    """One row per mediator: the requested language before a related one, then the higher level.
    Rows of unrelated languages are dropped (the loader should not send them)."""
    wanted = request.language_code
    related = related_languages(wanted)
    best: dict[int, tuple[tuple, CandidateRow, bool]] = {}
    for row in rows:
        if row.language_code == wanted:
            is_related = False
        elif row.language_code in related:
            is_related = True
        else:
            continue
        key = (is_related, -_level_rank(row.level), row.language_code)
        mediator_id = row.mediator.id
        if mediator_id not in best or key < best[mediator_id][0]:
            best[mediator_id] = (key, row, is_related)
    return [(row, is_related) for _key, row, is_related in best.values()]


_NEVER = datetime.min.replace(tzinfo=UTC)


def _fair_key(row: CandidateRow) -> tuple:
    """Fewer recent assignments first, then the one asked least recently (never asked first)."""
    return (row.recent_count, row.last_asked_at or _NEVER, row.mediator.id)


def match(
    request: Any,
    rows: Iterable[CandidateRow],
    context: MatchContext,
    *,
    now: datetime,
    excluded_limit: int = EXCLUDED_LIMIT,
) -> MatchResult:
    """Rank the speakers of the request's language: candidates by score (ties by fair share,
    then id), excluded ones closest first (fewest failed filters, then score), at most
    ``excluded_limit`` listed, with counts per reason code over all of them."""
    day = _local(request.starts_at).date()
    evaluations: list[_Evaluation] = []
    for row, related in _best_rows(request, rows):
        failures = _hard_filters(request, row, context, day)
        parts, notes = _scores(request, row, context, related, now)
        evaluations.append(_Evaluation(row, failures, parts, notes, related))

    passing = [e for e in evaluations if not e.failures]
    failing = [e for e in evaluations if e.failures]
    passing.sort(key=lambda e: (-e.score, *_fair_key(e.row)))
    failing.sort(key=lambda e: (len(e.codes), -e.score, *_fair_key(e.row)))

    counts: Counter[str] = Counter()
    for evaluation in failing:
        counts.update(evaluation.codes)

    candidates = [
        Candidate(
            mediator_id=e.row.mediator.id,
            name=e.row.mediator.name,
            score=e.score,
            reasons=e.reasons(),
            related_language=e.related,
            language_code=e.row.language_code,
            level=e.row.level,
            pool_id=e.row.mediator.pool_id,
            pending_offer=e.row.pending_offer,
        )
        for e in passing
    ]
    excluded = [
        Excluded(
            mediator_id=e.row.mediator.id,
            name=e.row.mediator.name,
            reasons=[text for _code, text in e.failures],
            codes=e.codes,
            related_language=e.related,
            score=e.score,
        )
        for e in failing[:excluded_limit]
    ]
    return MatchResult(
        candidates=candidates,
        excluded=excluded,
        excluded_counts=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        excluded_total=len(failing),
    )

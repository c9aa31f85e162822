"""Matching on plain data objects: every hard filter and every soft score, with its reason."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from pool import deployability
from pool.matching import (
    DEFAULT_WEIGHTS,
    Booking,
    CandidateRow,
    MatchContext,
    match,
    weights_for,
)

NOW = datetime(2030, 2, 20, 12, 0, tzinfo=UTC)
# Wednesday, 6 March 2030, 10:00–11:00 in Berlin (CET = UTC+1).
STARTS = datetime(2030, 3, 6, 9, 0, tzinfo=UTC)
DAY = date(2030, 3, 6)

HOME = SimpleNamespace(id=1, name="Landkreis", requires_formal_obligation=True)
PARTNER = SimpleNamespace(id=2, name="Stadt Neustadt", requires_formal_obligation=True)
OTHER = SimpleNamespace(id=3, name="Anderswo", requires_formal_obligation=True)
POOLS = {p.id: p for p in (HOME, PARTNER, OTHER)}

CONFIDENTIALITY = SimpleNamespace(
    id=10, code="confidentiality", title="Verschwiegenheit", valid_months=None
)
CONDUCT = SimpleNamespace(id=11, code="code_of_conduct", title="Leitlinien", valid_months=None)
BASIC = SimpleNamespace(
    id=20, code="basic", name="Basisschulung", mandatory=True, active=True, unlocks_domains=[]
)
HEALTH = SimpleNamespace(
    id=21,
    code="health",
    name="Modul Gesundheit",
    mandatory=False,
    active=True,
    unlocks_domains=["health"],
)


def context(**overrides) -> MatchContext:
    values = {
        "deployability": deployability.Context([CONFIDENTIALITY, CONDUCT], [BASIC, HEALTH]),
        "pool_ids": frozenset({HOME.id, PARTNER.id}),
        "weights": dict(DEFAULT_WEIGHTS),
        "travel_buffer_minutes": 30,
    }
    values.update(overrides)
    return MatchContext(**values)


def window(weekday: int, start: time, end: time):
    return SimpleNamespace(weekday=weekday, start=start, end=end)


def record(training, completed_on=date(2029, 1, 1), expires_on=date(2031, 1, 1)):
    return SimpleNamespace(
        training_id=training.id,
        training=training,
        completed_on=completed_on,
        expires_on=expires_on,
    )


def mediator(mediator_id: int = 1, **overrides):
    """A deployable volunteer of the home pool, available on weekdays 8–18, serving Neustadt."""
    values = {
        "id": mediator_id,
        "name": f"Person {mediator_id:03d}",
        "pool_id": HOME.id,
        "kind": "volunteer",
        "status": "active",
        "gender": "female",
        "paused_until": None,
        "absences": [],
        "interview_on": date(2029, 1, 1),
        "confidentiality_signed_on": date(2029, 1, 1),
        "obligation_on": date(2029, 1, 1),
        "acknowledgements": [
            SimpleNamespace(guideline_id=CONFIDENTIALITY.id),
            SimpleNamespace(guideline_id=CONDUCT.id),
        ],
        "training_records": [record(BASIC)],
        "supervisor_release_by": None,
        "supervisor_release_until": None,
        "staff_consent_at": None,
        "police_certificate_seen_on": None,
        "police_certificate_no_entry": False,
        "modes": ["in_person", "phone"],
        "municipalities": ["Neustadt"],
        "travel_km": None,
        "monthly_cap": None,
        "availability": [window(d, time(8), time(18)) for d in range(5)],
    }
    values.update(overrides)
    values["pool"] = POOLS[values["pool_id"]]
    return SimpleNamespace(**values)


def row(mediator_id: int = 1, *, language_code="ar", level="native", dialects=(), **facts):
    mediator_fields = {
        k: facts.pop(k)
        for k in list(facts)
        if k not in CandidateRow.__dataclass_fields__  # everything else describes the mediator
    }
    return CandidateRow(
        mediator=mediator(mediator_id, **mediator_fields),
        language_code=language_code,
        level=level,
        dialects=list(dialects),
        **facts,
    )


def make_request(**overrides):
    values = {
        "id": 500,
        "pool_id": HOME.id,
        "office_id": 7,
        "language_code": "ar",
        "dialect": None,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=60),
        "mode": "in_person",
        "municipality": "Neustadt",
        "domain_code": "social_services",
        "gender_preference": None,
        "gender_required": False,
        "case_ref": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def run(rows, request=None, ctx=None, **kwargs):
    return match(request or make_request(), rows, ctx or context(), now=NOW, **kwargs)


def only_candidate(rows, request=None, ctx=None):
    result = run(rows, request, ctx)
    assert not result.excluded, result.excluded
    assert len(result.candidates) == 1
    return result.candidates[0]


def only_excluded(rows, request=None, ctx=None):
    result = run(rows, request, ctx)
    assert not result.candidates, result.candidates
    assert len(result.excluded) == 1
    return result.excluded[0]


# --- a plain candidate ----------------------------------------------------------------------------


def test_a_deployable_speaker_is_a_candidate_with_the_reasons_of_the_score():
    candidate = only_candidate([row()])
    assert candidate.mediator_id == 1
    assert candidate.reasons == [
        "+3 Muttersprache",
        "+2 keine Einsätze in den letzten 90 Tagen",
        "+1 im Ort: Neustadt",
    ]
    assert candidate.score == 6
    assert candidate.related_language is False


def test_the_reasons_add_up_to_the_score():
    candidate = only_candidate(
        [
            row(
                level="C1",
                recent_count=2,
                domain_experience=1,
                declines=1,
                travel_km=20,
                municipalities=["Altdorf"],
            )
        ]  # fmt: skip
    )
    points = [r.split(" ", 1)[0].replace(",", ".") for r in candidate.reasons]
    assert candidate.score == pytest.approx(sum(float(p) for p in points))


# --- hard filters ---------------------------------------------------------------------------------


def test_a_mediator_of_a_pool_that_does_not_share_is_excluded():
    excluded = only_excluded([row(pool_id=OTHER.id)])
    assert excluded.codes == ["pool"]
    assert excluded.reasons == ["Gehört zu einem Pool, der nicht mit diesem Pool teilt."]


def test_a_mediator_of_a_sharing_pool_is_a_candidate_and_says_where_from():
    candidate = only_candidate([row(pool_id=PARTNER.id)])
    assert "aus dem Pool Stadt Neustadt" in candidate.reasons


def test_status_other_than_active_uses_the_deployability_reason():
    excluded = only_excluded([row(status="paused")])
    assert excluded.codes == ["status_paused"]
    assert excluded.reasons == ["Die Mitarbeit ruht (Status „pausiert“)."]


def test_a_missing_guideline_acknowledgement_excludes():
    excluded = only_excluded([row(acknowledgements=[SimpleNamespace(guideline_id=CONDUCT.id)])])
    assert excluded.codes == ["guideline_missing:confidentiality"]
    assert excluded.reasons == [
        "Die aktuelle Fassung von „Verschwiegenheit“ ist noch nicht bestätigt."
    ]


def test_an_expired_basic_training_excludes():
    expired = record(BASIC, completed_on=date(2027, 1, 1), expires_on=date(2029, 1, 1))
    excluded = only_excluded([row(training_records=[expired])])
    assert excluded.codes == ["training_expired:basic"]
    assert "Basisschulung abgelaufen am" in excluded.reasons[0]


def test_an_absence_on_the_day_excludes():
    absence = SimpleNamespace(start_date=date(2030, 3, 3), end_date=date(2030, 3, 10))
    excluded = only_excluded([row(absences=[absence])])
    assert excluded.codes == ["absent"]
    assert excluded.reasons[0].startswith("Abwesend vom So, 3. März 2030 bis")


def test_an_absence_on_another_day_does_not_exclude():
    absence = SimpleNamespace(start_date=date(2030, 3, 7), end_date=date(2030, 3, 10))
    only_candidate([row(absences=[absence])])


def test_paused_until_the_day_excludes():
    excluded = only_excluded([row(paused_until=DAY)])
    assert excluded.codes == ["paused_until"]
    assert excluded.reasons == ["Pausiert bis Mi, 6. März 2030."]
    only_candidate([row(paused_until=DAY - timedelta(days=1))])


def test_a_domain_training_gates_the_domain():
    request = make_request(domain_code="health")
    excluded = only_excluded([row()], request)
    assert excluded.codes == ["domain_training_missing:health"]
    assert excluded.reasons == ["Für diesen Bereich fehlt: Modul Gesundheit."]
    only_candidate([row(training_records=[record(BASIC), record(HEALTH)])], request)


def test_youth_welfare_needs_the_police_certificate():
    request = make_request(domain_code="youth_welfare")
    excluded = only_excluded([row()], request)
    assert excluded.codes == ["police_certificate_missing"]
    only_candidate(
        [row(police_certificate_seen_on=date(2028, 1, 1), police_certificate_no_entry=True)],
        request,
    )


def test_a_level_below_b1_excludes_and_b1_is_enough():
    excluded = only_excluded([row(level="A2")])
    assert excluded.codes == ["level"]
    assert excluded.reasons == ["Niveau A2 in Arabisch reicht nicht (mindestens B1)."]
    candidate = only_candidate([row(level="B1")])
    assert "+0,6 Niveau B1" in candidate.reasons


def test_the_minimum_level_comes_from_the_context():
    excluded = only_excluded([row(level="B1")], ctx=context(min_level="B2"))
    assert excluded.codes == ["level"]


def test_a_mode_the_mediator_does_not_offer_excludes():
    excluded = only_excluded([row(modes=["in_person"])], make_request(mode="video"))
    assert excluded.codes == ["mode"]
    assert excluded.reasons == ["Nimmt keine Einsätze per Video an."]


def test_a_place_not_served_excludes_unless_the_mediator_travels():
    request = make_request(municipality="Altdorf")
    excluded = only_excluded([row(travel_km=0)], request)
    assert excluded.codes == ["place"]
    assert excluded.reasons == ["Nicht in Altdorf im Einsatz."]
    candidate = only_candidate([row(travel_km=25)], request)
    assert "-1 Anfahrt nach Altdorf nötig (fährt bis 25 km)" in candidate.reasons


def test_the_place_does_not_matter_by_phone():
    candidate = only_candidate([row(municipalities=[])], make_request(mode="phone"))
    assert not any("Ort" in r for r in candidate.reasons)


def test_a_time_outside_the_weekly_windows_excludes():
    windows = [window(2, time(8), time(10, 30))]  # Wednesday 8:00–10:30, request 10:00–11:00
    excluded = only_excluded([row(availability=windows)])
    assert excluded.codes == ["availability"]
    assert excluded.reasons == ["Zu dieser Zeit nicht verfügbar (Mi 10:00–11:00)."]


def test_adjacent_windows_are_one_stretch():
    windows = [window(2, time(8), time(10, 30)), window(2, time(10, 30), time(12))]
    only_candidate([row(availability=windows)])


def test_no_windows_at_all_excludes():
    excluded = only_excluded([row(availability=[])])
    assert excluded.codes == ["availability"]


def test_windows_are_local_time_in_summer_too():
    # 3 July 2030 is a Wednesday; 07:30 UTC is 09:30 in Berlin (CEST).
    starts = datetime(2030, 7, 3, 7, 30, tzinfo=UTC)
    request = make_request(starts_at=starts, ends_at=starts + timedelta(minutes=90))
    only_candidate([row(availability=[window(2, time(9, 30), time(11))])], request)
    excluded = only_excluded([row(availability=[window(2, time(9, 30), time(10, 59))])], request)
    assert excluded.reasons == ["Zu dieser Zeit nicht verfügbar (Mi 09:30–11:00)."]


def test_an_overlapping_assignment_excludes():
    booking = Booking(STARTS - timedelta(minutes=30), STARTS + timedelta(minutes=60), True, 9)
    excluded = only_excluded([row(bookings=[booking])])
    assert excluded.codes == ["booked"]
    assert excluded.reasons == ["Schon gebucht 09:30–11:00."]


def test_the_travel_buffer_separates_in_person_assignments():
    # Ends at 9:40, the request starts at 10:00: 20 minutes are less than the pool's 30.
    booking = Booking(STARTS - timedelta(minutes=80), STARTS - timedelta(minutes=20), True, 9)
    excluded = only_excluded([row(bookings=[booking])])
    assert excluded.codes == ["booked"]
    assert excluded.reasons == ["Schon gebucht 08:40–09:40 (mit 30 Minuten Fahrzeit dazwischen)."]
    only_candidate([row(bookings=[booking])], ctx=context(travel_buffer_minutes=15))


def test_no_travel_buffer_when_one_side_is_by_phone():
    booking = Booking(STARTS - timedelta(minutes=80), STARTS - timedelta(minutes=20), False, 9)
    only_candidate([row(bookings=[booking])])
    in_person = Booking(booking.starts_at, booking.ends_at, True, 9)
    only_candidate([row(bookings=[in_person])], make_request(mode="phone"))


def test_the_assignment_for_this_very_request_is_no_conflict():
    booking = Booking(STARTS, STARTS + timedelta(minutes=60), True, 500)
    only_candidate([row(bookings=[booking])])


def test_the_monthly_cap_excludes_when_reached():
    excluded = only_excluded([row(monthly_cap=4, month_count=4)])
    assert excluded.codes == ["monthly_cap"]
    assert excluded.reasons == ["Monatsgrenze für März 2030 erreicht (4 von 4 Einsätzen)."]
    only_candidate([row(monthly_cap=4, month_count=3)])


def test_a_required_gender_excludes_others():
    request = make_request(gender_preference="male", gender_required=True)
    excluded = only_excluded([row(gender="female")], request)
    assert excluded.codes == ["gender"]
    assert excluded.reasons == ["Ausdrücklich gewünscht ist: ein Mann."]
    candidate = only_candidate([row(gender="male")], request)
    assert "+2 gewünschtes Geschlecht" in candidate.reasons


def test_a_case_exclusion_excludes():
    excluded = only_excluded([row(case_excluded=True)], make_request(case_ref="A-17"))
    assert excluded.codes == ["case_excluded"]
    assert excluded.reasons == ["Für diesen Fall ausgeschlossen (Befangenheit oder Ablehnung)."]


def test_a_pending_offer_for_the_request_is_shown_not_excluded():
    candidate = only_candidate([row(pending_offer=True)])
    assert candidate.pending_offer is True
    assert "hat schon ein Angebot" in candidate.reasons
    assert candidate.score == only_candidate([row()]).score


def test_every_failed_filter_is_listed():
    excluded = only_excluded(
        [row(status="paused", modes=["phone"], monthly_cap=1, month_count=1, case_excluded=True)]
    )
    assert excluded.codes == ["status_paused", "mode", "monthly_cap", "case_excluded"]
    assert len(excluded.reasons) == 4


# --- soft scores ----------------------------------------------------------------------------------


def test_level_points():
    expected = {"native": "+3 Muttersprache", "C2": "+2,4 Niveau C2", "C1": "+1,8 Niveau C1",
                "B2": "+1,2 Niveau B2"}  # fmt: skip
    for level, reason in expected.items():
        assert only_candidate([row(level=level)]).reasons[0] == reason


def test_the_requested_dialect_earns_points_and_another_loses_some():
    request = make_request(dialect="Levantinisch")
    matched = only_candidate([row(dialects=["levantinisch", "Irakisch"])], request)
    assert "+2 Dialekt: Levantinisch" in matched.reasons
    other = only_candidate([row(dialects=["Irakisch"])], request)
    assert "-1 anderer Dialekt (Irakisch)" in other.reasons
    unknown = only_candidate([row(dialects=[])], request)
    assert not any("Dialekt" in r for r in unknown.reasons)
    assert matched.score - unknown.score == 2
    assert unknown.score - other.score == 1


def test_domain_experience():
    three = only_candidate([row(domain_experience=3)])
    assert "+2 Erfahrung im Bereich (3 Einsätze)" in three.reasons
    one = only_candidate([row(domain_experience=1)])
    assert "+1 Erfahrung im Bereich (1 Einsatz)" in one.reasons


def test_continuity_with_the_case():
    candidate = only_candidate([row(knows_case=True)], make_request(case_ref="A-17"))
    assert "+2 kennt den Fall" in candidate.reasons


def test_fair_share_gives_fewer_recent_assignments_more_points():
    candidate = only_candidate([row(recent_count=1)])
    assert "+1 1 Einsatz in den letzten 90 Tagen" in candidate.reasons
    candidate = only_candidate([row(recent_count=3, last_asked_at=NOW - timedelta(days=2))])
    assert "+0,5 3 Einsätze in den letzten 90 Tagen, zuletzt vor 2 Tagen angefragt" in (
        candidate.reasons
    )


def test_same_municipality():
    assert "+1 im Ort: Neustadt" in only_candidate([row()]).reasons


def test_preferred_gender_is_a_bonus_not_a_filter():
    request = make_request(gender_preference="female")
    assert "+2 gewünschtes Geschlecht" in only_candidate([row(gender="female")], request).reasons
    other = only_candidate([row(gender="male")], request)
    assert not any("Geschlecht" in r for r in other.reasons)


def test_reliability():
    candidate = only_candidate([row(declines=2)])
    assert "-1 Zuverlässigkeit: 2 Ablehnungen" in candidate.reasons
    candidate = only_candidate([row(declines=1, late_cancellations=1)])
    assert "-1,5 Zuverlässigkeit: 1 Ablehnung, 1 kurzfristige Absage" in candidate.reasons
    capped = only_candidate([row(late_cancellations=9)])
    assert "-2 Zuverlässigkeit: 9 kurzfristige Absagen" in capped.reasons


def test_the_pool_weights_change_the_points():
    weights = weights_for({"continuity": 5, "level": "viel", "unknown": 3, "fair_share": True})
    assert weights["continuity"] == 5
    assert weights["level"] == DEFAULT_WEIGHTS["level"]
    assert weights["fair_share"] == DEFAULT_WEIGHTS["fair_share"]
    assert "unknown" not in weights
    candidate = only_candidate([row(knows_case=True)], ctx=context(weights=weights))
    assert "+5 kennt den Fall" in candidate.reasons
    silent = weights_for({"same_municipality": 0})
    assert not any(
        "im Ort" in r for r in only_candidate([row()], ctx=context(weights=silent)).reasons
    )


def test_scores_decide_the_order():
    rows = [row(1, level="B2"), row(2, knows_case=True), row(3)]
    result = run(rows, make_request(case_ref="A-17"))
    assert [c.mediator_id for c in result.candidates] == [2, 3, 1]


# --- related languages ----------------------------------------------------------------------------


def test_a_related_language_is_a_weaker_candidate_with_a_reason():
    request = make_request(language_code="fa")
    rows = [row(1, language_code="prs"), row(2, language_code="fa")]
    result = run(rows, request)
    assert [c.mediator_id for c in result.candidates] == [2, 1]
    related = result.candidates[1]
    assert related.related_language is True
    assert "-3 verwandte Sprache: Dari statt Persisch" in related.reasons
    assert result.candidates[0].score - related.score == 3


def test_kurdish_varieties_are_related():
    result = run([row(1, language_code="kmr")], make_request(language_code="ckb"))
    assert result.candidates[0].related_language is True
    assert "verwandte Sprache: Kurmandschi statt Zentralkurdisch" in result.candidates[0].reasons[1]


def test_a_speaker_of_both_counts_once_with_the_requested_language():
    request = make_request(language_code="fa")
    both = [row(1, language_code="prs"), row(1, language_code="fa", level="C1")]
    candidate = only_candidate(both, request)
    assert candidate.related_language is False
    assert candidate.language_code == "fa"


def test_unrelated_languages_are_ignored():
    assert run([row(1, language_code="tr")]).candidates == []


# --- determinism and the excluded list ------------------------------------------------------------


def test_the_same_inputs_give_the_same_order():
    rows = [row(i, recent_count=i % 3, level=("native", "C1")[i % 2]) for i in range(1, 30)]
    rows += [row(i, status="paused") for i in range(30, 40)]
    first = run(rows)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    second = run(shuffled)
    assert first == second


def test_ties_are_broken_by_fair_share_then_id():
    # Equal scores and no recent assignments: never asked first, then the longest ago.
    rows = [
        row(5),
        row(3),
        row(1, last_asked_at=NOW - timedelta(days=20)),
        row(4, last_asked_at=NOW - timedelta(days=40)),
    ]
    result = run(rows)
    assert len({c.score for c in result.candidates}) == 1
    assert [c.mediator_id for c in result.candidates] == [3, 5, 4, 1]


def test_at_most_fifty_excluded_closest_first_with_counts_for_all():
    rows = [row(i, status="paused", modes=["phone"]) for i in range(1, 41)]  # two failures
    rows += [row(i, monthly_cap=0) for i in range(41, 71)]  # one failure
    result = run(rows)
    assert result.candidates == []
    assert len(result.excluded) == 50
    assert result.excluded_total == 70
    assert [e.mediator_id for e in result.excluded[:30]] == list(range(41, 71))
    assert all(e.codes == ["status_paused", "mode"] for e in result.excluded[30:])
    assert result.excluded_counts == {"status_paused": 40, "mode": 40, "monthly_cap": 30}


def test_among_excluded_the_better_score_comes_first():
    rows = [row(1, status="paused", level="B2"), row(2, status="paused")]
    result = run(rows)
    assert [e.mediator_id for e in result.excluded] == [2, 1]

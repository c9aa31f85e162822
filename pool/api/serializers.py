"""JSON shapes of API objects; keep them in step with the schemas in pool/api/openapi.py."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pool.deployability import Deployability
from pool.matching import MatchResult
from pool.models import (
    Absence,
    Assignment,
    AvailabilityWindow,
    GuidelineAcknowledgement,
    InterpretingRequest,
    Mediator,
    Offer,
    Office,
    Pool,
    TrainingRecord,
    User,
)
from pool.services.booking import outcome_differences


def me_json(user: User) -> dict[str, Any]:
    # The pools the user's roles are scoped to: a coordinator's or mediator's pool, a caseworker's
    # office's pool. An admin's role is not scoped to a pool.
    pool_ids = {r.pool_id for r in user.roles if r.pool_id is not None}
    pool_ids |= {r.office.pool_id for r in user.roles if r.office is not None}
    office_ids = user.caseworker_office_ids
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": user.role_names,
        "pool_ids": sorted(pool_ids),
        "office_id": office_ids[0] if office_ids else None,
        "mediator_id": _own_mediator_id(user),
    }


def _own_mediator_id(user: User) -> int | None:
    from pool.db import db_session
    from pool.permissions import own_mediator

    mediator = own_mediator(db_session(), user)
    return mediator.id if mediator is not None else None


def pool_json(pool: Pool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "kind": pool.kind,
        "federal_state": pool.federal_state,
        "shares_with": sorted(partner.id for partner in pool.shares_with),
    }


def office_json(office: Office) -> dict[str, Any]:
    return {
        "id": office.id,
        "name": office.name,
        "pool_id": office.pool_id,
        "active": office.active,
    }


# --- mediators ------------------------------------------------------------------------------------


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def training_record_json(record: TrainingRecord) -> dict[str, Any]:
    return {
        "training_code": record.training.code,
        "completed_on": _day(record.completed_on),
        "expires_on": _day(record.expires_on),
    }


def acknowledgement_json(acknowledgement: GuidelineAcknowledgement) -> dict[str, Any]:
    return {
        "guideline_code": acknowledgement.guideline.code,
        "version": acknowledgement.guideline.version,
        "acknowledged_at": acknowledgement.acknowledged_at.isoformat(),
    }


def window_json(window: AvailabilityWindow) -> dict[str, Any]:
    return {"weekday": window.weekday, "start": _clock(window.start), "end": _clock(window.end)}


def absence_json(absence: Absence) -> dict[str, Any]:
    return {
        "start_date": _day(absence.start_date),
        "end_date": _day(absence.end_date),
        "note": absence.note,
    }


def availability_json(mediator: Mediator) -> dict[str, Any]:
    return {
        "weekly": [window_json(w) for w in mediator.availability],
        "absences": [absence_json(a) for a in mediator.absences],
        "paused_until": _day(mediator.paused_until),
    }


def mediator_json(mediator: Mediator) -> dict[str, Any]:
    """The whole record as docs/api.md describes it, plus ``travel_km``, the staff fields and the
    checks ``obligation_on`` and ``police_certificate_no_entry``. Coordinators' internal notes
    are not part of the API."""
    acknowledgements = sorted(
        mediator.acknowledgements, key=lambda a: (a.acknowledged_at, a.guideline.code)
    )
    return {
        "id": mediator.id,
        "name": mediator.name,
        "email": mediator.email,
        "phone": mediator.phone,
        "kind": mediator.kind,
        "pool_id": mediator.pool_id,
        "status": mediator.status,
        "gender": mediator.gender,
        "german_level": mediator.german_level,
        "languages": [
            {"code": row.language_code, "level": row.level, "dialects": list(row.dialects or [])}
            for row in mediator.languages
        ],
        "domains": mediator.domain_codes,
        "modes": mediator.modes,
        "municipalities": list(mediator.municipalities or []),
        "travel_km": mediator.travel_km,
        "monthly_cap": mediator.monthly_cap,
        "employing_office_id": mediator.employing_office_id,
        "supervisor_release_by": mediator.supervisor_release_by,
        "supervisor_release_until": _day(mediator.supervisor_release_until),
        "checks": {
            "interview_on": _day(mediator.interview_on),
            "confidentiality_signed_on": _day(mediator.confidentiality_signed_on),
            "obligation_on": _day(mediator.obligation_on),
            "police_certificate_seen_on": _day(mediator.police_certificate_seen_on),
            "police_certificate_no_entry": mediator.police_certificate_no_entry,
        },
        "trainings": [training_record_json(r) for r in mediator.training_records],
        "acknowledgements": [acknowledgement_json(a) for a in acknowledgements],
        "availability": availability_json(mediator),
    }


def deployability_json(result: Deployability, on: date) -> dict[str, Any]:
    return {
        "deployable": result.deployable,
        "on": on.isoformat(),
        "reasons": [reason.text for reason in result.reasons],
        "reason_codes": result.codes,
    }


# --- requests, offers, assignments ----------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    """An aware timestamp in ISO 8601 with its offset (stored values are UTC)."""
    return value.isoformat() if value is not None else None


def _office_ref(office: Office) -> dict[str, Any]:
    return {"id": office.id, "name": office.name, "phone": office.phone}


def assignment_json(assignment: Assignment, *, view: str = "manage") -> dict[str, Any]:
    """An assignment for ``view``: "manage" (coordination), "office" (caseworkers of the office)
    or "mediator" (its mediator, who does not see the office's feedback)."""
    office_report = None
    if assignment.office_outcome is not None:
        office_report = {
            "outcome": assignment.office_outcome,
            "duration_minutes": assignment.office_duration_minutes,
        }
    mediator_report = None
    if assignment.mediator_outcome is not None:
        mediator_report = {
            "outcome": assignment.mediator_outcome,
            "duration_minutes": assignment.mediator_duration_minutes,
            "travel_km": assignment.travel_km,
        }
    body: dict[str, Any] = {
        "id": assignment.id,
        "request_id": assignment.request_id,
        "mediator_id": assignment.mediator_id,
        "mediator_name": assignment.mediator.name,
        "offer_id": assignment.offer_id,
        "status": assignment.status,
        "starts_at": _moment(assignment.starts_at),
        "ends_at": _moment(assignment.ends_at),
        "in_person": assignment.in_person,
        "assign_reason": assignment.assign_reason,
        "created_at": _moment(assignment.created_at),
        "cancelled_at": _moment(assignment.cancelled_at),
        "cancelled_by": assignment.cancelled_by,
        "cancel_reason": assignment.cancel_reason,
        "conflict_of_interest": assignment.conflict_of_interest,
        "short_notice": assignment.short_notice,
        "completed_at": _moment(assignment.completed_at),
        "office_report": office_report,
        "mediator_report": mediator_report,
        "outcome_differences": outcome_differences(assignment),
    }
    if view != "mediator":
        body["feedback"] = (
            {"rating": assignment.feedback_rating, "text": assignment.feedback_text}
            if assignment.feedback_rating is not None or assignment.feedback_text
            else None
        )
    return body


def request_json(
    item: InterpretingRequest, *, view: str = "manage", mediator_id: int | None = None
) -> dict[str, Any]:
    """A request for ``view``: "manage" and "office" see everything; "mediator" (the mediator it
    is offered or assigned to, ``mediator_id``) sees neither the case reference nor the notes,
    and the assignment only when it is their own."""
    assignment = item.active_assignment
    if view == "mediator" and assignment is not None and assignment.mediator_id != mediator_id:
        assignment = None
    body: dict[str, Any] = {
        "id": item.id,
        "pool_id": item.pool_id,
        "office_id": item.office_id,
        "office": _office_ref(item.office),
        "series_id": item.series_id,
        "status": item.status,
        "language": item.language_code,
        "dialect": item.dialect,
        "starts_at": _moment(item.starts_at),
        "ends_at": _moment(item.ends_at),
        "duration_minutes": item.duration_minutes,
        "mode": item.mode,
        "municipality": item.municipality,
        "address": item.address,
        "domain": item.domain_code,
        "setting": item.setting,
        "gender_preference": item.gender_preference,
        "gender_required": item.gender_required,
        "urgent": item.urgent,
        "urgent_reason": item.urgent_reason,
        "professional_present": item.professional_present,
        "candidates_at_intake": item.candidates_at_intake,
        "unfillable_reason": item.unfillable_reason,
        "cancel_reason": item.cancel_reason,
        "cancelled_by": item.cancelled_by,
        "cancelled_at": _moment(item.cancelled_at),
        "short_notice_cancellation": item.short_notice_cancellation,
        "created_at": _moment(item.created_at),
        "updated_at": _moment(item.updated_at),
        "assigned_at": _moment(item.assigned_at),
        "assignment": (
            assignment_json(assignment, view="mediator" if view == "mediator" else view)
            if assignment is not None
            else None
        ),
    }
    if view != "mediator":
        body["case_ref"] = item.case_ref
        body["notes"] = item.notes
    return body


def request_summary_json(item: InterpretingRequest) -> dict[str, Any]:
    """What an offer shows of its request: everything needed to decide, no client data (no case
    reference, no notes)."""
    return {
        "starts_at": _moment(item.starts_at),
        "ends_at": _moment(item.ends_at),
        "duration_minutes": item.duration_minutes,
        "mode": item.mode,
        "municipality": item.municipality,
        "address": item.address,
        "office": _office_ref(item.office),
        "domain": item.domain_code,
        "setting": item.setting,
        "language": item.language_code,
        "dialect": item.dialect,
        "urgent": item.urgent,
    }


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "request_id": offer.request_id,
        "mediator_id": offer.mediator_id,
        "mediator_name": offer.mediator.name,
        "status": offer.status,
        "expires_at": _moment(offer.expires_at),
        "created_at": _moment(offer.created_at),
        "responded_at": _moment(offer.responded_at),
        "decline_reason": offer.decline_reason,
        "request": request_summary_json(offer.request),
    }


def candidates_json(result: MatchResult) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "mediator_id": c.mediator_id,
                "name": c.name,
                "score": c.score,
                "reasons": list(c.reasons),
                "language": c.language_code,
                "level": c.level,
                "related_language": c.related_language,
                "pool_id": c.pool_id,
                "pending_offer": c.pending_offer,
            }
            for c in result.candidates
        ],
        "excluded": [
            {
                "mediator_id": e.mediator_id,
                "name": e.name,
                "reasons": list(e.reasons),
                "reason_codes": list(e.codes),
                "related_language": e.related_language,
            }
            for e in result.excluded
        ],
        "excluded_counts": dict(result.excluded_counts),
        "excluded_total": result.excluded_total,
    }

"""JSON shapes of API objects; keep them in step with the schemas in pool/api/openapi.py."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from pool.deployability import Deployability
from pool.models import (
    Absence,
    AvailabilityWindow,
    GuidelineAcknowledgement,
    Mediator,
    Office,
    Pool,
    TrainingRecord,
    User,
)


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
    """The whole record as API.md describes it, plus ``travel_km``, the staff fields and the
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

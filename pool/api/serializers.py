"""JSON shapes of API objects; keep them in step with the schemas in pool/api/openapi.py."""

from __future__ import annotations

from typing import Any

from pool.models import Office, Pool, User


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
        # The mediator record arrives with the mediators issue; no account has one yet.
        "mediator_id": None,
    }


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

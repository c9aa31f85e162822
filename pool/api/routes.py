"""API v1 endpoints."""

from __future__ import annotations

from flask_login import current_user, login_required

from pool.api import bp


@bp.get("/me")
@login_required
def me():
    user = current_user
    pool_ids = sorted({r.pool_id for r in user.roles if r.pool_id} |
                      {r.office.pool_id for r in user.roles if r.office is not None})
    office_ids = user.caseworker_office_ids
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": user.role_names,
        "pool_ids": pool_ids,
        "office_id": office_ids[0] if office_ids else None,
        "mediator_id": None,
    }

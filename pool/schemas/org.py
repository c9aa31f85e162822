"""The organisation: pools, offices, the signed-in user and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from pool.enums import PoolKind, Role
from pool.models.org import FEDERAL_STATES
from pool.schemas.base import Body, OptionalMoment, Read, Text, doc

TOKEN_NAME_LENGTH = 100


class Pool(Read):
    id: int = Field(ge=1)
    name: str
    kind: PoolKind
    federal_state: str = Field(
        json_schema_extra={"enum": sorted(FEDERAL_STATES), "x-description-de": "Bundesland."},
        description="ISO 3166-2:DE subdivision code without the `DE-` prefix.",
    )
    shares_with: list[Annotated[int, Field(ge=1)]] = Field(
        **doc(
            "Ids of the pools this pool shares its mediators with.",
            "Die Pools, mit denen dieser Pool seine Personen teilt.",
        )
    )

    @classmethod
    def of(cls, pool: Any) -> Pool:
        return cls(
            id=pool.id,
            name=pool.name,
            kind=pool.kind,
            federal_state=pool.federal_state,
            shares_with=sorted(partner.id for partner in pool.shares_with),
        )


class Office(Read):
    id: int = Field(ge=1)
    name: str
    pool_id: int = Field(ge=1)
    active: bool

    @classmethod
    def of(cls, office: Any) -> Office:
        return cls(id=office.id, name=office.name, pool_id=office.pool_id, active=office.active)


class Me(Read):
    id: int = Field(ge=1)
    email: str
    name: str
    roles: list[Role]
    pool_ids: list[Annotated[int, Field(ge=1)]] = Field(
        **doc(
            "The pools the user's roles are scoped to: a coordinator's or mediator's pool, the "
            "pool of a caseworker's office. Empty for an admin only (the admin role is not "
            "scoped to a pool).",
            "Die Pools der Rollen des Kontos.",
        )
    )
    office_id: int | None = Field(
        ge=1, **doc("The caseworker's office, or null.", "Die Dienststelle der Sachbearbeitung.")
    )
    mediator_id: int | None = Field(
        ge=1, **doc("The user's mediator record, or null.", "Der Eintrag als dolmetschende Person.")
    )

    @classmethod
    def of(cls, user: Any, mediator_id: int | None) -> Me:
        # The pools the user's roles are scoped to: a coordinator's or mediator's pool, a
        # caseworker's office's pool. An admin's role is not scoped to a pool.
        pool_ids = {r.pool_id for r in user.roles if r.pool_id is not None}
        pool_ids |= {r.office.pool_id for r in user.roles if r.office is not None}
        office_ids = user.caseworker_office_ids
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            roles=user.role_names,
            pool_ids=sorted(pool_ids),
            office_id=office_ids[0] if office_ids else None,
            mediator_id=mediator_id,
        )


class TokenCreate(Body):
    """A new API token of the profile page."""

    name: Text(TOKEN_NAME_LENGTH) = Field(
        **doc("What the token is for.", "Wofür das Token gedacht ist.")
    )


class Token(Read):
    id: int = Field(ge=1)
    name: str
    created_at: datetime
    last_used_at: OptionalMoment

"""The hotline: who is reachable by phone now, a mediator's switch, recording a call."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from pool.enums import MediatorKind
from pool.languages import is_known
from pool.schemas.base import (
    Body,
    Id,
    OptionalId,
    OptionalMoment,
    OptionalTimestamp,
    Query,
    Read,
    doc,
    problem,
)


def _hotline_language(value: Any) -> str:
    if not is_known(value):
        raise problem("Must be a language code.")
    return value


HotlineLanguage = Annotated[
    str, BeforeValidator(_hotline_language), WithJsonSchema({"type": "string"})
]


class HotlineQuery(Query):
    language: HotlineLanguage


class ReachableInput(Body):
    until: OptionalTimestamp = Field(
        **doc(
            "Reachable from now until this moment (with an offset, within 24 hours); null "
            "switches off.",
            "Erreichbar von jetzt bis dahin (höchstens 24 Stunden); leer schaltet ab.",
        )
    )


class HotlineCallInput(Body):
    mediator_id: Id
    language: HotlineLanguage
    office_id: OptionalId = Field(
        default=None,
        **doc("The caller's office (default: their first).", "Die eigene Dienststelle."),
    )


class HotlineEntry(Read):
    mediator_id: int
    name: str
    kind: MediatorKind
    phone: str | None = Field(
        **doc(
            "Staff: their office's number; volunteers: their own only with their consent, else "
            "the pool's hotline number.",
            "Mitarbeitende: Nummer der Dienststelle; Ehrenamtliche: die eigene nur mit "
            "Einwilligung, sonst die Hotline des Pools.",
        )
    )


class HotlineList(Read):
    items: list[HotlineEntry]


class Reachable(Read):
    mediator_id: int
    reachable_from: OptionalMoment
    reachable_until: OptionalMoment

"""What the OpenAPI document cannot learn from the routes and schemas: each operation's id,
summary, description, tag, and which schemas its query, body and answers use.

``@operation(...)`` goes right below the route decorator; pool/api/openapi.py reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

# Answers of errors every operation of a kind may give (names of components/responses).
READ_ERRORS = ("401", "403", "404")
WRITE_ERRORS = ("400", "401", "403", "404", "415", "422")


@dataclass(frozen=True)
class Answer:
    description: str
    schema: type[BaseModel] | None = None
    # A page of ``schema`` items: ``{"items": [...], "next": cursor}``.
    page: bool = False
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    tag: str
    description: str | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    answers: dict[str, Answer] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    public: bool = False
    # Described in place of a generic error answer, e.g. a 409 with its meaning.
    error_descriptions: dict[str, str] = field(default_factory=dict)
    intake: bool = False


def operation(**kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    spec = Operation(**kwargs)

    def attach(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi = spec  # type: ignore[attr-defined]
        return view

    return attach

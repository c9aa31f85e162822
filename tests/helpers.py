"""Small helpers shared by tests."""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from pool.models import (
    Assignment,
    InterpretingRequest,
    Mediator,
    Offer,
    OutboxMessage,
    Pool,
    User,
)

LINK_RE = re.compile(r"http://localhost(/password/set/[A-Za-z0-9_\-]+)")


def fresh(db) -> None:
    """Forget what the test session has loaded and end its transaction, so that the next read
    sees what requests committed (on SQLite a transaction keeps its first snapshot)."""
    db.rollback()
    db.expire_all()


def get_user(db, email: str) -> User:
    fresh(db)
    return db.scalars(select(User).where(User.email == email)).one()


def outbox_for(db, email: str) -> list[OutboxMessage]:
    fresh(db)
    return list(
        db.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
        )
    )


def link_in(message: OutboxMessage) -> str:
    match = LINK_RE.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def existing_ids(db) -> dict[str, list[int]]:
    """Ids of the data per path parameter of the API, so that calls reach real objects, not only
    404."""
    models = {
        "mediator_id": Mediator,
        "request_id": InterpretingRequest,
        "offer_id": Offer,
        "assignment_id": Assignment,
        "pool_id": Pool,
    }
    return {name: list(db.scalars(select(model.id))) for name, model in models.items()}


# Not counted: transaction control, savepoints and SQLite's settings.
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


@contextmanager
def counting_statements(engine):
    """The SQL statements run on ``engine`` meanwhile."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)

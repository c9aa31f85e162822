"""`flask seed-demo --mediators N --requests M`: large demo data sets by bulk inserts.

Decision: the options give totals, not increments. A run tops the bulk data up to N mediators and
M requests; a second run with the same numbers adds nothing and says so.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from pool.demo import BULK_CASE_REF, BULK_EMAIL
from pool.models import Assignment, InterpretingRequest, Mediator, MediatorLanguage


def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def counts(db) -> dict[str, int]:
    db.rollback()  # a fresh snapshot
    bulk = Mediator.email.like(BULK_EMAIL.format("%"))
    bulk_request = InterpretingRequest.case_ref.like(BULK_CASE_REF + "%")
    by_status = dict(
        db.execute(
            select(InterpretingRequest.status, func.count())
            .where(bulk_request)
            .group_by(InterpretingRequest.status)
        ).all()
    )
    return {
        "mediators": db.scalar(select(func.count()).where(bulk)),
        "deployable": db.scalar(select(func.count()).where(bulk, Mediator.deployable)),
        "without_language": db.scalar(
            select(func.count()).where(bulk, ~Mediator.id.in_(select(MediatorLanguage.mediator_id)))
        ),
        "completed": by_status.get("completed", 0),
        "open": by_status.get("open", 0),
        "assignments": db.scalar(
            select(func.count(Assignment.id))
            .join(InterpretingRequest, Assignment.request_id == InterpretingRequest.id)
            .where(bulk_request, Assignment.status == "completed")
        ),
    }


def test_seed_demo_creates_the_asked_numbers_quickly_and_only_once(app, db):
    started = time.perf_counter()
    output = seed(app, "--mediators", "120", "--requests", "2500")
    elapsed = time.perf_counter() - started

    assert "Bulk data added: 120 mediators, 2,500 requests." in output
    assert "koordination@demo.example" in output  # the demo logins are listed as always
    found = counts(db)
    assert found == {
        "mediators": 120,
        "deployable": 120,
        "without_language": 0,
        "completed": 2497,
        "open": 3,  # one in a thousand is open and ahead
        "assignments": 2497,  # every past request was done by a bulk mediator
    }
    # The ordinary demo data came along: the coordinator's pool and its demo mediators.
    assert db.scalar(select(func.count(Mediator.id))) > 120
    assert elapsed < 60

    output = seed(app, "--mediators", "120", "--requests", "2500")
    assert "Bulk data already present." in output
    assert counts(db) == found

    # Larger numbers top the data up.
    output = seed(app, "--mediators", "150", "--requests", "2600")
    assert "Bulk data added: 30 mediators, 100 requests." in output
    assert counts(db)["mediators"] == 150
    assert counts(db)["completed"] + counts(db)["open"] == 2600


def test_seed_demo_without_options_loads_only_the_demo_data(app, db):
    output = seed(app)
    assert "Demo data loaded." in output
    bulk = Mediator.email.like(BULK_EMAIL.format("%"))
    assert db.scalar(select(func.count()).where(bulk)) == 0
    assert "Demo data already present." in seed(app)


def test_requests_without_mediators_is_refused(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--requests", "10"])
    assert result.exit_code != 0
    assert "--requests needs --mediators" in result.output

"""schemathesis against /api/v1/openapi.json: the API keeps to its own description.

Every operation of the OpenAPI document is called with generated (valid and invalid) input as a
coordinator and as a caseworker; responses must not be server errors and must match the documented
status codes, content types and schemas. The hypothesis profile (tests/conftest.py) keeps it small.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from pool.db import utcnow
from pool.demo import load_demo_data
from pool.models import User
from pool.services.accounts import create_api_token
from tests.helpers import existing_ids

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def bearer_token(app, db, email: str) -> str:
    user = db.scalars(select(User).where(User.email == email)).one()
    with app.app_context():
        secret = create_api_token(db, user, "schemathesis", now=utcnow())
    db.commit()
    return secret


def check_operation(operation, headers: dict[str, str], ids: dict[str, list[int]]) -> None:
    @given(case=operation.as_strategy(), data=st.data())
    def call(case, data):
        for name, generated in (case.path_parameters or {}).items():
            if ids.get(name):
                choice = st.sampled_from(ids[name]) | st.just(generated)
                case.path_parameters[name] = data.draw(choice, label=name)
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


@pytest.mark.parametrize("role", ["coordinator", "caseworker"])
def test_api_keeps_to_its_openapi_document(app, db, demo, role):
    with app.test_request_context():
        load_demo_data(db, now=utcnow(), registry=True)  # mediators, requests, offers, bookings
    db.commit()
    ids = existing_ids(db)
    headers = {"Authorization": f"Bearer {bearer_token(app, db, demo.by_role[role])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            check_operation(operation, headers, ids)
        except Exception as exc:  # collect every operation's failure, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)

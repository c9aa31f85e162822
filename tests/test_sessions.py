"""Server-side sessions: a session cookie is worth nothing once its session ended (signed out,
signed out everywhere, new password, deactivated, idle too long, too old); the profile lists the
user's sessions and ends any one of them; checking a session costs one statement."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from pool.db import utcnow
from pool.models import UserSession
from pool.security import hash_secret
from tests.conftest import csrf_token, login
from tests.helpers import counting_statements, fresh, get_user, text

COOKIE = "pool_session"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def signed_in(app, email: str, user_agent: str = FIREFOX):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert login(client, email).status_code == 302
    return client


def copy_of(app, client):
    """Another client with the same session cookie: a copied cookie, replayed."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def refused(client) -> bool:
    """The profile sends the client to the sign-in page, and a rename is not carried out."""
    page = client.get("/profile")
    return page.status_code == 302 and "/login" in page.headers["Location"]


def rename(client, token: str, name: str):
    return client.post("/profile", data={"csrf_token": token, "name": name, "locale": "de"})


def test_a_cookie_replayed_after_sign_out_is_refused(app, demo, db):
    owner = signed_in(app, demo.caseworker)
    token = csrf_token(owner, "/profile")
    thief = copy_of(app, owner)
    assert thief.get("/profile").status_code == 200  # the copy works while the session lives
    owner.post("/logout", data={"csrf_token": token})

    assert refused(thief)
    answer = rename(thief, token, "Übernommen")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert get_user(db, demo.caseworker).name != "Übernommen"
    fresh(db)
    assert db.scalars(select(UserSession)).all() == []


def test_sign_out_everywhere_ends_every_session(app, demo, db):
    office = signed_in(app, demo.coordinator)
    home = signed_in(app, demo.coordinator, PHONE)
    home.post("/logout/everywhere", data={"csrf_token": csrf_token(home, "/profile")})
    assert refused(office) and refused(home)


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, demo, db):
    office = signed_in(app, demo.mediator)
    home = signed_in(app, demo.mediator, PHONE)
    new = "Zwiebel Kutsche Regenschirm 93"
    answer = home.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(home, "/profile"),
            "current": demo.password,
            "password": new,
            "confirm": new,
        },
    )
    assert answer.status_code == 302
    assert refused(office)
    assert home.get("/profile").status_code == 200


def test_deactivation_ends_every_session(app, demo, db, login_as):
    victim = signed_in(app, demo.caseworker)
    admin = login_as("admin")
    user = get_user(db, demo.caseworker)
    answer = admin.post(
        f"/admin/users/{user.id}/deactivate",
        data={"csrf_token": csrf_token(admin, f"/admin/users/{user.id}/edit")},
    )
    assert answer.status_code == 302
    assert refused(victim)


def age_sessions(db, email: str, *, idle: timedelta | None = None, age: timedelta | None = None):
    user = get_user(db, email)
    values = {}
    if idle is not None:
        values["last_seen_at"] = utcnow() - idle
    if age is not None:
        values["expires_at"] = utcnow() + timedelta(hours=12) - age
    db.execute(update(UserSession).where(UserSession.user_id == user.id).values(**values))
    db.commit()


@pytest.mark.parametrize(
    ("role", "idle", "still_in"),
    [
        ("coordinator", timedelta(minutes=59), True),
        ("coordinator", timedelta(minutes=61), False),
        ("admin", timedelta(minutes=61), False),
        ("caseworker", timedelta(minutes=61), True),
        ("caseworker", timedelta(hours=7, minutes=59), True),
        ("mediator", timedelta(hours=8, minutes=1), False),
    ],
)
def test_the_idle_timeout_is_shorter_for_coordination_and_administration(
    app, demo, db, role, idle, still_in
):
    client = signed_in(app, demo.by_role[role])
    age_sessions(db, demo.by_role[role], idle=idle)
    assert refused(client) is not still_in


def test_a_session_ends_after_its_absolute_lifetime_even_when_used(app, demo, db):
    client = signed_in(app, demo.caseworker)
    age_sessions(db, demo.caseworker, idle=timedelta(0), age=timedelta(hours=12, seconds=1))
    assert refused(client)


def test_use_keeps_a_session_alive_and_is_noted_once_a_minute(app, demo, db):
    client = signed_in(app, demo.coordinator)
    age_sessions(db, demo.coordinator, idle=timedelta(minutes=50))
    assert client.get("/profile").status_code == 200
    fresh(db)
    (seen,) = db.scalars(select(UserSession.last_seen_at)).all()
    assert utcnow() - seen < timedelta(minutes=1)
    # 50 more minutes later the session is alive: the request above counted as use.
    age_sessions(db, demo.coordinator, idle=timedelta(minutes=50))
    assert client.get("/profile").status_code == 200


def test_the_profile_lists_the_sessions_and_ends_one_from_another(app, demo, db):
    office = signed_in(app, demo.caseworker)
    phone = signed_in(app, demo.caseworker, PHONE)
    page = text(office.get("/profile"))
    assert "Firefox, Windows" in page and "Chrome, Android" in page
    assert "(dieses Gerät)" in page
    assert page.count("/profile/sessions/") == 1  # the other device only
    fresh(db)
    phone_id = db.scalars(
        select(UserSession.id).where(UserSession.device == "Chrome, Android")
    ).one()
    assert f"/profile/sessions/{phone_id}/end" in page

    answer = office.post(
        f"/profile/sessions/{phone_id}/end", data={"csrf_token": csrf_token(office, "/profile")}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/profile")
    assert refused(phone)
    page = text(office.get("/profile"))
    assert "Das Gerät ist abgemeldet." in page and "Chrome, Android" not in page


def test_ending_this_devices_session_from_the_list_signs_it_out(app, demo, db):
    client = signed_in(app, demo.caseworker)
    fresh(db)
    (own,) = db.scalars(select(UserSession.id)).all()
    answer = client.post(
        f"/profile/sessions/{own}/end", data={"csrf_token": csrf_token(client, "/profile")}
    )
    assert "/login" in answer.headers["Location"]
    assert refused(client)


def test_someone_elses_session_cannot_be_ended(app, demo, db):
    victim = signed_in(app, demo.coordinator)
    other = signed_in(app, demo.caseworker)
    fresh(db)
    coordinator = get_user(db, demo.coordinator)
    theirs = db.scalars(select(UserSession.id).where(UserSession.user_id == coordinator.id)).one()
    answer = other.post(
        f"/profile/sessions/{theirs}/end", data={"csrf_token": csrf_token(other, "/profile")}
    )
    assert answer.status_code == 404
    assert victim.get("/profile").status_code == 200


def test_the_cookie_holds_the_session_secret_and_only_its_hash_is_stored(app, demo, db):
    client = signed_in(app, demo.caseworker)
    cookie = client.get_cookie(COOKIE).value
    fresh(db)
    (stored,) = db.scalars(select(UserSession.token_hash)).all()
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    secret = data["_user_id"]
    assert len(secret) >= 40 and ":" not in secret  # a random secret, not "<user id>:<version>"
    assert hash_secret(secret) == stored


# --- the cost of checking --------------------------------------------------------------------------


def test_checking_the_session_is_one_statement(app, demo, db):
    client = signed_in(app, demo.caseworker)
    client.get("/profile")
    with counting_statements(app.extensions["pool_db"].engine) as seen:
        assert client.get("/profile").status_code == 200
    about_sessions = [s for s in seen if "user_sessions" in s]
    # The profile itself lists the sessions; the check is the one statement that joins the user.
    checks = [s for s in about_sessions if re.search(r"JOIN users", s)]
    assert len(checks) == 1, checks
    assert "user_roles" in checks[0]  # the roles come in the same statement
    assert not [s for s in seen if re.match(r"\s*SELECT .* FROM users\b", s, re.S)]
    assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE")]  # seen just now


def test_a_kept_page_is_not_served_to_an_ended_session(app, demo, db):
    owner = signed_in(app, demo.coordinator)
    owner.get("/")  # the first page after signing in changes the cookie: not kept
    owner.get("/")
    with counting_statements(app.extensions["pool_db"].engine) as seen:
        kept = owner.get("/")
    assert kept.status_code == 200
    assert len(seen) == 1 and "user_sessions" in seen[0] and "data_version" in seen[0]
    thief = copy_of(app, owner)
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/profile")})
    answer = thief.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_bearer_tokens_work_as_before(app, demo, db):
    from pool.services import accounts

    user = get_user(db, demo.caseworker)
    secret = accounts.create_api_token(db, user, "Fachverfahren", now=utcnow())
    db.commit()
    answer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.get_json()["email"] == demo.caseworker

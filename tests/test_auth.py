"""Sign-in, sign-out, sessions, password links, profile and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pool import create_app
from pool.db import utcnow
from pool.models import ApiToken, AuditEvent, LoginFailure
from pool.services import users as user_service
from tests.conftest import app_config, csrf_token, login
from tests.helpers import fresh, get_user, link_in, outbox_for, text

STRONG = "Kaffee mit Milch und Zucker"


@pytest.mark.parametrize("role", ["admin", "coordinator", "caseworker", "mediator"])
def test_each_demo_role_signs_in_and_sees_its_start_page(client, demo, role):
    response = login(client, demo.by_role[role])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = text(client.get("/"))
    assert f'data-role="{role}"' in page
    assert "Abmelden" in page


def test_wrong_password_is_refused_in_plain_german_and_keeps_the_email(client, demo):
    response = login(client, demo.coordinator, "falsches-passwort-123")
    assert response.status_code == 401
    page = text(response)
    assert "E-Mail-Adresse oder Passwort stimmen nicht" in page
    assert 'value="koordination@demo.example"' in page
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_account_gets_the_same_answer_as_a_wrong_password(client, demo):
    response = login(client, "niemand@demo.example", "irgendein-passwort-1")
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort stimmen nicht" in text(response)


def test_email_is_matched_without_regard_to_case_and_spaces(client, demo):
    assert login(client, "  Koordination@Demo.Example ").status_code == 302


def test_sign_in_clears_the_previous_session(client, demo):
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, demo.caseworker)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_deactivated_user_cannot_sign_in(client, demo, db):
    user = get_user(db, demo.mediator)
    user.active = False
    db.commit()
    response = login(client, demo.mediator)
    assert response.status_code == 403
    assert "deaktiviert" in text(response)


def test_five_failures_throttle_the_account_even_with_the_right_password(client, demo, db):
    for _ in range(5):
        assert login(client, demo.coordinator, "falsch-falsch-falsch").status_code == 401
    response = login(client, demo.coordinator)
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text(response)
    # Refused attempts are not counted: the lock ends one window after the last failure.
    db.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    db.commit()
    assert login(client, demo.coordinator).status_code == 302


def test_a_browser_that_signed_in_before_is_not_locked_out_by_an_attacker(app, demo):
    owner = app.test_client()
    assert login(owner, demo.coordinator).status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/")})
    attacker = app.test_client()
    for _ in range(6):
        login(attacker, demo.coordinator, "geraten-geraten-1", REMOTE_ADDR="203.0.113.9")
    assert login(attacker, demo.coordinator, REMOTE_ADDR="203.0.113.9").status_code == 429
    # The owner's browser carries the trusted-device cookie from the earlier sign-in.
    assert login(owner, demo.coordinator).status_code == 302


def test_the_per_address_limit_is_higher_and_counts_across_accounts(app, demo):
    client = app.test_client()
    for i in range(50):
        login(client, f"person{i}@demo.example", "falsch-falsch-falsch", REMOTE_ADDR="198.51.100.7")
    refused = login(client, demo.caseworker, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    other_office = app.test_client()
    assert login(other_office, demo.caseworker, REMOTE_ADDR="198.51.100.8").status_code == 302


def test_throttle_is_kept_in_the_database_and_holds_across_processes(app, demo, database_url):
    for _ in range(5):
        login(app.test_client(), demo.admin, "falsch-falsch-falsch")
    second_worker = create_app(app_config(database_url))
    try:
        assert login(second_worker.test_client(), demo.admin).status_code == 429
    finally:
        second_worker.extensions["pool_db"].engine.dispose()


def test_client_address_is_read_through_the_configured_trusted_proxies(database_url, demo, db):
    behind_proxy = create_app(app_config(database_url, TRUSTED_PROXIES=1))
    direct = create_app(app_config(database_url))
    try:
        for app in (behind_proxy, direct):
            login(
                app.test_client(),
                demo.admin,
                "falsch-falsch-falsch",
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="192.0.2.44",
            )
        addresses = set(db.scalars(select(LoginFailure.address)))
        assert addresses == {"192.0.2.44", "10.0.0.1"}
    finally:
        behind_proxy.extensions["pool_db"].engine.dispose()
        direct.extensions["pool_db"].engine.dispose()


def test_password_hash_is_argon2id_and_upgraded_on_sign_in(database_url, demo, db):
    old_hash = get_user(db, demo.admin).password_hash
    assert old_hash.startswith("$argon2id$") and "m=1024,t=1" in old_hash
    stronger = create_app(app_config(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=2048))
    try:
        assert login(stronger.test_client(), demo.admin).status_code == 302
    finally:
        stronger.extensions["pool_db"].engine.dispose()
    new_hash = get_user(db, demo.admin).password_hash
    assert "m=2048,t=2" in new_hash and new_hash != old_hash


def test_sign_out_needs_post_and_ends_the_session(login_as):
    client = login_as("caseworker")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/login"


def test_sign_out_everywhere_ends_sessions_on_other_devices(app, demo):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, demo.mediator)
    login(phone, demo.mediator)
    laptop.post("/logout/everywhere", data={"csrf_token": csrf_token(laptop, "/profile")})
    assert phone.get("/profile").status_code == 302
    assert laptop.get("/profile").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(app, demo, db):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, demo.mediator)
    login(phone, demo.mediator)
    response = laptop.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(laptop, "/profile"),
            "current": demo.password,
            "password": STRONG,
            "confirm": STRONG,
        },
    )
    assert response.status_code == 302
    assert laptop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302
    assert login(app.test_client(), demo.mediator).status_code == 401
    assert login(app.test_client(), demo.mediator, STRONG).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kurz-123", "mindestens 12 Zeichen"),
        ("sprachmittlung@demo.example", "nicht Ihre E-Mail-Adresse"),
        ("password1234", "zu leicht zu erraten"),
        ("123456789012", "zu leicht zu erraten"),
        ("Dolmetscherpool", "nicht den Namen dieses Dienstes"),
        ("mein-dolmetscher-pool-2026!", "nicht den Namen dieses Dienstes"),
        ("Stadt Neustadt Sonnenblume 7", "oder eines Pools enthalten"),  # a demo pool
    ],
)
def test_password_rules_are_explained(login_as, demo, password, message):
    client = login_as("mediator")
    response = client.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(client, "/profile"),
            "current": demo.password,
            "password": password,
            "confirm": password,
        },
    )
    assert response.status_code == 400
    assert message in text(response)


def test_wrong_current_password_is_refused(login_as):
    client = login_as("mediator")
    response = client.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(client, "/profile"),
            "current": "nicht-das-passwort",
            "password": STRONG,
            "confirm": STRONG,
        },
    )
    assert response.status_code == 400
    assert "Das aktuelle Passwort stimmt nicht" in text(response)


def test_password_reset_by_one_time_link(app, client, demo, db):
    response = client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": demo.caseworker},
    )
    assert response.status_code == 302
    [message] = outbox_for(db, demo.caseworker)
    assert message.kind == "password_reset" and message.status == "pending"
    link = link_in(message)
    # Opening the link changes nothing by itself.
    page = client.get(link)
    assert page.status_code == 200 and "Neues Passwort festlegen" in text(page)
    response = client.post(
        link, data={"csrf_token": csrf_token(client, link), "password": STRONG, "confirm": STRONG}
    )
    assert response.status_code == 302
    assert "Guten Tag" in text(client.get("/"))
    assert client.get(link).status_code == 404  # used once
    fresh = app.test_client()
    assert login(fresh, demo.caseworker).status_code == 401
    assert login(fresh, demo.caseworker, STRONG).status_code == 302


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, demo, db):
    response = client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": "fremd@demo.example"},
        follow_redirects=True,
    )
    assert "Wenn es zu dieser Adresse einen Zugang gibt" in text(response)
    assert outbox_for(db, "fremd@demo.example") == []


def test_expired_reset_link_is_refused_kindly(client, demo, db):
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": demo.caseworker},
    )
    link = link_in(outbox_for(db, demo.caseworker)[0])
    from pool.models import OneTimeToken

    db.execute(update(OneTimeToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    response = client.get(link)
    assert response.status_code == 404
    assert "Dieser Link gilt nicht mehr" in text(response)


def test_invitation_link_lets_the_new_user_choose_a_password(app, client, demo, db):
    with app.test_request_context():
        user_service.create_user(
            db,
            actor=None,
            email="neu@demo.example",
            name="Nora Neu",
            grants=[("admin", None, None)],
            now=utcnow(),
        )
    db.commit()
    [message] = outbox_for(db, "neu@demo.example")
    assert message.kind == "invite" and "Nora Neu" in message.body_text
    link = link_in(message)
    assert "Willkommen" in text(client.get(link))
    client.post(
        link, data={"csrf_token": csrf_token(client, link), "password": STRONG, "confirm": STRONG}
    )
    assert 'data-role="admin"' in text(client.get("/"))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/profile", "/profile"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_only_same_site_next_targets_are_followed(client, demo, target, expected):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": demo.admin, "password": demo.password, "csrf_token": token},
    )
    assert response.headers["Location"] == expected


def test_profile_changes_name_and_interface_language(login_as):
    client = login_as("caseworker")
    response = client.post(
        "/profile",
        data={"csrf_token": csrf_token(client, "/profile"), "name": "Sven S.", "locale": "en"},
    )
    assert response.status_code == 302
    page = text(client.get("/"))
    assert '<html lang="en">' in page and "Sven S." in page


def test_profile_rejects_empty_and_overlong_names(login_as):
    client = login_as("caseworker")
    token = csrf_token(client, "/profile")
    assert "Bitte geben Sie Ihren Namen ein" in text(
        client.post("/profile", data={"csrf_token": token, "name": "", "locale": "de"})
    )
    response = client.post(
        "/profile", data={"csrf_token": token, "name": "x" * 500, "locale": "de"}
    )
    assert response.status_code == 400 and "Höchstens 120 Zeichen" in text(response)


def test_api_token_is_shown_once_stored_as_hash_and_can_be_revoked(login_as, db):
    client = login_as("caseworker")
    page = text(
        client.post(
            "/profile/tokens",
            data={"csrf_token": csrf_token(client, "/profile"), "name": "Fachverfahren"},
        )
    )
    import re

    secret = re.search(r'<code class="token" id="new-token">([^<]+)</code>', page).group(1)
    assert len(secret) >= 43
    token = db.scalars(select(ApiToken)).one()
    import hashlib

    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in text(client.get("/profile"))  # shown once
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    client.post(
        f"/profile/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/profile")}
    )
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_revoking_someone_elses_token_is_denied_and_audited(app, demo, db):
    owner = app.test_client()
    login(owner, demo.caseworker)
    owner.post(
        "/profile/tokens", data={"csrf_token": csrf_token(owner, "/profile"), "name": "Mein"}
    )
    token = db.scalars(select(ApiToken)).one()
    other = app.test_client()
    login(other, demo.mediator)
    response = other.post(
        f"/profile/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(other, "/profile")}
    )
    assert response.status_code == 403
    fresh(db)
    assert db.get(ApiToken, token.id).revoked_at is None
    assert (
        db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).first()
        is not None
    )


def test_sign_in_events_are_audited_without_the_typed_address(client, demo, db):
    login(client, demo.admin, "falsch-falsch-falsch")
    login(client, demo.admin)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events][-3:] == ["login.failed", "login.success", "logout"]
    assert all("demo.example" not in str(e.details) for e in events)

"""The admin area: pools, offices and users, as an admin (and everybody else) experiences it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pool.models import AuditEvent, Office, OutboxMessage, Pool, User, UserRole, pool_sharing
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import csrf_token, login

LINK_RE = re.compile(r"http://localhost(/password/set/[A-Za-z0-9_\-]+)")
STRONG_PASSWORD = "Wolke Fahrrad Zitrone Leuchtturm 7"


# --- helpers --------------------------------------------------------------------------------------


def post(client, url, data, form_url=None):
    """POST ``data`` with the CSRF token taken from ``form_url`` (default: the same page)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token})


def is_checked(page: str, name: str, value: int) -> bool:
    """Whether the checkbox ``name`` with ``value`` is ticked on the page."""
    for tag in re.findall(r"<input [^>]*>", page):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no checkbox {name}={value}")


def text(response) -> str:
    return response.get_data(as_text=True)


def read(db, statement):
    """Rows from the test session; the transaction ends at once so requests are not blocked."""
    try:
        return db.execute(statement).all()
    finally:
        db.rollback()


def pool_id(db, name: str) -> int:
    return read(db, select(Pool.id).where(Pool.name == name))[0][0]


def office_id(db, name: str) -> int:
    return read(db, select(Office.id).where(Office.name == name))[0][0]


def user_id(db, email: str) -> int:
    return read(db, select(User.id).where(User.email == email))[0][0]


def audit_actions(db, action: str) -> list[tuple]:
    return read(
        db,
        select(
            AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details
        ).where(AuditEvent.action == action),
    )


POOL_FORM = {
    "name": "Kreis Musterland",
    "kind": "district",
    "federal_state": "BY",
    "contact_email": "pool@musterland.example",
    "contact_phone": "0851 123-45",
}


# --- pools ----------------------------------------------------------------------------------------


def test_admin_creates_pool_with_sharing_partners_and_sees_it_listed(login_as, db, demo):
    client = login_as("admin")
    landkreis, stadt = pool_id(db, "Landkreis"), pool_id(db, "Stadt Neustadt")
    form = text(client.get("/admin/pools/new"))
    assert "<legend>Teilt Sprachmittler:innen mit</legend>" in form
    assert "Baden-Württemberg" in form and "Thüringen" in form

    response = client.post(
        "/admin/pools/new",
        data={
            **POOL_FORM,
            "shares_with": [str(landkreis), str(stadt)],
            "csrf_token": csrf_token(client, "/admin/pools/new"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/pools")

    page = client.get("/admin/pools")
    listing = text(page)
    assert "Der Pool Kreis Musterland ist angelegt." in listing
    row = listing[listing.index("<strong>Kreis Musterland</strong>") :].split("</tr>")[0]
    assert "Kreispool" in row and "Bayern" in row
    assert "Landkreis, Stadt Neustadt" in row
    assert "pool@musterland.example" in row

    new_id = pool_id(db, "Kreis Musterland")
    partners = read(
        db,
        select(Pool.name)
        .join(pool_sharing, Pool.id == pool_sharing.c.partner_pool_id)
        .where(pool_sharing.c.pool_id == new_id),
    )
    assert sorted(name for (name,) in partners) == ["Landkreis", "Stadt Neustadt"]
    events = audit_actions(db, "pool.created")
    assert len(events) == 1
    actor, object_type, object_id, details = events[0]
    assert (actor, object_type, object_id) == (user_id(db, demo.admin), "pool", new_id)
    assert sorted(details["shares_with"]) == sorted([landkreis, stadt])


def test_duplicate_pool_name_gives_german_error_and_keeps_input(login_as, db, demo):
    client = login_as("admin")
    response = post(
        client,
        "/admin/pools/new",
        {
            **POOL_FORM,
            "name": "landkreis",
            "contact_phone": "0521 99",
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "Es gibt schon einen Pool mit diesem Namen." in page
    assert 'value="landkreis"' in page
    assert 'value="pool@musterland.example"' in page
    assert 'value="0521 99"' in page
    assert '<option selected value="BY">' in page
    assert read(db, select(Pool.id).where(Pool.name == "landkreis")) == []


def test_pool_form_requires_name_and_state(login_as, db, demo):
    client = login_as("admin")
    response = post(
        client, "/admin/pools/new", {"name": "  ", "kind": "district", "federal_state": ""}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Bitte geben Sie einen Namen ein." in page
    assert "Bitte wählen Sie ein Bundesland." in page
    assert 'class="error-summary"' in page


def test_admin_edits_pool_and_its_sharing(login_as, db, demo):
    client = login_as("admin")
    landkreis, stadt = pool_id(db, "Landkreis"), pool_id(db, "Stadt Neustadt")
    url = f"/admin/pools/{stadt}/edit"
    form = text(client.get(url))
    assert 'value="Stadt Neustadt"' in form
    assert is_checked(form, "shares_with", landkreis)
    assert f'value="{stadt}"' not in form  # a pool cannot share with itself

    response = post(
        client,
        url,
        {
            "name": "Stadt Neustadt a. d. W.",
            "kind": "municipal",
            "federal_state": "RP",
            "contact_email": "",
            "contact_phone": "06321 1",
        },
    )
    assert response.status_code == 302
    rows = read(
        db, select(Pool.name, Pool.federal_state, Pool.contact_email).where(Pool.id == stadt)
    )
    assert rows == [("Stadt Neustadt a. d. W.", "RP", None)]
    listing = text(client.get("/admin/pools"))
    row = listing[listing.index("<strong>Stadt Neustadt a. d. W.</strong>") :].split("</tr>")[0]
    assert "mit keinem Pool" in row and "Rheinland-Pfalz" in row
    (event,) = audit_actions(db, "pool.updated")
    assert event[2] == stadt
    assert set(event[3]["fields"]) == {
        "name",
        "federal_state",
        "contact_email",
        "contact_phone",
        "shares_with",
    }
    assert event[3]["shares_with"] == []

    # Renaming a pool to the name of another one is refused.
    response = post(client, url, {"name": "Landkreis", "kind": "municipal", "federal_state": "RP"})
    assert response.status_code == 400
    assert "Es gibt schon einen Pool mit diesem Namen." in text(response)


def test_unknown_pool_is_404(login_as, demo):
    client = login_as("admin")
    assert client.get("/admin/pools/999999/edit").status_code == 404
    assert client.get("/admin/pools/99999999999999999999999/edit").status_code == 404


# --- offices --------------------------------------------------------------------------------------


def test_admin_creates_and_edits_an_office(login_as, db, demo):
    client = login_as("admin")
    stadt = pool_id(db, "Stadt Neustadt")
    response = post(
        client,
        "/admin/offices/new",
        {
            "pool_id": str(stadt),
            "name": "Schulamt",
            "phone": "06321 55-0",
            "cost_centre": "SCH-1",
            "active": "y",
        },
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Die Dienststelle Schulamt ist angelegt." in page
    assert "Pool Stadt Neustadt" in page and "<strong>Schulamt</strong>" in page
    assert "Pool Landkreis" not in page.split("</form>", 2)[-1]  # the list is filtered by pool

    new_id = office_id(db, "Schulamt")
    assert audit_actions(db, "office.created")[0][1:3] == ("office", new_id)

    # The same name in the same pool is refused; in another pool it is fine.
    response = post(client, "/admin/offices/new", {"pool_id": str(stadt), "name": "schulamt"})
    assert response.status_code == 400
    assert "Im Pool Stadt Neustadt gibt es schon eine Dienststelle mit diesem Namen." in text(
        response
    )
    assert 'value="schulamt"' in text(response)

    url = f"/admin/offices/{new_id}/edit"
    response = post(
        client,
        url,
        {"pool_id": str(stadt), "name": "Schulamt Neustadt", "phone": "", "cost_centre": "SCH-2"},
    )  # unchecked: not active
    assert response.status_code == 302
    rows = read(
        db,
        select(Office.name, Office.phone, Office.cost_centre, Office.active).where(
            Office.id == new_id
        ),
    )
    assert rows == [("Schulamt Neustadt", None, "SCH-2", False)]
    page = text(client.get("/admin/offices"))
    row = page[page.index("<strong>Schulamt Neustadt</strong>") :].split("</tr>")[0]
    assert "nicht aktiv" in row
    (event,) = audit_actions(db, "office.updated")
    assert set(event[3]["fields"]) == {"name", "phone", "cost_centre", "active"}
    assert len(audit_actions(db, "office.deactivated")) == 1

    # Moving it to a pool that already has an office of that name is refused.
    landkreis = pool_id(db, "Landkreis")
    response = post(client, url, {"pool_id": str(landkreis), "name": "Jugendamt"})
    assert response.status_code == 400
    assert "Im Pool Landkreis gibt es schon eine Dienststelle mit diesem Namen." in text(response)


def test_office_list_groups_by_pool_and_filters(login_as, db, demo):
    client = login_as("admin")
    page = text(client.get("/admin/offices"))
    assert (
        page.index("Pool Landkreis")
        < page.index("Ausländerbehörde")
        < page.index("Pool Stadt Neustadt")
        < page.index("Kita Sonnenblume")
    )
    landkreis = pool_id(db, "Landkreis")
    filtered = text(client.get(f"/admin/offices?pool={landkreis}"))
    assert "Jugendamt" in filtered and "Kita Sonnenblume" not in filtered
    bad = client.get("/admin/offices?pool=abc")
    assert bad.status_code == 400
    assert "Bitte wählen Sie einen Eintrag aus der Liste." in text(bad)
    assert client.get("/admin/offices/424242/edit").status_code == 404


# --- users ----------------------------------------------------------------------------------------


def test_invited_caseworker_gets_mail_sets_password_and_sees_start_page(app, login_as, db, demo):
    client = login_as("admin")
    health_office = office_id(db, "Gesundheitsamt")
    form = text(client.get("/admin/users/new"))
    assert "<legend>Sachbearbeitung in diesen Dienststellen</legend>" in form
    assert "<legend>Pool Landkreis</legend>" in form

    response = post(
        client,
        "/admin/users/new",
        {
            "name": "Greta Gesund",
            "email": "Greta.Gesund@Kreis.example",
            "caseworker_offices": str(health_office),
        },
    )
    assert response.status_code == 302
    assert "Die Einladung an greta.gesund@kreis.example ist unterwegs." in text(
        client.get(response.headers["Location"])
    )

    messages = read(
        db,
        select(OutboxMessage.kind, OutboxMessage.body_text).where(
            OutboxMessage.recipient == "greta.gesund@kreis.example"
        ),
    )
    assert len(messages) == 1
    kind, body = messages[0]
    assert kind == "invite"
    assert "Anna Admin hat Sie zum Dolmetscherpool eingeladen." in body
    link = LINK_RE.search(body).group(1)
    roles = read(
        db,
        select(UserRole.role, UserRole.office_id)
        .join(User)
        .where(User.email == "greta.gesund@kreis.example"),
    )
    assert roles == [("caseworker", health_office)]
    assert len(audit_actions(db, "user.invited")) == 1

    invited = app.test_client()
    assert "Hallo Greta Gesund" in text(invited.get(link))
    response = post(invited, link, {"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 302
    start = text(invited.get("/"))
    assert "Guten Tag, Greta Gesund" in start
    assert "Sie arbeiten für: Gesundheitsamt (Pool Landkreis)." in start
    assert invited.get("/admin/").status_code == 403


def test_invite_with_taken_email_keeps_input(login_as, db, demo):
    client = login_as("admin")
    coordinator_pool = pool_id(db, "Stadt Neustadt")
    response = post(
        client,
        "/admin/users/new",
        {
            "name": "Doppelt",
            "email": demo.caseworker,
            "coordinator_pools": str(coordinator_pool),
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "Es gibt schon einen Zugang mit dieser E-Mail-Adresse." in page
    assert 'value="Doppelt"' in page
    assert is_checked(page, "coordinator_pools", coordinator_pool)
    assert not is_checked(page, "mediator_pools", coordinator_pool)
    assert read(db, select(OutboxMessage.id)) == []


def test_admin_changes_roles_and_name(login_as, app, db, demo):
    client = login_as("admin")
    caseworker = user_id(db, demo.caseworker)
    landkreis, stadt = pool_id(db, "Landkreis"), pool_id(db, "Stadt Neustadt")
    url = f"/admin/users/{caseworker}/edit"
    response = post(
        client,
        url,
        {
            "name": "Sven S.",
            "email": demo.caseworker,
            "coordinator_pools": str(stadt),
            "mediator_pools": [str(landkreis), str(stadt)],
        },
    )
    assert response.status_code == 302
    roles = read(
        db,
        select(UserRole.role, UserRole.pool_id, UserRole.office_id).where(
            UserRole.user_id == caseworker
        ),
    )
    assert sorted(roles) == sorted(
        [("coordinator", stadt, None), ("mediator", landkreis, None), ("mediator", stadt, None)]
    )
    listing = _search_users(client, "sven")
    assert "Koordination (Stadt Neustadt)" in listing
    assert "Sprachmittlung (Landkreis)" in listing
    assert "Sachbearbeitung (Jugendamt)" not in listing
    assert len(audit_actions(db, "user.roles_changed")) == 1
    assert len(audit_actions(db, "user.updated")) == 1

    # The changed person sees the new roles at once.
    other = app.test_client()
    login(other, demo.caseworker)
    assert 'data-role="coordinator"' in text(other.get("/"))


def _search_users(client, q: str, **filters) -> str:
    response = client.post(
        "/admin/users",
        data={"csrf_token": csrf_token(client, "/admin/users"), "q": q, **filters},
        follow_redirects=True,
    )
    assert response.status_code == 200
    # The typed search text is personal data: it never appears in a URL.
    assert not q or q.lower() not in response.request.url.lower()
    return text(response)


def test_user_search_and_role_filter(login_as, db, demo):
    client = login_as("admin")
    page = _search_users(client, "KOORD")
    assert "Karin Koordination" in page and "Anna Admin" not in page
    assert "1 Zugang gefunden" in page
    assert "Karin Koordination" in text(client.get("/admin/users?page=1"))  # the search is kept
    page = _search_users(client, "", role="mediator")
    assert "Samira Sprachmittlung" in page and "Karin Koordination" not in page
    page = text(client.get("/admin/users?role=mediator"))
    assert "Samira Sprachmittlung" in page and "Karin Koordination" not in page
    page = _search_users(client, "%")  # a literal percent sign, not a wildcard
    assert "0 Zugänge gefunden" in page
    reset = client.post(
        "/admin/users",
        data={"csrf_token": csrf_token(client, "/admin/users"), "reset": "1"},
        follow_redirects=True,
    )
    assert "4 Zugänge gefunden" in text(reset)
    assert 'data-label="Rollen"' in text(reset)


def test_deactivating_a_user_ends_their_sessions(login_as, app, db, demo):
    victim = app.test_client()
    assert login(victim, demo.mediator).status_code == 302
    assert victim.get("/profile").status_code == 200

    client = login_as("admin")
    mediator = user_id(db, demo.mediator)
    response = post(
        client, f"/admin/users/{mediator}/deactivate", {}, form_url=f"/admin/users/{mediator}/edit"
    )
    assert response.status_code == 302
    assert "Der Zugang von Samira Sprachmittlung ist deaktiviert." in text(
        client.get(response.headers["Location"])
    )

    gone = victim.get("/profile")
    assert gone.status_code == 302
    assert gone.headers["Location"].startswith("/login")
    again = login(app.test_client(), demo.mediator)
    assert again.status_code == 403
    assert "deaktiviert" in text(client.get("/admin/users?status=inactive"))
    assert len(audit_actions(db, "user.deactivated")) == 1

    response = post(
        client, f"/admin/users/{mediator}/reactivate", {}, form_url=f"/admin/users/{mediator}/edit"
    )
    assert response.status_code == 302
    assert login(app.test_client(), demo.mediator).status_code == 302
    assert len(audit_actions(db, "user.reactivated")) == 1


def test_admin_cannot_deactivate_themselves_or_the_last_admin(login_as, db, demo):
    client = login_as("admin")
    admin = user_id(db, demo.admin)
    edit_page = text(client.get(f"/admin/users/{admin}/edit"))
    assert "Zugang deaktivieren" not in edit_page  # no button for oneself

    response = post(
        client, f"/admin/users/{admin}/deactivate", {}, form_url=f"/admin/users/{admin}/edit"
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Sie können Ihren eigenen Zugang nicht deaktivieren." in page
    assert read(db, select(User.active).where(User.id == admin)) == [(True,)]

    # The last admin cannot give up the role either.
    response = post(
        client, f"/admin/users/{admin}/edit", {"name": "Anna Admin", "email": demo.admin}
    )
    assert response.status_code == 400
    assert "Das ist die letzte aktive Administration." in text(response)
    roles = read(db, select(UserRole.role).where(UserRole.user_id == admin))
    assert roles == [("admin",)]
    assert audit_actions(db, "user.deactivated") == []


def test_last_admin_cannot_be_deactivated_by_another_admin(login_as, app, db, demo):
    client = login_as("admin")
    # A second admin is invited; as long as the first is active, they can take turns.
    post(
        client,
        "/admin/users/new",
        {"name": "Bernd Backup", "email": "bernd@demo.example", "is_admin": "y"},
    )
    backup = user_id(db, "bernd@demo.example")
    first = user_id(db, demo.admin)
    response = post(
        client, f"/admin/users/{backup}/deactivate", {}, form_url=f"/admin/users/{backup}/edit"
    )
    assert response.status_code == 302
    assert read(db, select(User.active).where(User.id == backup)) == [(False,)]
    # Now Anna is the last active admin; the other (inactive) admin cannot take her role away.
    response = post(client, f"/admin/users/{first}/edit", {"name": "Anna", "email": demo.admin})
    assert response.status_code == 400
    assert "letzte aktive Administration" in text(response)
    assert read(db, select(User.name).where(User.id == first)) == [("Anna Admin",)]


def test_resend_invitation_only_without_password(login_as, db, demo):
    client = login_as("admin")
    post(
        client,
        "/admin/users/new",
        {
            "name": "Neu Person",
            "email": "neu@demo.example",
            "mediator_pools": str(pool_id(db, "Landkreis")),
        },
    )
    new = user_id(db, "neu@demo.example")
    page = text(client.get(f"/admin/users/{new}/edit"))
    assert "Einladung erneut senden" in page
    response = post(client, f"/admin/users/{new}/invite", {}, form_url=f"/admin/users/{new}/edit")
    assert response.status_code == 302
    bodies = read(
        db,
        select(OutboxMessage.body_text)
        .where(OutboxMessage.recipient == "neu@demo.example")
        .order_by(OutboxMessage.id),
    )
    assert len(bodies) == 2
    first_link = LINK_RE.search(bodies[0][0]).group(1)
    assert client.get(first_link).status_code == 404  # the older link no longer works

    caseworker = user_id(db, demo.caseworker)
    assert "Einladung erneut senden" not in text(client.get(f"/admin/users/{caseworker}/edit"))
    response = post(
        client, f"/admin/users/{caseworker}/invite", {}, form_url=f"/admin/users/{caseworker}/edit"
    )
    assert "hat schon ein Passwort" in text(client.get(response.headers["Location"]))


def test_admin_overview_shows_counts_and_links(login_as, demo):
    client = login_as("admin")
    page = text(client.get("/admin/"))
    assert "Es gibt 2 Pools." in page
    assert "7 aktive Dienststellen." in page
    assert 'href="/admin/users?status=invited"' in page
    assert 'href="/admin/pools/new"' in page


def test_post_without_csrf_is_refused(login_as, db, demo):
    client = login_as("admin")
    mediator = user_id(db, demo.mediator)
    assert client.post(f"/admin/users/{mediator}/deactivate").status_code == 400
    assert client.post("/admin/pools/new", data=POOL_FORM).status_code == 400
    assert read(db, select(User.active).where(User.id == mediator)) == [(True,)]


# --- access ---------------------------------------------------------------------------------------

ADMIN_PAGES = [
    "/admin/",
    "/admin/pools",
    "/admin/pools/new",
    "/admin/offices",
    "/admin/offices/new",
    "/admin/users",
    "/admin/users/new",
]


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "mediator"])
def test_other_roles_get_403_on_every_admin_page(login_as, db, demo, role):
    client = login_as(role)
    landkreis = pool_id(db, "Landkreis")
    youth = office_id(db, "Jugendamt")
    admin = user_id(db, demo.admin)
    token = csrf_token(client, "/profile")
    for url in [
        *ADMIN_PAGES,
        f"/admin/pools/{landkreis}/edit",
        f"/admin/offices/{youth}/edit",
        f"/admin/users/{admin}/edit",
    ]:
        assert client.get(url).status_code == 403, url
    posts = [
        f"/admin/pools/{landkreis}/edit",
        f"/admin/offices/{youth}/edit",
        f"/admin/users/{admin}/deactivate",
        f"/admin/users/{admin}/reactivate",
        f"/admin/users/{admin}/invite",
        f"/admin/users/{admin}/edit",
        "/admin/pools/new",
        "/admin/offices/new",
        "/admin/users/new",
    ]
    for url in posts:
        assert client.post(url, data={"csrf_token": token, "name": "x"}).status_code == 403, url
    assert read(db, select(User.active).where(User.id == admin)) == [(True,)]
    assert read(db, select(Pool.id).where(Pool.name == "x")) == []
    denied = audit_actions(db, "access.denied")
    assert len(denied) == len(ADMIN_PAGES) + 3 + len(posts)


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- malformed input ------------------------------------------------------------------------------

HUGE = "x" * 100_000


@pytest.mark.parametrize(
    "data",
    [
        {"pool_id": "abc", "name": "Amt"},
        {"pool_id": "99999999999999999999999", "name": "Amt"},
        {"pool_id": "424242", "name": "Amt"},
        {"pool_id": "", "name": "Amt"},
        {"pool_id": "١", "name": "Amt"},  # an Arabic-Indic digit: isdigit() but not an id
        {"pool_id": "{pool}", "name": HUGE},
        {"pool_id": "{pool}", "name": "Amt\x00"},
        {"pool_id": "{pool}", "name": "Amt", "phone": "0521\x00", "cost_centre": "x" * 41},
        {"pool_id": "{pool}", "name": "Amt", "phone": "ruf mich an"},
        {"pool_id": "{pool}", "name": "Amt", "active": HUGE},
    ],
)
def test_malformed_office_input_never_breaks(login_as, db, demo, data):
    client = login_as("admin")
    landkreis = str(pool_id(db, "Landkreis"))
    data = {key: value.replace("{pool}", landkreis) for key, value in data.items()}
    for url in ["/admin/offices/new", f"/admin/offices/{office_id(db, 'Jugendamt')}/edit"]:
        response = post(client, url, data)
        assert response.status_code == 400, text(response)[:500]
        assert 'class="error-summary"' in text(response)
    assert read(db, select(Office.id).where(Office.name.like("Amt%"))) == []


@pytest.mark.parametrize(
    "data",
    [
        {"name": "P", "kind": "village", "federal_state": "BY"},
        {"name": "P", "kind": "district", "federal_state": "XX"},
        {"name": "P", "kind": "district", "federal_state": "BY", "shares_with": "abc"},
        {
            "name": "P",
            "kind": "district",
            "federal_state": "BY",
            "shares_with": "99999999999999999999",
        },
        {"name": "P", "kind": "district", "federal_state": "BY", "shares_with": "424242"},
        {"name": HUGE, "kind": "district", "federal_state": "BY"},
        {"name": "P\x00", "kind": "district", "federal_state": "BY"},
        {"name": "P", "kind": "district", "federal_state": "BY", "contact_email": "kein-at"},
        {"name": "P", "kind": "district", "federal_state": "BY", "contact_email": "a@" + "b" * 300},
        {"name": "P", "kind": "district\x00", "federal_state": "BY\x00"},
    ],
)
def test_malformed_pool_input_never_breaks(login_as, db, demo, data):
    client = login_as("admin")
    response = post(client, "/admin/pools/new", data)
    assert response.status_code == 400, text(response)[:500]
    assert 'class="error-summary"' in text(response)
    assert read(db, select(Pool.id).where(Pool.name.like("P%"))) == []


@pytest.mark.parametrize(
    "data",
    [
        {"name": "X", "email": "x@demo.example", "coordinator_pools": "abc"},
        {"name": "X", "email": "x@demo.example", "caseworker_offices": "424242"},
        {"name": "X", "email": "x@demo.example", "mediator_pools": "1e3"},
        {"name": "X", "email": "x@demo.example", "caseworker_offices": "-1"},
        {"name": HUGE, "email": "x@demo.example"},
        {"name": "X", "email": HUGE + "@demo.example"},
        {"name": "X\x00", "email": "x@demo.example"},
        {"name": "X", "email": "x\x00@demo.example"},
        {"name": "X", "email": "not an address"},
        {"name": "", "email": ""},
    ],
)
def test_malformed_user_input_never_breaks(login_as, db, demo, data):
    client = login_as("admin")
    response = post(client, "/admin/users/new", data)
    assert response.status_code == 400, text(response)[:500]
    assert 'class="error-summary"' in text(response)
    caseworker = user_id(db, demo.caseworker)
    response = post(client, f"/admin/users/{caseworker}/edit", data)
    assert response.status_code == 400, text(response)[:500]
    assert read(db, select(User.id).where(User.email.like("x%"))) == []


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=" + "y" * 5000,
        "role=superuser",
        "status=%00",
        "page=abc",
        "page=-3",
        "page=99999999999999999999",
        "role=admin&page=7",
    ],
)
def test_malformed_user_search_never_breaks(login_as, demo, query):
    client = login_as("admin")
    response = client.get("/admin/users?" + query)
    assert response.status_code in (200, 400)
    assert "Zugänge gefunden" in text(response) or "Zugang gefunden" in text(response)


def test_huge_ids_in_urls_are_404(login_as, demo):
    client = login_as("admin")
    for url in [
        "/admin/users/99999999999999999999/edit",
        "/admin/offices/2147483648/edit",
        "/admin/users/0/edit",
    ]:
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/admin/users")
    response = client.post(
        "/admin/users/99999999999999999999/deactivate", data={"csrf_token": token}
    )
    assert response.status_code == 404


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_admin_pages_are_accessible_and_fit_a_phone(demo, db, page, live_url):

    caseworker = user_id(db, demo.caseworker)
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, demo.admin, demo.password)
    for path in [
        "/admin/",
        "/admin/pools",
        "/admin/pools/new",
        "/admin/offices",
        "/admin/offices/new",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{caseworker}/edit",
    ]:
        page.goto(live_url + path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page, path)
        assert_no_horizontal_scroll(page, path)

    # A form sent with mistakes shows the error summary, and it is accessible, too.
    page.goto(live_url + "/admin/pools/new")
    page.get_by_label("Name des Pools").fill("Landkreis")
    page.get_by_role("button", name="Pool anlegen").click()
    summary = page.locator("#error-summary")
    assert "Bundesland: Bitte wählen Sie ein Bundesland." in summary.inner_text()
    assert page.get_by_label("Name des Pools").input_value() == "Landkreis"
    assert_accessible(page, "the pool form with errors")
    assert_no_horizontal_scroll(page, "the pool form with errors")

    page.get_by_label("Bundesland").select_option("Bayern")
    page.get_by_role("button", name="Pool anlegen").click()
    assert "Es gibt schon einen Pool mit diesem Namen" in summary.inner_text()
    page.locator("#error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "name"

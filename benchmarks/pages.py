"""Page throughput under a realistic data set, against a bare hello route.

    .venv/bin/python benchmarks/pages.py [--database-url URL] [--rounds 3] [--seconds 5]

Seeds (once; a later run finds the bulk data and adds nothing) the PostgreSQL database
``bench_pages`` with the demo data plus 5,000 mediators and 200,000 requests (past ones with their
assignments, one in a thousand open) through ``flask seed-demo --mediators --requests``; starts
gunicorn (2 workers) on a free port, signs in as coordinator, caseworker and mediator, creates an
API token, and measures each page with wrk (``-t1 -c4``), interleaved with ``/healthz`` over
several rounds. The ratio page/hello (medians of the rounds) is the figure: goal >= 0.25.
The pages are served as configured (the kept pages of pool/pagecache.py: a page viewed again
while no data changed comes from memory); a second gunicorn with ``PAGE_CACHE_SECONDS=0`` then
shows what making each page anew costs (``UNCACHED`` lines, for information).

Then it counts the SQL statements of each page in-process (Flask test client on SQLite) with 10
and with 1,000 bulk mediators and open requests (lists are paged, so a page shows at most its
page size of them): a count that grows with the data is an N+1.

Output lines for tools: ``RATIO page:<name> <x>``, ``UNCACHED page:<name> <x>``,
``STATEMENTS page:<name> <n10> <n1000>``, ``SESSION_CHECK page:<name> <n>`` (statements that
check the signed-in session: 1 for pages of a signed-in browser, 0 for the bearer token).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from alembic import command as alembic_command  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pool.cli import alembic_config  # noqa: E402
from pool.demo import BULK_CASE_REF, DEMO_PASSWORD, DISTRICT_POOL  # noqa: E402
from pool.i18n import BERLIN  # noqa: E402
from pool.models import InterpretingRequest, Pool  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages"
MEDIATORS, REQUESTS = 5000, 200_000
GOAL = 0.25
LOGINS = {
    "coordinator": "koordination@demo.example",
    "caseworker": "sachbearbeitung@demo.example",
    "mediator": "sprachmittlung@demo.example",
}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
# One browser: Flask-Login's session protection marks a session whose address or user agent
# changed as no longer fresh (and so changes the session on each request of a client that drops
# cookies, as wrk does).
USER_AGENT = "Mozilla/5.0 (pages benchmark)"
ERRORS_RE = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def say(text: str) -> None:
    print(text, flush=True)


def pages(request_id: int) -> list[tuple[str, str, str]]:
    """(name, role or "token", path) of the pages measured."""
    return [
        ("coordinator_queue", "coordinator", "/requests/queue"),
        ("request_review", "coordinator", f"/requests/queue/{request_id}"),
        ("mediator_start", "mediator", "/"),
        ("caseworker_list", "caseworker", "/requests/"),
        ("api_candidates", "token", f"/api/v1/requests/{request_id}/candidates"),
    ]


# --- the database ---------------------------------------------------------------------------------


def flask(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "POOL_ENV": "development"}
    command = [sys.executable, "-m", "flask", "--app", "pool", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode:
        raise SystemExit(f"flask {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare_database(url: str) -> int:
    """Create, migrate and seed the database (bulk data once); return an open request's id."""
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).first()  # fmt: skip
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    alembic_command.upgrade(alembic_config(url), "head")
    say(f"Seeding {target.database}: {MEDIATORS:,} mediators, {REQUESTS:,} requests …")
    started = time.perf_counter()
    output = flask(url, "seed-demo", "--mediators", str(MEDIATORS), "--requests", str(REQUESTS))
    say(f"  {output.splitlines()[0]} ({time.perf_counter() - started:.0f} s)")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        if "added" in output:  # as autovacuum would after a big load
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        request_id = open_request_id(conn)
    engine.dispose()
    if request_id is None:
        raise SystemExit("no open request in the district pool")
    return request_id


def open_request_id(conn) -> int | None:
    """An open bulk request of the district pool (the demo coordinator's) in Arabic, on a working
    day in office hours: the speakers' availability lets some through, so the candidates are
    scored and ranked, not only excluded."""
    found = conn.execute(
        sa.select(InterpretingRequest.id, InterpretingRequest.starts_at)
        .join(Pool, Pool.id == InterpretingRequest.pool_id)
        .where(Pool.name == DISTRICT_POOL, InterpretingRequest.status == "open",
               InterpretingRequest.case_ref.like(BULK_CASE_REF + "%"),
               InterpretingRequest.language_code == "ar")
        .order_by(InterpretingRequest.id)
    ).all()  # fmt: skip
    for request_id, starts_at in found:
        local = starts_at.astimezone(BERLIN)
        if local.weekday() < 5 and 9 <= local.hour < 15:
            return request_id
    return found[0].id if found else None


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, **settings: str):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "POOL_ENV": "development", **settings}
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind",
               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                if requests.get(base + "/healthz", timeout=5).text == "ok":
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def sign_in(base: str, email: str) -> str:
    """The Cookie header of a signed-in session."""
    client = requests.Session()
    client.headers["User-Agent"] = USER_AGENT  # as wrk's: the session is bound to it
    token = CSRF_RE.search(client.get(base + "/login", timeout=30).text).group(1)
    response = client.post(base + "/login", allow_redirects=False, timeout=30,
                           data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})  # fmt: skip
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed ({response.status_code})")
    # As a browser: on to the start page, which gives the session its CSRF secret.
    client.get(base + response.headers["Location"], timeout=30)
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies)


def wrk(url: str, header: str | None, seconds: int) -> float:
    command = [
        "wrk",
        "-t1",
        "-c4",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"User-Agent: {USER_AGENT}",
        url,
    ]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    errors = ERRORS_RE.search(output)
    if errors:
        say(f"  warning: {errors.group(1)} responses other than 2xx/3xx from {url}")
    return float(RPS_RE.search(output).group(1))


def measure(base: str, request_id: int, token: str, rounds: int, seconds: int) -> dict:
    headers = {role: "Cookie: " + sign_in(base, email) for role, email in LOGINS.items()}
    headers["token"] = f"Authorization: Bearer {token}"
    for name, role, path in pages(request_id):  # each page answers 200 to its role
        key, value = headers[role].split(": ", 1)
        status = requests.get(
            base + path,
            headers={key: value, "User-Agent": USER_AGENT},
            allow_redirects=False,
            timeout=60,
        )
        if status.status_code != 200:
            raise SystemExit(f"{name}: {path} answers {status.status_code}")
    results: dict[str, tuple[list[float], list[float]]] = {}
    for number in range(1, rounds + 1):
        say(f"Round {number} of {rounds} …")
        for name, role, path in pages(request_id):
            page_rps, hello_rps = results.setdefault(name, ([], []))
            page_rps.append(wrk(base + path, headers[role], seconds))
            hello_rps.append(wrk(base + "/healthz", None, seconds))
    return results


# --- SQL statements per page ----------------------------------------------------------------------


def count_statements(size: int) -> dict[str, int]:
    """Statements of each page made anew (Flask test client, SQLite, no kept pages) with ``size``
    bulk mediators and ``size`` open requests (and as many past ones)."""
    from pool import create_app
    from pool.db import db_session, utcnow
    from pool.demo import load_bulk_data

    directory = tempfile.mkdtemp(prefix="bench_pages_")
    url = f"sqlite:///{directory}/pool.sqlite3"
    try:
        app = create_app({"ENV_NAME": "development", "DATABASE_URL": url, "BASE_URL": "http://x",
                          "SECRET_KEY": "benchmark-secret-key-long-enough-for-this",
                          "PAGE_CACHE_SECONDS": 0})  # fmt: skip
        alembic_command.upgrade(alembic_config(url), "head")
        with app.app_context():  # half of the requests open: ``size`` rows in the queue
            load_bulk_data(db_session(), now=utcnow(), mediators=size, requests=2 * size,
                           open_every=2)  # fmt: skip
            db_session().commit()
        engine = app.extensions["pool_db"].engine
        with engine.connect() as conn:
            request_id = open_request_id(conn)
        token = flask(url, "create-token", LOGINS["coordinator"]).splitlines()[-1]
        counts = {}
        for name, role, path in pages(request_id):
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            if role != "token":
                csrf = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
                client.post("/login", data={"email": LOGINS[role], "password": DEMO_PASSWORD,
                                            "csrf_token": csrf})  # fmt: skip
                headers = {}
            statements = []

            def before(_conn, _cursor, statement, *_args, statements=statements):
                if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT",
                                                              "ROLLBACK", "SAVEPOINT", "RELEASE")):  # fmt: skip
                    statements.append(statement)

            client.get(path, headers=headers)  # warm-up
            sa.event.listen(engine, "before_cursor_execute", before)
            response = client.get(path, headers=headers)
            sa.event.remove(engine, "before_cursor_execute", before)
            assert response.status_code == 200, (name, response.status_code)
            counts[name] = len(statements)
            # The session check: statements about the session that are not the page's own.
            counts[f"{name}:session"] = sum(
                1 for s in statements if "user_sessions" in s and "JOIN users" in s
            )
        engine.dispose()
        return counts
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def table(title: str, results: dict) -> dict[str, float]:
    """Print the medians and ratios; return the ratios."""
    say("")
    say(title)
    say(f"{'page':<20} {'page req/s':>11} {'hello req/s':>12} {'ratio':>6}  goal >= {GOAL}")
    ratios = {}
    for name, (page_rps, hello_rps) in results.items():
        page, hello = statistics.median(page_rps), statistics.median(hello_rps)
        ratios[name] = page / hello
        verdict = "met" if ratios[name] >= GOAL else "MISSED"
        say(f"{name:<20} {page:>11.1f} {hello:>12.1f} {ratios[name]:>6.3f}  {verdict}")
    return ratios


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help=f"PostgreSQL database (default {DEFAULT_URL}; a URL of the "
                        "database postgres names the server: bench_pages there)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--no-statements", action="store_true", help="skip the SQL counts")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is missing: apt-get install -y wrk")
    url = make_url(args.database_url or DEFAULT_URL)
    if not url.drivername.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL database")
    if url.database in (
        None,
        "",
        "postgres",
    ):  # a server URL (as `make bench` passes): our database
        url = url.set(database="bench_pages")
    url = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    request_id = prepare_database(url)
    token = flask(url, "create-token", LOGINS["coordinator"], "--name", "Benchmark")
    token = token.splitlines()[-1]
    with gunicorn(url) as base:
        results = measure(base, request_id, token, args.rounds, args.seconds)
    with gunicorn(url, PAGE_CACHE_SECONDS="0") as base:
        uncached = measure(base, request_id, token, args.rounds, args.seconds)

    ratios = table(f"Pages against /healthz (gunicorn 2 workers, wrk -t1 -c4, median of "
                   f"{args.rounds} rounds of {args.seconds} s; request {request_id})", results)  # fmt: skip
    made = table("The same, every page made anew (PAGE_CACHE_SECONDS=0)", uncached)
    say("")
    for name, ratio in ratios.items():
        say(f"RATIO page:{name} {ratio:.3f} ({'met' if ratio >= GOAL else 'MISSED'})")
    for name, ratio in made.items():
        say(f"UNCACHED page:{name} {ratio:.3f}")
    if not args.no_statements:
        small, large = count_statements(10), count_statements(1000)
        for name in small:
            if name.endswith(":session"):
                say(f"SESSION_CHECK page:{name.removesuffix(':session')} {small[name]}")
            else:
                say(f"STATEMENTS page:{name} {small[name]} {large[name]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

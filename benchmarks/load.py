"""Load test: simulated users of every role against gunicorn and PostgreSQL.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60] [--database-url URL]

Seeds the PostgreSQL database ``bench_pages`` as benchmarks/pages.py does (once: 5,000 mediators,
200,000 requests) and copies it to the scratch database ``bench_pages_load``, so every run starts
from the same data and the requests, offers and cancellations of the load test never reach the
database of the page benchmark. Creates an API token of the demo coordinator there, starts
gunicorn (2 workers) and runs locust headless with benchmarks/locustfile.py as a second process
(coordinators, caseworkers, mediators, an admin and an API client; ``--users`` started at 10 a
second, for ``--seconds``).

Prints locust's summary, then one line for tools:
``LOAD users=50 seconds=60 requests=N failures=F rps=X p95_ms=Y``. Exits 1 when any request
failed (any status other than the expected one) or locust reported an error. The scratch
database stays for a look afterwards; the next run replaces it.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from pages import DEFAULT_URL, LOGINS, flask, gunicorn, prepare_database, say  # benchmarks/pages.py
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
SPAWN_RATE = 10  # users started per second


def copy_database(url: str, name: str) -> str:
    """A fresh copy of the database of ``url`` named ``name``; returns its URL."""
    source = make_url(url)
    admin = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        try:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
        except sa.exc.OperationalError as exc:  # PostgreSQL copies only an unused database
            raise SystemExit(f"cannot copy {source.database} (is it in use?): {exc.orig}") from None
    admin.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


def run_locust(base: str, token: str, users: int, seconds: int, directory: str) -> tuple[int, dict]:
    """Run locust headless (its summary goes to the terminal); its exit code (not 0 after failed
    requests or errors in the locustfile) and the aggregated row of its CSV."""
    prefix = os.path.join(directory, "load")
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless",
        "--users", str(users), "--spawn-rate", str(SPAWN_RATE), "--run-time", f"{seconds}s",
        "--host", base, "--only-summary", "--csv", prefix, "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "LOAD_API_TOKEN": token}
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603
    try:
        with open(prefix + "_stats.csv", newline="") as stats:
            rows = {row["Name"]: row for row in csv.DictReader(stats)}
    except FileNotFoundError:
        raise SystemExit("locust wrote no statistics") from None
    return code, rows["Aggregated"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help=f"PostgreSQL database (default {DEFAULT_URL}; a URL of the "
                        "database postgres names the server: bench_pages there)")  # fmt: skip
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="run time (default 60)")
    args = parser.parse_args(argv)
    url = make_url(args.database_url or DEFAULT_URL)
    if not url.drivername.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL database")
    if url.database in (None, "", "postgres"):  # a server URL (as `make load` passes)
        url = url.set(database="bench_pages")
    url = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    prepare_database(url)
    scratch = copy_database(url, make_url(url).database + "_load")
    token = flask(scratch, "create-token", LOGINS["coordinator"], "--name", "Load test")
    say(f"Load test: {args.users} users for {args.seconds} s (gunicorn 2 workers, "
        f"database {make_url(scratch).database}) …")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_load_") as directory, gunicorn(scratch) as base:
        code, total = run_locust(base, token.splitlines()[-1], args.users, args.seconds, directory)

    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    rps, p95 = float(total["Requests/s"]), total["95%"]
    say("")
    say(f"LOAD users={args.users} seconds={args.seconds} requests={requests} "
        f"failures={failures} rps={rps:.1f} p95_ms={p95}")  # fmt: skip
    if code and not failures:
        say(f"locust exited with {code}: errors in the locustfile (see above)")
    return 1 if code or failures or not requests else 0


if __name__ == "__main__":
    raise SystemExit(main())

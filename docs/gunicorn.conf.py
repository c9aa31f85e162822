"""Example gunicorn configuration for Dolmetscherpool (see docs/production.md).

Start with: gunicorn -c docs/gunicorn.conf.py wsgi:app   (from the checkout directory)
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

from pool.redact import redact

# Only the reverse proxy talks to gunicorn. Keep this on the loopback address (or a private
# address reachable by the proxy alone): the app trusts X-Forwarded-For from TRUSTED_PROXIES hops.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Synchronous workers: every request is short and waits on PostgreSQL. Two per core plus one is a
# good start; each worker holds one or two database connections and needs ~100 MB of memory
# (a sign-in hashes with argon2id and 64 MiB).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# A request taking longer than this is killed and logged (large imports and PDF exports
# finish well within it).
timeout = 60
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then (guards against slow memory growth).
max_requests = 2000
max_requests_jitter = 200

# The address(es) of the reverse proxy whose X-Forwarded-Proto gunicorn may believe. The app
# itself reads X-Forwarded-For/-Proto/-Host through TRUSTED_PROXIES (werkzeug's ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Do not preload the app: each worker then opens its own database connections after the fork.
preload_app = False

# Logs go to the journal (stdout/stderr). The access log holds paths and ids, no personal data,
# and no secret: password links, calendar feeds and attendance links carry their secret in the
# path (also in the Referer of the pages they open), the sign-in service its code in the query.


class RedactingLogger(Logger):
    """gunicorn's logger with every secret of an address cut out of each access log field."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = RedactingLogger
accesslog = "-"
errorlog = "-"
loglevel = "info"

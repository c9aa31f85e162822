"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from pool import create_app

app = create_app()

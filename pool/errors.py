"""Error pages in German (or English), and JSON errors under /api/."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from pool.i18n import gettext as _

log = logging.getLogger(__name__)

API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
    503: "busy",
}


def messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Die Anfrage war ungültig"),
            _("Bitte prüfen Sie Ihre Eingaben und versuchen Sie es noch einmal."),
        ),
        403: (
            _("Kein Zugriff"),
            _("Sie dürfen diese Seite nicht sehen oder diese Aktion nicht ausführen."),
        ),
        404: (
            _("Seite nicht gefunden"),
            _(
                "Diese Seite gibt es nicht oder nicht mehr. Vielleicht hat sich die Adresse geändert."
            ),
        ),
        405: (_("Nicht erlaubt"), _("Diese Aktion ist auf diesem Weg nicht möglich.")),
        413: (_("Zu viele Daten"), _("Die gesendeten Daten sind zu groß.")),
        429: (
            _("Zu viele Versuche"),
            _("Bitte warten Sie einen Moment und versuchen Sie es dann noch einmal."),
        ),
        500: (
            _("Ein Fehler ist aufgetreten"),
            _("Das ist unser Fehler, nicht Ihrer. Bitte versuchen Sie es später noch einmal."),
        ),
        503: (
            _("Gerade ausgelastet"),
            _(
                "Das System ist gerade ausgelastet. Bitte versuchen Sie es in einigen Sekunden noch einmal."
            ),
        ),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, code: str | None = None, fields=None) -> Response:
    body: dict = {"code": code or API_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def error_response(status: int, detail: str | None = None) -> Response | tuple[str, int]:
    title, text = messages().get(status, messages()[400 if status < 500 else 500])
    if wants_json():
        return json_error(status, detail or title)
    try:
        return render_template(
            "errors/error.html", status=status, title=title, text=detail or text
        ), status
    except Exception:
        # The page around the message needs the signed-in user, and with it the database: when
        # that is what failed, the message still arrives, on a plain page.
        log.exception("error page could not be rendered")
        return PLAIN_PAGE.format(title=escape(title), text=escape(detail or text)), status


PLAIN_PAGE = (
    '<!doctype html><html lang="de"><meta charset="utf-8"><title>{title}</title>'
    "<h1>{title}</h1><p>{text}</p></html>"
)


def _end_failed_transaction() -> None:
    """After a database error, roll back the request's session so the error page may read."""
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except SQLAlchemyError:
            log.warning("rollback after a database error failed", exc_info=True)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        response = make_response(error_response(exc.code or 500))
        # Keep the headers the protocol asks for, e.g. ``Allow`` on a 405.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return error_response(
            400,
            _(
                "Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
            ),
        )

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError):
        _end_failed_transaction()
        if exc.connection_invalidated:
            # The connection was lost (database restarted, connection terminated): the pool
            # opens a new one for the next request.
            log.warning("database connection lost: %s", exc.orig)
            return error_response(
                503,
                _(
                    "Die Verbindung zur Datenbank war kurz unterbrochen. "
                    "Bitte gleich noch einmal versuchen."
                ),
            )
        if isinstance(exc, OperationalError) and (
            "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()
        ):
            log.warning("database busy: %s", exc.orig)
            return error_response(503)
        log.exception("database error")
        return error_response(500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _end_failed_transaction()
        log.exception("unhandled error")
        return error_response(500)

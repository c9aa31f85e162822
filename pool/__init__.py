"""Dolmetscherpool: the app factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, check_production, config_from_environment


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; ``config`` overrides keys of ``app.config``.

    A setting that does not fit raises :class:`config.ConfigurationError` naming the variable.
    """
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.update(config_from_environment())
    if config:
        app.config.update(config)
    check_production(app.config)

    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Werkzeug's documented wrapping
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from pool import auth, cli, db, errors, i18n, pagecache, redact, security_headers, views

    # No secret of an address reaches a log: the development server's request lines, and what
    # the app logs (through Flask's handler or any handler on the root logger).
    redact.install(
        logging.getLogger("werkzeug"),
        handlers=(default_handler, *logging.getLogger().handlers),
    )

    db.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    security_headers.init_app(app)
    pagecache.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    cli.init_app(app)

    from pool.admin import catalogue  # noqa: F401  (adds the catalogue pages to the admin area)
    from pool.admin.routes import bp as admin_bp
    from pool.allowances import bp as allowances_bp
    from pool.api import bp as api_bp
    from pool.apply.routes import bp as apply_bp
    from pool.auth.routes import bp as auth_bp
    from pool.feeds.routes import bp as feeds_bp
    from pool.hotline import bp as hotline_bp
    from pool.imports.routes import bp as imports_bp
    from pool.main.routes import bp as main_bp
    from pool.mediators.routes import bp as mediators_bp
    from pool.notifications.routes import bp as notifications_bp
    from pool.privacy import bp as privacy_bp
    from pool.reports import bp as reports_bp
    from pool.reports.overview import public_bp
    from pool.requests import bp as requests_bp
    from pool.selfservice.routes import bp as me_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(mediators_bp, url_prefix="/mediators")
    app.register_blueprint(requests_bp, url_prefix="/requests")
    app.register_blueprint(imports_bp, url_prefix="/mediators/import")
    app.register_blueprint(me_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(apply_bp, url_prefix="/mitmachen")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(privacy_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(allowances_bp, url_prefix="/allowances")
    app.register_blueprint(hotline_bp)
    return app

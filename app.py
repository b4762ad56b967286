"""Application factory: Pitchpanel is built by create_app(); nothing runs at import."""

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, render_template, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import Config
from extensions import csrf, db, login_manager, migrate, write_intent
from formkit import field_limits

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor" / "nhsuk"


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: at most a signed 64-bit id, so a huge one is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the Pitchpanel application."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    _load_secret_key(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # The request id and CSP nonce must exist before CSRF or the access policy can refuse
    # a request, so their hooks are registered first (Flask runs them in order).
    register_request_hooks(app)
    register_extensions(app)
    register_templates(app)
    app.url_map.converters["int"] = IdConverter
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    return app


def _load_secret_key(app: Flask) -> None:
    """Take SECRET_KEY from the environment or instance/secret_key; refuse to run without."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("SECRET_KEY") or len(app.config["SECRET_KEY"]) < 32:
        raise RuntimeError(
            "SECRET_KEY is not set: export SECRET_KEY (32+ random characters) or run "
            "`make run`, which writes instance/secret_key"
        )


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons to this app."""
    from auth.services import load_user

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A server can drop idle connections; test each before use. A SQLite file cannot,
        # and the ping would cost every request a statement.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "auth.login"
    login_manager.needs_refresh_message = "Sign in again to confirm it is you"
    login_manager.needs_refresh_message_category = "info"
    # "basic": a tablet moving between venue wifi and 4G must not sign its judge out.
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def register_templates(app: Flask) -> None:
    """Add the NHS.UK frontend macros to the template search path, and template globals."""
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(os.path.join(app.root_path, "templates")),
            PackageLoader("nhsuk_frontend_jinja"),
        ]
    )
    # The NHS.UK macros read optional parameters through chains of attributes.
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from events.templating import register as register_event_helpers
    from pitches.services import list_teams_for_user

    register_event_helpers(app)
    app.jinja_env.globals["field_limits"] = field_limits

    def user_teams(event) -> list:
        """The signed-in user's teams in an event, for the event's sub-navigation."""
        if not current_user.is_authenticated:
            return []
        return list_teams_for_user(event, current_user)

    app.jinja_env.globals["user_teams"] = user_teams


def register_blueprints(app: Flask) -> None:
    """Register every feature blueprint and the access policy that guards them."""
    from auth import policy
    from auth.routes import bp as auth_bp
    from events.routes import bp as events_bp
    from judging.assignment_routes import bp as assignment_bp
    from judging.conflict_routes import bp as conflicts_bp
    from judging.feedback_routes import bp as feedback_bp
    from judging.funding_routes import bp as funding_bp
    from judging.live_routes import bp as live_bp
    from judging.moderation_routes import bp as moderation_bp
    from judging.pack_routes import bp as packs_bp
    from judging.paper_routes import bp as paper_bp
    from judging.practice_routes import bp as practice_bp
    from judging.prize_routes import bp as prizes_bp
    from judging.routes import bp as judging_bp
    from judging.vote_routes import bp as votes_bp
    from pitches.routes import bp as pitches_bp
    from pitches.services import event_roles
    from portal.routes import bp as portal_bp

    for blueprint in (
        auth_bp,
        events_bp,
        pitches_bp,
        judging_bp,
        conflicts_bp,
        assignment_bp,
        moderation_bp,
        funding_bp,
        feedback_bp,
        packs_bp,
        practice_bp,
        live_bp,
        paper_bp,
        votes_bp,
        prizes_bp,
        portal_bp,
    ):
        app.register_blueprint(blueprint)

    @app.route("/assets/<path:filename>", endpoint="assets")
    def assets(filename: str):
        """Serve the NHS.UK frontend's images and manifest (its CSS refers to /assets)."""
        return send_from_directory(VENDOR_DIR / "assets", filename, max_age=86400)

    @app.route("/healthz")
    @policy.allow(policy.PUBLIC)
    def healthz():
        """Answer 200 with a small JSON body when the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            db.session.rollback()
            return jsonify(status="error", database="unavailable"), 503
        return jsonify(status="ok", database="ok")

    policy.init_app(app, event_roles)


def register_cli(app: Flask) -> None:
    """Add the command groups: create-organiser, demo and results."""
    from auth.cli import create_organiser
    from demo.cli import cli as demo_cli
    from judging.cli import cli as results_cli
    from judging.paper_cli import cli as paper_cli

    app.cli.add_command(create_organiser)
    app.cli.add_command(demo_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(paper_cli)


def _content_security_policy(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def register_request_hooks(app: Flask) -> None:
    """Request id, transaction kind, and the security headers of every response (R-22)."""

    @app.before_request
    def start_request() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[
            :40
        ] or secrets.token_hex(8)
        g.csp_nonce = secrets.token_urlsafe(16)
        # Safe requests only read: keep their SQLite transactions deferred.
        write_intent.set(request.method not in SAFE_METHODS)

    @app.after_request
    def secure_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            _content_security_policy(g.get("csp_nonce", "none")),
        )
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["X-Request-Id"] = g.get("request_id", "")
        if request.endpoint not in ("static", "assets"):
            headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def end_request(exc) -> None:
        write_intent.set(True)

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        from auth.policy import event_roles

        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "request_id": g.get("request_id", ""),
            "roles": event_roles(),
        }


def register_error_handlers(app: Flask) -> None:
    """Generic error pages that carry the request id (R-37)."""

    def render_error(code: int, title: str):
        return render_template("errors/error.html", code=code, title=title), code

    @app.errorhandler(400)
    def bad_request(error):
        return render_error(400, "Something was wrong with that request")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from auth import audit

        app.logger.warning("CSRF failure on %s: %s", request.path, error.description)
        audit.record("csrf.failure", path=request.path)
        db.session.commit()
        return render_error(
            400, "Your form expired. Go back, reload the page and try again"
        )

    @app.errorhandler(403)
    def forbidden(error):
        return render_error(403, "You do not have permission to do that")

    @app.errorhandler(404)
    def not_found(error):
        return render_error(404, "Page not found")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return render_error(405, "That action is not available here")

    @app.errorhandler(413)
    def too_large(error):
        return render_error(413, "That upload is too large")

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500, "Sorry, there is a problem with the service")

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

"""Sign in, sign out and register."""

import re

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from auth import audit, services
from auth.forms import LoginForm, RegisterForm
from auth.policy import PUBLIC, SIGNED_IN, allow
from extensions import db, reading

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Enter a correct email address and password"
# A safe "next" is a path on this site: one leading slash, no scheme, host or backslash.
_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\\\x00-\x1f\x7f]*$")


def safe_next(target: str | None) -> str | None:
    """Return target if it is a relative path on this host, else None (R-28)."""
    if not target or not _SAFE_NEXT.match(target) or "@" in target.split("?")[0]:
        return None
    return target


def _client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    """Sign a user in with their email address and password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with reading():
            throttled = services.is_throttled(form.email.data, _client_address())
        if throttled:
            error = "Too many attempts. Wait a few minutes, then try again"
        else:
            user = services.authenticate(
                form.email.data, form.password.data, _client_address()
            )
            if user is not None:
                next_page = safe_next(request.args.get("next"))
                session.clear()  # renew the session on sign-in
                login_user(user, remember=form.remember.data)
                db.session.commit()
                return redirect(next_page or url_for("portal.home"))
            error = LOGIN_FAILED
        db.session.commit()
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    """Sign the user out and clear what the browser holds for this site (R-22)."""
    audit.record("logout", actor=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/register", methods=["GET", "POST"])
@allow(PUBLIC)
def register():
    """Create a participant account and sign it in."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.check_password_policy(form.password.data)
        except services.AuthError as error:
            form.password.errors.append(str(error))
        else:
            services.register_participant(
                form.email.data, form.password.data, form.display_name.data
            )
            db.session.commit()
            # The same answer whether or not the address was already registered, so the
            # form does not reveal who has an account.
            flash(
                "Thank you. Now sign in with your email address and password", "success"
            )
            return redirect(
                url_for("auth.login", next=safe_next(request.args.get("next")))
            )
    return render_template("auth/register.html", form=form)

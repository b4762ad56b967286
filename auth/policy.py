"""The access policy: every endpoint declares who may use it, and one hook enforces it.

Deny by default (R-01): an endpoint without a declared policy answers 403 to everyone, and
`tests/test_access_policy.py` walks the URL map to prove none is missing. Event roles are
checked against the event named by the URL's ``slug``; someone without the role gets 404, so
an event's private pages do not reveal themselves (R-02, R-08).
"""

from collections.abc import Callable

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from auth import audit
from extensions import db, reading, write_intent

PUBLIC = "public"
SIGNED_IN = "signed_in"
# May create events (User.is_organiser).
EVENT_CREATOR = "event_creator"
# Roles within one event.
ORGANISER = "organiser"
JUDGE = "judge"
TEAM = "team"
PROBLEM_OWNER = "problem_owner"
# Approves the event's funding allocation on the funder's behalf (issue 4).
FUNDER = "funder"
EVENT_ROLES = frozenset({ORGANISER, JUDGE, TEAM, PROBLEM_OWNER, FUNDER})
ALL_RULES = EVENT_ROLES | {PUBLIC, SIGNED_IN, EVENT_CREATOR}

# Endpoints Flask or the app add themselves, with their policy.
BUILTIN_POLICIES = {"static": frozenset({PUBLIC}), "assets": frozenset({PUBLIC})}

RoleResolver = Callable[[object, str], frozenset[str]]


def allow(*rules: str) -> Callable:
    """Declare who may call a view: public, signed_in, event_creator or event roles."""
    unknown = set(rules) - ALL_RULES
    if not rules or unknown:
        raise ValueError(f"unknown access rules: {sorted(unknown) or 'none given'}")

    def decorate(view: Callable) -> Callable:
        view.access_policy = frozenset(rules)
        return view

    return decorate


def read_first(loader: Callable) -> Callable:
    """Declare what a write view reads before it takes the write lock.

    On a write request the policy checks access in a read transaction of its own (see
    _check_outside_write_lock). Once access is granted, ``loader`` runs in that same
    transaction with the URL's arguments, and the view finds its result with
    :func:`first_read`. The scorecard save uses it for the rubric, so a panel saving at
    once pays for one read transaction a save, not two, and never builds its form while
    holding SQLite's write lock. The loader must only read.
    """

    def decorate(view: Callable) -> Callable:
        view.read_first = loader
        return view

    return decorate


def first_read():
    """Return what the view's read_first loader read for this request."""
    return g.first_read


def policy_for(app: Flask, endpoint: str) -> frozenset[str] | None:
    """Return the declared policy of an endpoint, or None when it has none."""
    if endpoint in BUILTIN_POLICIES:
        return BUILTIN_POLICIES[endpoint]
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_policy", None)


def event_roles() -> frozenset[str]:
    """Return the current user's roles in the event of this request (cached per request)."""
    return g.get("event_roles", frozenset())


_DENIED = object()


def init_app(app: Flask, resolve_roles: RoleResolver) -> None:
    """Install the before-request hook that enforces every endpoint's policy."""

    @app.before_request
    def enforce_access_policy():
        if request.endpoint is None:  # 404 / 405: nothing to protect
            return None
        policy = policy_for(current_app, request.endpoint)
        if policy is None:
            current_app.logger.error(
                "endpoint %s has no access policy", request.endpoint
            )
            abort(403)
        if write_intent.get():
            outcome = _check_outside_write_lock(policy, resolve_roles)
        else:
            outcome = _check(policy, resolve_roles)
        if outcome is _DENIED:
            audit.record(
                "access.denied",
                actor=current_user,
                endpoint=request.endpoint,
                path=request.path,
            )
            _commit_denial()
            abort(404)
        return outcome


def _check(policy: frozenset[str], resolve_roles: RoleResolver):
    """Return None to let the request through, a response to send, or _DENIED."""
    if PUBLIC in policy:
        return _load_roles_quietly(resolve_roles)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if SIGNED_IN in policy:
        return _load_roles_quietly(resolve_roles)
    if EVENT_CREATOR in policy and current_user.is_organiser:
        return _load_roles_quietly(resolve_roles)
    return None if _load_roles(resolve_roles) & policy else _DENIED


def _check_outside_write_lock(policy: frozenset[str], resolve_roles: RoleResolver):
    """Check a write request's access without holding SQLite's write lock (see
    extensions.reading): every scorecard save is a write request, and a panel saves at
    once."""
    with reading():
        outcome = _check(policy, resolve_roles)
        loader = getattr(
            current_app.view_functions[request.endpoint], "read_first", None
        )
        if outcome is None and loader is not None:
            g.first_read = loader(**(request.view_args or {}))
        return outcome


def _load_roles(resolve_roles: RoleResolver) -> frozenset[str]:
    slug = (request.view_args or {}).get("slug")
    roles = frozenset()
    if slug is not None and current_user.is_authenticated:
        roles = resolve_roles(current_user, slug)
    g.event_roles = roles
    return roles


def _load_roles_quietly(resolve_roles: RoleResolver) -> None:
    _load_roles(resolve_roles)
    return None


def _commit_denial() -> None:
    """Store the denial; a busy database must not turn a 404 into a 500."""
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("could not store access denial for %s", request.path)

"""Write lines to the append-only audit log (R-36)."""

import json
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Connection, insert

from auth.models import AuditEntry
from extensions import Prepared, db

_CONTROL = {i: f"\\x{i:02x}" for i in range(32) if i not in (9,)}


def _clean(value: Any) -> Any:
    """Encode control characters (newlines included) so a log line cannot be forged."""
    if isinstance(value, str):
        return value.translate(_CONTROL)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def record(
    action: str,
    *,
    actor=None,
    event_id: int | None = None,
    target=None,
    **detail: Any,
) -> AuditEntry:
    """Add one audit entry to the session; the caller's transaction commits it."""
    entry = AuditEntry(
        **_row(
            action,
            actor_id=getattr(actor, "id", None),
            event_id=event_id,
            target_type=type(target).__name__ if target is not None else None,
            target_id=getattr(target, "id", None),
            detail=detail,
        )
    )
    db.session.add(entry)
    return entry


# Saving a scorecard writes one line each time: see extensions.Prepared.
_INSERT = Prepared(
    insert(AuditEntry.__table__),
    [
        "action",
        "detail",
        "request_id",
        "actor_id",
        "event_id",
        "target_type",
        "target_id",
        "at",
    ],
)


def write(
    connection: Connection,
    action: str,
    *,
    actor_id: int | None,
    event_id: int | None,
    target_type: str,
    target_id: int,
    at: datetime,
    **detail: Any,
) -> None:
    """Insert one audit entry now on the caller's connection (in its transaction),
    without the ORM.

    For the hot paths that write with table statements (judging/saving.py); everything
    else uses :func:`record`.
    """
    _INSERT.run(
        connection,
        _row(
            action,
            actor_id=actor_id,
            event_id=event_id,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )
        | {"at": at},
    )


def _row(action: str, *, detail: dict[str, Any], **columns: Any) -> dict[str, Any]:
    return {
        "action": action,
        "detail": json.dumps(_clean(detail), sort_keys=True, default=str),
        "request_id": g.get("request_id") if has_request_context() else None,
        **columns,
    }

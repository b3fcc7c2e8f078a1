"""The dashboard's only writes: acknowledging and silencing an alert.

They call the same storage functions as ``benchwatch alerts ack`` and
``silence`` (``storage.alerts.ack_alert`` / ``silence_alert``) on a
short-lived writer connection taken under the writer lock, then republish the
read-only copy so every reader sees the change. A refresh holding the lock
makes the action wait a few seconds and then give up with a message: the page
never blocks for the length of a refresh, and never blocks the refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from benchwatch.storage.alerts import AlertNotFound, ack_alert, silence_alert
from benchwatch.storage.db import StorageError, connect, writer_lock
from benchwatch.storage.publish import publish

WRITER_WAIT_SECONDS = 5.0
ACTOR = "dashboard"


class ActionFailed(RuntimeError):
    """The action was not applied; the message says why (busy writer, unknown or resolved alert)."""


def _write(db: Path, action: Callable, *args: object) -> None:
    try:
        with writer_lock(db, wait_seconds=WRITER_WAIT_SECONDS):
            con = connect(db)
            try:
                action(con, *args)
                publish(con, db)
            finally:
                con.close()
    except AlertNotFound as exc:
        raise ActionFailed(f"no alert has the key {exc.args[0]!r}") from None
    except (StorageError, ValueError) as exc:
        raise ActionFailed(str(exc)) from None


def ack(db: Path, key: str) -> None:
    """Acknowledge a firing alert."""
    _write(db, lambda con, k: ack_alert(con, k, by=ACTOR), key)


def silence(db: Path, key: str, until: date) -> None:
    """Send nothing about an alert through the end of ``until``."""
    _write(db, silence_alert, key, until)

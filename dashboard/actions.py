"""The dashboard's only writes: acknowledging and silencing an alert.

They call the same storage functions as ``benchwatch alerts ack`` and
``silence`` (``storage.alerts.ack_alert`` / ``silence_alert``) through the
same writer door (``storage.writer``), which republishes the read-only copy so
every reader sees the change. A refresh holding the door makes the action wait
at most ``writer_wait_seconds`` and then give up with a message: the page never
blocks the refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from benchwatch.settings import Settings
from benchwatch.storage.alerts import AlertNotFound, ack_alert, silence_alert
from benchwatch.storage.db import StorageError
from benchwatch.storage.writer import writer_door

ACTOR = "dashboard"


class ActionFailed(RuntimeError):
    """The action was not applied; the message says why (busy writer, unknown or resolved alert)."""


def _write(settings: Settings, action: Callable, *args: object) -> None:
    try:
        with writer_door(settings.db, settings.writer_wait_seconds) as door:
            action(door.con, *args)
    except AlertNotFound as exc:
        raise ActionFailed(f"no alert has the key {exc.args[0]!r}") from None
    except (StorageError, ValueError) as exc:
        raise ActionFailed(str(exc)) from None


def ack(settings: Settings, key: str) -> None:
    """Acknowledge a firing alert."""
    _write(settings, lambda con, k: ack_alert(con, k, by=ACTOR), key)


def silence(settings: Settings, key: str, until: date) -> None:
    """Send nothing about an alert through the end of ``until``."""
    _write(settings, silence_alert, key, until)

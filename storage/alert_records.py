"""The alert records storage keeps: the shapes the alert lifecycle writes and reads back.

They live with storage, which owns what it persists, so that storage never
imports the alerting layer above it; ``benchwatch.alerting`` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

# How a recorded change is treated: history (never sent), news, or news while silenced.
BACKFILL, NOTIFY, SILENCED = "backfill", "notify", "silenced"


@dataclass(frozen=True)
class Transition:
    key: str
    rule: str
    source: str
    benchmark: str | None
    axis: str | None
    model_set: str | None
    state: str
    data_time: date
    value: float | None
    threshold: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    severity: str
    message: str
    # The fetch that caused a fetch-log transition (its novelty is by fetch, not by date).
    fetch_id: int | None = None
    # The delivery round that caused a channel-failing transition (rounds order a day's changes).
    round_id: int | None = None
    details: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    # A further firing of an alert already firing (a second rescoring, another shape
    # change): recorded and told as a new firing rather than merged into the first.
    refire: bool = False
    # Set by the lifecycle: backfill, notify or silenced.
    disposition: str = ""


@dataclass(frozen=True)
class Stored:
    """A key's recorded state: its current state and the data time of its last transition."""

    state: str
    last_time: date
    rule: str
    source: str
    # The newest fetch (delivery round) behind one of its transitions, 0 if none: the
    # fetch-log rules (channel-failing) order their changes by it, several a day.
    last_fetch_id: int = 0
    last_round_id: int = 0


@dataclass(frozen=True)
class Horizon:
    """What an evaluation had seen: the newest fetch, and per watched source its latest as-of date."""

    last_fetch_id: int
    data_horizons: Mapping[str, date | None]


@dataclass(frozen=True)
class Delivery:
    channel_id: str
    channel: str
    ok: bool
    error: str | None = None


class ChannelRef(Protocol):
    """What storage keeps of a notification channel: its hash id and redacted label, never its URL."""

    channel_id: str
    label: str

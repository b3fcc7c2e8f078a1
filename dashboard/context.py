"""What every page of one render shares: settings, the pinned copy, the run it shows.

``app.py`` opens it around the page it runs; pages call ``current()``. A
context variable (not a module global) keeps concurrent sessions, which
Streamlit runs in separate threads, apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from benchwatch.analysis.classes import Bands
from benchwatch.dashboard.data import PinnedCopy
from benchwatch.settings import Settings
from benchwatch.storage import views

_CURRENT: ContextVar[Context] = ContextVar("benchwatch_dashboard_context")


@dataclass
class Context:
    settings: Settings
    pinned: PinnedCopy | None
    _runs: dict | None = field(default=None, repr=False)

    @property
    def bands(self) -> Bands:
        return Bands(tracking=self.settings.capability_threshold)

    def read(self, view: Callable[..., Any], *args: Any) -> Any:
        assert self.pinned is not None, "require_data() first"
        return self.pinned.read(view, *args)

    @property
    def runs(self) -> dict:
        if self._runs is None:
            self._runs = self.read(views.runs)
        return self._runs

    @property
    def run(self) -> dict:
        """The newest good analysis run: every number on every page comes from it."""
        return self.runs["good"]

    def require_data(self) -> None:
        """Stop the page with a clear message when there is nothing to show yet."""
        if self.pinned is None:
            st.info(
                "No data yet: the dashboard reads the copy a refresh publishes "
                f"({self.settings.db.name} → published copy beside it), and there is none. "
                "Run `benchwatch refresh` (or wait for the scheduled flow), then reload."
            )
            st.stop()
        if self.runs["good"] is None:
            st.info("The database holds no finished analysis run yet: the next refresh will compute one.")
            st.stop()


def current() -> Context:
    return _CURRENT.get()


@contextlib.contextmanager
def opened(settings: Settings) -> Iterator[Context]:
    """Pin the published copy for one render and close its connection afterwards."""
    ctx = Context(settings, PinnedCopy.of(settings.db))
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)
        if ctx.pinned is not None:
            ctx.pinned.close()

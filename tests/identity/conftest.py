"""Model names as the recorded sources publish them, read through the sources' own parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchwatch.sources import SOURCES, build


@pytest.fixture(scope="session")
def recorded_names(data_dir: Path) -> dict[str, set[str]]:
    """Every model name each source's replay yields (a few seconds for all seven)."""
    names: dict[str, set[str]] = {}
    for name in SOURCES:
        source = build(name)
        names[name] = set()
        for snapshot in source.replay(data_dir):
            names[name] |= set(source.parse(snapshot).models["model"])
    return names

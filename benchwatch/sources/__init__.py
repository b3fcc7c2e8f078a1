"""Every leaderboard Benchwatch follows, by the name the CLI and settings use."""

from __future__ import annotations

from benchwatch.sources.base import Source
from benchwatch.sources.epoch import EpochBenchmarks
from benchwatch.sources.helm import HelmCapabilities, HelmSafety
from benchwatch.sources.lmarena import LMArena
from benchwatch.sources.open_llm_v1 import OpenLLMLeaderboardV1
from benchwatch.sources.open_llm_v2 import OpenLLMLeaderboardV2
from benchwatch.sources.safetywashing import SafetywashingPaper

SOURCES: dict[str, type[Source]] = {
    cls.name: cls
    for cls in (
        SafetywashingPaper,
        OpenLLMLeaderboardV1,
        OpenLLMLeaderboardV2,
        HelmSafety,
        HelmCapabilities,
        LMArena,
        EpochBenchmarks,
    )
}


def build(name: str, upstream_base: str | None = None) -> Source:
    """The source called ``name``; an unknown name is an error listing the known ones."""
    try:
        return SOURCES[name](upstream_base=upstream_base)
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}") from None

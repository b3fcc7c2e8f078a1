"""Every leaderboard Benchwatch follows, by the name the CLI and settings use."""

from __future__ import annotations

from benchwatch.settings import Settings
from benchwatch.sources.base import Source
from benchwatch.sources.epoch import EpochBenchmarks
from benchwatch.sources.every_eval_ever import EveryEvalEver
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
        EveryEvalEver,
    )
}


def build(name: str, upstream_base: str | None = None) -> Source:
    """The source called ``name``; an unknown name is an error listing the known ones."""
    try:
        return SOURCES[name](upstream_base=upstream_base)
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}") from None


def configured(name: str, settings: Settings) -> Source:
    """The source called ``name`` with what the settings say about it (its endpoints' base,
    the EEE collections...): what a refresh reads."""
    if name not in SOURCES:
        build(name)
    return SOURCES[name].configured(settings)

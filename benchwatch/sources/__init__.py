"""Every leaderboard Benchwatch follows, by the name the CLI and settings use."""

from __future__ import annotations

import pandas as pd

from benchwatch.registry import load_registry
from benchwatch.settings import Settings, SettingsError
from benchwatch.sources.base import Source
from benchwatch.sources.custom import registry_rows, source_class
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


def catalog(settings: Settings) -> dict[str, type[Source]]:
    """Every source a refresh follows: the built-in ones and the settings' custom sources.

    A custom source may not take a built-in source's name: the error names the setting.
    """
    custom = {spec.name: source_class(spec) for spec in settings.custom_sources}
    clash = sorted(set(custom) & set(SOURCES))
    if clash:
        raise SettingsError(f"invalid configuration:\n  setting 'custom_sources' ({clash[0]!r}): "
                            "the name of a built-in source")
    return {**SOURCES, **custom}


def configured(name: str, settings: Settings) -> Source:
    """The source called ``name`` with what the settings say about it (its endpoints' base,
    the EEE collections, a custom source's file): what a refresh reads."""
    sources = catalog(settings)
    if name not in sources:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(sources)}")
    return sources[name].configured(settings)


def full_registry(settings: Settings) -> pd.DataFrame:
    """The registry files' rows and the custom sources' benchmarks."""
    registry = load_registry()
    if not settings.custom_sources:
        return registry
    extra = registry_rows(settings.custom_sources)
    return pd.concat([registry, extra.astype({"direction": int})], ignore_index=True)

"""Normalization rules on real names from the recorded leaderboards.

Every name below is checked to occur in the recorded data, so the rules are
tested on what the sources really publish, including the near-misses that
must stay apart: other sizes, other dates, base versus instruct, a re-upload
under another organisation, another reasoning effort.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchwatch.identity.normalize import normalize, normalize_many

# One model, as different sources name it: (source, name) -> the canonical id all share.
SAME_MODEL = {
    "claude-sonnet-3.5-20240620": [
        ("helm-safety", "Claude 3.5 Sonnet (20240620)"),
        ("lmarena", "Claude 3.5 Sonnet (20240620)"),
        ("epoch", "claude-3-5-sonnet-20240620"),
        ("helm-capabilities", "Anthropic CLAUDE 3 5 SONNET (2024-06-20)"),
    ],
    "claude-sonnet-4.5-20250929": [
        ("helm-safety", "Claude 4.5 Sonnet (20250929)"),
        ("epoch", "claude-sonnet-4-5-20250929"),
        ("helm-capabilities", "Anthropic CLAUDE 4 5 SONNET (2025-09-29)"),
    ],
    "claude-opus-3-20240229": [
        ("helm-safety", "Claude 3 Opus (20240229)"),
        ("lmarena", "claude-3-opus-20240229"),  # Elo-history key
        ("epoch", "claude-3-opus-20240229"),
    ],
    "llama-3-8b-instruct": [
        ("helm-safety", "Llama 3 Instruct (8B)"),
        ("safetywashing-paper", "Meta-Llama-3-8B-Instruct"),
        ("epoch", "Meta-Llama-3-8B-Instruct"),
        ("open-llm-leaderboard-v2", "meta-llama/Meta-Llama-3-8B-Instruct"),
        ("lmarena", "Llama-3-8B-Instruct"),
        ("lmarena", "llama-3-8b-instruct"),
    ],
    "llama-3.1-8b-instruct": [
        ("epoch", "Llama-3.1-8B-Instruct"),
        ("lmarena", "Meta-Llama-3.1-8B-Instruct"),
        ("open-llm-leaderboard-v2", "meta-llama/Llama-3.1-8B-Instruct"),
        ("open-llm-leaderboard-v2", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    ],
    "gpt-4o-20240513": [
        ("helm-safety", "GPT-4o (2024-05-13)"),
        ("lmarena", "GPT-4o-2024-05-13"),
        ("lmarena", "gpt-4o-2024-05-13"),
        ("epoch", "gpt-4o-2024-05-13"),
    ],
    "gpt-3.5-turbo-0125": [
        ("helm-safety", "GPT-3.5 Turbo (0125)"),
        ("lmarena", "GPT-3.5-Turbo-0125"),
        ("epoch", "gpt-3.5-turbo-0125"),
    ],
    "gemini-2.0-flash-lite-preview-0205": [
        ("helm-safety", "Gemini 2.0 Flash Lite (02-05 preview)"),
        ("lmarena", "Gemini-2.0-Flash-Lite-Preview-02-05"),
        ("epoch", "gemini-2.0-flash-lite-preview-02-05"),
        ("helm-capabilities", "Google Gemini 2.0 Flash Lite Preview 02 05"),
    ],
    "command-r-plus-202408": [
        ("lmarena", "Command R+ (08-2024)"),
        ("epoch", "c4ai-command-r-plus-08-2024"),
    ],
    "command-r-plus": [
        ("helm-safety", "Command R Plus"),
        ("lmarena", "Command R+"),
        ("lmarena", "command-r-plus"),
        ("open-llm-leaderboard-v2", "CohereForAI/c4ai-command-r-plus"),
    ],
    "mistral-v0.3-7b-instruct": [
        ("helm-safety", "Mistral Instruct v0.3 (7B)"),
        ("epoch", "Mistral-7B-Instruct-v0.3"),
        ("helm-capabilities", "Mistral AI Mistral 7B Instruct V0.3"),
        ("open-llm-leaderboard-v2", "mistralai/Mistral-7B-Instruct-v0.3"),
    ],
    "llama-4-maverick-17b-128e-instruct-fp8": [
        ("helm-safety", "Llama 4 Maverick (17Bx128E) Instruct FP8"),
        ("epoch", "Llama-4-Maverick-17B-128E-Instruct-FP8"),
        ("helm-capabilities", "Meta Llama 4 Maverick (17Bx128E) Instruct FP8"),
    ],
    "qwen3-235b-a22b-instruct-fp8-2507": [
        ("helm-safety", "Qwen3 235B A22B Instruct 2507 FP8"),
        ("helm-capabilities", "Qwen Qwen3 235B A22B Instruct 2507 Fp8"),
    ],
    "internlm2.5-20b-chat": [("lmarena", "InternLM2.5-20B-chat"), ("lmarena", "InternLM2.5-20b-chat")],
    "athene-70b": [("lmarena", "Athene-70B"), ("lmarena", "Athene-70b")],
    "nova-lite-v1.0": [("epoch", "amazon.nova-lite-v1:0"), ("helm-capabilities", "Amazon Nova Lite V1:0")],
    "qwen-1.8b": [("epoch", "Qwen-1_8B")],
    "llama-2-70b-chat": [("epoch", "Llama-2-70b-chat-hf"), ("lmarena", "Llama-2-70b-chat"),
                         ("safetywashing-paper", "Llama-2-70b-chat-hf")],
    "olmo-2-13b-instruct-202411": [("helm-safety", "OLMo 2 13B Instruct November 2024")],
}

# Names that must NOT share a canonical id, grouped by what tells them apart.
NEAR_MISSES = {
    "size": [
        (("helm-safety", "Llama 3 Instruct (8B)"), ("helm-safety", "Llama 3 Instruct (70B)")),
        (("helm-safety", "Qwen2.5 Instruct Turbo (7B)"), ("helm-safety", "Qwen2.5 Instruct Turbo (72B)")),
        (("epoch", "Mixtral-8x7B-Instruct-v0.1"), ("epoch", "Mixtral-8x22B-Instruct-v0.1")),
        (("helm-safety", "gpt-oss-20b"), ("epoch", "gpt-oss-120b")),
        (("lmarena", "Gemma-2-9b-it"), ("lmarena", "Gemma-2-27b-it")),
        (("lmarena", "Meta-Llama-3.2-1B-Instruct"), ("lmarena", "Meta-Llama-3.2-3B-Instruct")),
    ],
    "date": [
        (("helm-safety", "Claude 3.5 Sonnet (20240620)"), ("lmarena", "Claude 3.5 Sonnet (20241022)")),
        (("helm-safety", "GPT-3.5 Turbo (0613)"), ("helm-safety", "GPT-3.5 Turbo (0125)")),
        (("helm-safety", "Gemini 1.5 Pro (001)"), ("lmarena", "Gemini-1.5-Pro-002")),
        (("lmarena", "ChatGPT-4o-latest (2024-08-08)"), ("lmarena", "ChatGPT-4o-latest (2024-09-03)")),
        (("epoch", "gpt-4o-2024-05-13"), ("epoch", "gpt-4o-2024-08-06")),
        (("lmarena", "Mistral-Large-2407"), ("lmarena", "Mistral-Large-2411")),
        (("lmarena", "Command R+ (04-2024)"), ("lmarena", "Command R+ (08-2024)")),
        (("epoch", "gemini-2.5-pro-preview-05-06"), ("epoch", "gemini-2.5-pro-preview-06-05")),
    ],
    "base vs instruct": [
        (("safetywashing-paper", "Meta-Llama-3-8B"), ("safetywashing-paper", "Meta-Llama-3-8B-Instruct")),
        (("safetywashing-paper", "Mixtral-8x7B-v0.1"), ("safetywashing-paper", "Mixtral-8x7B-Instruct-v0.1")),
        (("safetywashing-paper", "Qwen1.5-72B"), ("safetywashing-paper", "Qwen1.5-72B-Chat")),
        (("safetywashing-paper", "deepseek-llm-67b-base"), ("safetywashing-paper", "deepseek-llm-67b-chat")),
        (("open-llm-leaderboard-v2", "google/gemma-2b"), ("open-llm-leaderboard-v2", "google/gemma-2b-it")),
        (("safetywashing-paper", "dbrx-base"), ("safetywashing-paper", "dbrx-instruct")),
    ],
    "another organisation's upload": [
        (("open-llm-leaderboard-v1", "NousResearch/Meta-Llama-3-8B-Instruct"),
         ("open-llm-leaderboard-v1", "meta-llama/Meta-Llama-3-8B-Instruct")),
        (("open-llm-leaderboard-v2", "jebish7/Llama-3.1-8B-Instruct"),
         ("open-llm-leaderboard-v2", "meta-llama/Llama-3.1-8B-Instruct")),
    ],
    "variant or model line": [
        (("epoch", "gpt-5-2025-08-07_high"), ("epoch", "gpt-5-2025-08-07_low")),
        (("helm-safety", "Claude 4 Sonnet (20250514)"), ("helm-safety", "Claude 4 Sonnet (20250514, extended thinking)")),
        (("helm-safety", "GPT-4o (2024-05-13)"), ("helm-safety", "GPT-4o mini (2024-07-18)")),
        (("helm-safety", "GLM-4.5-Air-FP8"), ("epoch", "GLM-4.5-Air")),
        (("epoch", "Qwen3-235B-A22B-Instruct-2507"), ("epoch", "Qwen3-235B-A22B-Thinking-2507")),
        (("lmarena", "Mistral Medium"), ("lmarena", "Mistral Medium 3")),
    ],
}


def all_named() -> set[tuple[str, str]]:
    named = {pair for pairs in SAME_MODEL.values() for pair in pairs}
    return named | {pair for pairs in NEAR_MISSES.values() for a, b in pairs for pair in (a, b)}


def test_every_name_here_is_in_the_recorded_data(recorded_names):
    missing = sorted(pair for pair in all_named() if pair[1] not in recorded_names[pair[0]])
    assert not missing, f"not in the recorded data: {missing}"


@pytest.mark.parametrize("canonical", sorted(SAME_MODEL))
def test_names_of_one_model_share_a_canonical_id(canonical):
    got = {name: normalize(name).canonical_id for _, name in SAME_MODEL[canonical]}
    assert got == {name: canonical for name in got}


@pytest.mark.parametrize("reason", sorted(NEAR_MISSES))
def test_near_misses_stay_apart(reason):
    for (_, a), (_, b) in NEAR_MISSES[reason]:
        assert normalize(a).canonical_id != normalize(b).canonical_id, (a, b)


def test_lmarena_keys_and_display_names_normalize_alike(recorded_names):
    """The Elo history's lower-case keys and the CSV display names of the same model."""
    pairs = [("gpt-4-0613", "GPT-4-0613"), ("gemini-1.5-pro-api-0409-preview", "Gemini-1.5-Pro-API-0409-Preview"),
             ("dbrx-instruct-preview", "DBRX-Instruct-Preview"), ("command-r", "Command R"),
             ("gemini-pro-dev-api", "Gemini Pro (Dev API)"), ("mistral-medium", "Mistral Medium"),
             ("qwen1.5-72b-chat", "Qwen1.5-72B-Chat"), ("claude-1", "Claude-1")]
    for key, display in pairs:
        assert {key, display} <= recorded_names["lmarena"]
        assert normalize(key).canonical_id == normalize(display).canonical_id, (key, display)


def test_reasoning_effort_is_a_variant_not_part_of_the_key():
    cases = {
        "gpt-5-2025-08-07_high": ("gpt-5-20250807", "high"),
        "claude-3-7-sonnet-20250219_32K": ("claude-sonnet-3.7-20250219", "32k"),
        "gpt-5.1-2025-11-13_none": ("gpt-5.1-20251113", "none"),
        "DeepSeek-V3.1_thinking": ("deepseek-v3.1", "thinking"),
        "o3-mini-high": ("o3-mini", "high"),
        "Claude 3.7 Sonnet (thinking-32k)": ("claude-sonnet-3.7", "32k"),
        "QwQ-32B (16K thinking)": ("qwq-32b", "16k"),
        "Claude 4 Opus (20250514, extended thinking)": ("claude-opus-4-20250514", "thinking"),
        "Qwen3-235B-A22B-no-thinking": ("qwen3-235b-a22b", "none"),
        # Not efforts: model names that end like one.
        "Mistral Medium": ("mistral-medium", None),
        "Qwen2.5-Max": ("qwen2.5-max", None),
        "magistral-medium-2506": ("magistral-medium-2506", None),
    }
    for name, (key, variant) in cases.items():
        parsed = normalize(name)
        assert (parsed.key, parsed.variant) == (key, variant), name
    assert normalize("gpt-5-2025-08-07_high").canonical_id == "gpt-5-20250807:high"


def test_rules_that_changed_a_name_are_recorded():
    assert normalize("anthropic/claude-3-5-sonnet-20240620").rules == (
        "vendor-prefix", "version-dots", "claude-tier-order")
    assert normalize("Llama 3 Instruct (8B)").rules == ("lowercase", "separators", "qualifier-order")
    assert normalize("c4ai-command-r-plus-08-2024").rules == ("vendor-word", "date-month-year")
    assert normalize("claude-1").rules == ()


def test_name_markers_give_the_kind():
    assert normalize("Meta-Llama-3-8B-Instruct").kind == "chat"
    assert normalize("Gemma-2-9b-it").kind == "chat"
    assert normalize("Qwen1.5-72B-Chat").kind == "chat"
    assert normalize("deepseek-llm-67b-base").kind == "base"
    assert normalize("Meta-Llama-3-8B").kind is None  # no marker: unknown, not guessed


def test_keys_are_fixed_points(recorded_names):
    """A key normalizes to itself, so canonical ids in the alias file are stable."""
    for source in ("helm-safety", "helm-capabilities", "lmarena", "epoch", "safetywashing-paper"):
        for name in recorded_names[source]:
            key = normalize(name).key
            assert normalize(key).key == key, (source, name, key)


def test_normalize_many_gives_normalize_s_keys_for_every_recorded_name(recorded_names):
    """The column path (array kernels for plain names) is ``normalize``, name for name: every name
    the recorded sources publish, each also upper-cased and with spaces for dashes."""
    names = pd.Series(sorted(set().union(*recorded_names.values())))
    names = pd.concat([names, names.str.upper(), names.str.replace("-", " ")], ignore_index=True)
    got = normalize_many(names)
    expected = [(p.key, p.variant, p.kind, ", ".join(p.rules)) for p in map(normalize, names)]
    assert list(got.itertuples(index=False, name=None)) == expected


PIECES = [*"abAB019-_ /.:()+x", "instruct", "8B", "2024", "fp8", "Preview", "chat", "meta-llama/", "nobody/",
          "0613", "20240620", "v2", "it", "base", "7x8b", "a3b", "hf", "March", "Claude", "Qwen ", "é", "\t"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), min_size=1, max_size=20))
def test_normalize_many_agrees_with_normalize_on_any_name(names):
    got = normalize_many(pd.Series(names))
    expected = [(p.key, p.variant, p.kind, ", ".join(p.rules)) for p in map(normalize, names)]
    assert list(got.itertuples(index=False, name=None)) == expected

"""Resolution: aliases first, then normalization; kinds; coverage; suggestions never applied."""

from __future__ import annotations

import pandas as pd
import pytest

from benchwatch.identity.aliases import AliasError, load_aliases
from benchwatch.identity.normalize import normalize
from benchwatch.identity.resolve import (
    coverage,
    identity_version,
    matched_sources,
    resolve,
)
from benchwatch.identity.suggest import suggest


@pytest.fixture(scope="module")
def recorded_identity(recorded_names) -> pd.DataFrame:
    models = pd.DataFrame([(source, model, None) for source, names in recorded_names.items()
                           for model in sorted(names)], columns=["source", "model", "model_type"])
    return resolve(models)


def canonical(identity: pd.DataFrame, source: str, model: str) -> str:
    row = identity[(identity["source"] == source) & (identity["model"] == model)]
    assert len(row) == 1, (source, model)
    return row["canonical_id"].iloc[0]


def test_every_alias_names_a_recorded_model_and_is_needed(recorded_names):
    aliases = load_aliases()
    assert len(aliases) >= 60
    for row in aliases.itertuples(index=False):
        assert row.model in recorded_names[row.source], (row.source, row.model)
        assert normalize(row.model).canonical_id != row.canonical_id, f"rules already do {row.model!r}"
        base = row.canonical_id.partition(":")[0]
        assert normalize(base).key == base, f"line {row.line}: {row.canonical_id!r} is not a normalized key"


def test_alias_file_errors_name_the_line(tmp_path):
    header = "canonical_id,source,model,note\n"
    cases = [
        header + "a-1,lmarena,X,n\nb-2,lmarena,X,n\n",  # one name, two models
        header + "Claude 3,lmarena,X,n\n",  # not in normalized form
        header + "a-1,lmarena,X,\n",  # no note
    ]
    for text in cases:
        path = tmp_path / "aliases.csv"
        path.write_text(text)
        with pytest.raises(AliasError, match="aliases.csv line"):
            load_aliases(path)
    (tmp_path / "aliases.csv").write_text("canonical_id,source,model\n")
    with pytest.raises(AliasError, match="missing column"):
        load_aliases(tmp_path / "aliases.csv")


def test_one_model_across_sources_with_the_rule_that_matched_it(recorded_identity):
    ids = {(s, m): canonical(recorded_identity, s, m) for s, m in [
        ("helm-safety", "Claude 3.5 Sonnet (20240620)"),
        ("lmarena", "Claude 3.5 Sonnet (20240620)"),
        ("lmarena", "Claude 3.5 Sonnet"),  # dateless display name, 2024-07..2024-10 boards
        ("epoch", "claude-3-5-sonnet-20240620"),
        ("helm-capabilities", "Anthropic CLAUDE 3 5 SONNET (2024-06-20)"),
    ]}
    assert set(ids.values()) == {"claude-sonnet-3.5-20240620"}
    rows = recorded_identity.set_index(["source", "model"])
    alias = rows.loc[("lmarena", "Claude 3.5 Sonnet")]
    assert alias["match_rule"] == "alias" and alias["match_detail"].startswith("aliases.csv line ")
    normalized = rows.loc[("helm-safety", "Claude 3.5 Sonnet (20240620)")]
    assert normalized["match_rule"] == "normalized"
    assert normalized["match_detail"] == "lowercase, separators, claude-tier-order"
    assert rows.loc[("lmarena", "claude-1"), "match_rule"] == "exact"


def test_lmarena_history_keys_and_board_names_are_one_model(recorded_identity):
    """The Elo history (keys) and the CSV boards (display names) name the same models."""
    same = [("claude-3-opus-20240229", "Claude 3 Opus"), ("claude-3-haiku-20240307", "Claude 3 Haiku"),
            ("command-r-plus", "Command R+ (04-2024)"), ("command-r", "Command R (04-2024)"),
            ("mistral-7b-instruct", "Mistral-7B-Instruct-v0.1"), ("palm-2", "PaLM-Chat-Bison-001"),
            ("bard-jan-24-gemini-pro", "Bard (Gemini Pro)"), ("claude-v1", "Claude-1"),
            ("reka-flash-21b-20240226", "Reka-Flash-21B")]
    for key, display in same:
        assert canonical(recorded_identity, "lmarena", key) == canonical(recorded_identity, "lmarena", display)


def test_default_reasoning_effort_is_a_curated_alias(recorded_identity):
    helm = canonical(recorded_identity, "helm-safety", "GPT-5 (2025-08-07)")
    assert canonical(recorded_identity, "epoch", "gpt-5-2025-08-07_medium") == helm == "gpt-5-20250807"
    assert canonical(recorded_identity, "epoch", "gpt-5-2025-08-07_high") == "gpt-5-20250807:high"
    assert canonical(recorded_identity, "epoch", "gpt-5.1-2025-11-13_none") == canonical(
        recorded_identity, "helm-safety", "GPT-5.1 (2025-11-13)")


def test_fraction_of_helm_safety_models_each_source_has(recorded_identity):
    fractions = coverage(recorded_identity).query("source == 'helm-safety'").set_index("other_source")
    assert fractions.loc["epoch", ["matched", "models"]].tolist() == [65, 87]
    assert fractions.loc["lmarena", ["matched", "models"]].tolist() == [56, 87]
    assert fractions.loc["helm-capabilities", "matched"] == 31
    assert fractions.loc["safetywashing-paper", "matched"] == 7


def test_kind_from_name_then_flag_then_source_population_then_name_pattern():
    models = pd.DataFrame([
        ("open-llm-leaderboard-v2", "meta-llama/Llama-3.1-8B-Instruct", "base"),  # flag is wrong
        ("open-llm-leaderboard-v2", "meta-llama/Meta-Llama-3-8B", "base"),
        ("helm-safety", "Claude 3 Opus (20240229)", None),
        ("epoch", "Meta-Llama-3-8B", None),
        ("epoch", "Mixtral-8x7B-v0.1", None),
        ("epoch", "gemini-1.5-pro-001", None),
        ("epoch", "o3-2025-04-16_high", None),
        ("epoch", "gpt-oss-120b", None),
        ("epoch", "Qwen3-32B", None),
        ("epoch", "Llama-3.1-Tulu-3-70B-DPO", None),
        ("every-eval-ever", "Meta-Llama-3-8B", None),
    ], columns=["source", "model", "model_type"])
    kinds = resolve(models).set_index(["source", "model"])[["kind", "kind_rule"]]
    assert kinds.loc[("open-llm-leaderboard-v2", "meta-llama/Llama-3.1-8B-Instruct")].tolist() == [
        "chat", "name marker (source flag says base)"]
    assert kinds.loc[("open-llm-leaderboard-v2", "meta-llama/Meta-Llama-3-8B")].tolist() == ["base", "source flag"]
    assert kinds.loc[("helm-safety", "Claude 3 Opus (20240229)")].tolist() == ["chat", "source population"]
    pattern_base = ["base", "name pattern: bare name of a pre-trained open-weight checkpoint"]
    assert kinds.loc[("epoch", "Meta-Llama-3-8B")].tolist() == pattern_base
    assert kinds.loc[("epoch", "Mixtral-8x7B-v0.1")].tolist() == pattern_base
    pattern_chat = ["chat", "name pattern: post-trained or API model name"]
    for name in ("gemini-1.5-pro-001", "o3-2025-04-16_high", "gpt-oss-120b", "Qwen3-32B", "Llama-3.1-Tulu-3-70B-DPO"):
        assert kinds.loc[("epoch", name)].tolist() == pattern_chat, name
    # A source with no rule of its own: the kind stays unknown.
    unknown = kinds.loc[("every-eval-ever", "Meta-Llama-3-8B")]
    assert pd.isna(unknown["kind"]) and unknown["kind_rule"] == "unknown"


def test_suggestions_are_listed_not_applied(recorded_identity):
    unmatched = recorded_identity[(recorded_identity["source"] == "helm-safety")
                                  & (matched_sources(recorded_identity).str.len() == 0)]
    assert "Claude 4 Opus (20250514, extended thinking)" in set(unmatched["model"])
    found = dict(zip(unmatched["model"], suggest(unmatched, recorded_identity), strict=True))
    thinking = found["Claude 4 Opus (20250514, extended thinking)"]
    assert thinking and all(s["canonical_id"].startswith("claude-opus-4-20250514:") for s in thinking)
    assert canonical(recorded_identity, "helm-safety", "Claude 4 Opus (20250514, extended thinking)") == (
        "claude-opus-4-20250514:thinking")
    upload = pd.DataFrame({"source": ["open-llm-leaderboard-v1"],
                           "canonical_id": ["nousresearch/llama-3-8b-instruct"]})
    assert suggest(upload, recorded_identity) == [[]]


def test_identity_version_follows_the_alias_file(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("canonical_id,source,model,note\n")
    before = identity_version(path)
    path.write_text("canonical_id,source,model,note\nx-1,lmarena,X,why\n")
    assert identity_version(path) != before

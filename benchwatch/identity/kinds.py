"""Base or chat: the rule that gives a model its kind, and says which rule it was.

The paper never pools base and chat models (its step 1), so every model should have a kind
where one can be told. In order, the first that speaks wins:

1. a marker in the name (``instruct``, ``chat``, ``it``, ``base``: ``identity.normalize``); the
   maker's word beats an uploader's flag, and the row says when they disagree;
2. the source's own flag (Open LLM Leaderboard ``type``, the paper's sets);
3. the source's declared population: HELM and Arena evaluate chat deployments only;
4. a name pattern, for sources that evaluate both and flag neither (Epoch): a parameter count
   (``70b``, ``8x7B``) in the name of an open-weight family that publishes its pre-trained
   checkpoint under the bare name and marks the tuned one (Llama 1-3.1, Mistral and Mixtral
   v0.1, Qwen 1-2.5, Gemma, Falcon, Yi, OPT, GPT-J/Neo/NeoX, MPT, PaLM, T5, InternLM, Baichuan,
   StarCoder, Cerebras-GPT, OpenLLaMA, RedPajama), and no fine-tune word (Tulu, DPO, Hermes,
   Vicuna, LLaVA, distill, thinking...), is the *base* checkpoint. Any other name is a
   post-trained release or an API product name (``gpt-4o-2024-05-13``, ``gemini-1.5-pro-001``,
   ``gpt-oss-120b``, ``Qwen3-32B``, an ``_high`` effort variant): *chat*;
5. else unknown: such models alone make the pooled set ``all (no split)``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import pandas as pd

KINDS = ("base", "chat")
# Leaderboards whose every entry is a chat/instruct deployment.
SOURCE_KINDS = {"helm-safety": "chat", "helm-capabilities": "chat", "lmarena": "chat"}
# Sources that evaluate both kinds without flagging them: the name pattern decides.
PATTERN_SOURCES = frozenset({"epoch"})
# A parameter count in a repository name: 70b, 8x7B, 1.5B, 500m.
PARAMETER_COUNT = re.compile(r"(?:^|[-_/. ])(?:\d+x)?\d+(?:\.\d+)?[bm](?=$|[-_/. ])", re.IGNORECASE)
# Families whose bare name is the pre-trained checkpoint (an optional "org/" first).
BARE_BASE_FAMILY = re.compile(
    r"^(?:[\w.-]+/)?(?:llama-[123]|llama-3\.1|meta-llama-3|llama-\d|mistral-7b-v0\.1|mixtral-8x\d+b-v0\.1|"
    r"qwen-|qwen1\.5-|qwen2-|qwen2\.5-|gemma-|falcon-|yi-|opt-|gpt-j-|gpt-neo|mpt-|palm |t5-|internlm-|"
    r"baichuan-|starcoder|cerebras-gpt-|open_llama|redpajama)", re.IGNORECASE)
FINE_TUNE_WORD = re.compile(r"tulu|dpo|sft|rlhf|hermes|wizard|vicuna|llava|distill|thinking|prime|vl\b|video",
                            re.IGNORECASE)


def kind_of(source: str, model: str, model_type: object, name_kind: str | None) -> tuple[str | None, str]:
    """(kind or None, the rule that decided it) for one model of one source."""
    flag = model_type if isinstance(model_type, str) and model_type in KINDS else None
    if name_kind:
        return name_kind, ("name marker" if flag in (None, name_kind)
                           else f"name marker (source flag says {flag})")
    if flag:
        return flag, "source flag"
    if source in SOURCE_KINDS:
        return SOURCE_KINDS[source], "source population"
    if source in PATTERN_SOURCES:
        if PARAMETER_COUNT.search(model) and BARE_BASE_FAMILY.search(model) and not FINE_TUNE_WORD.search(model):
            return "base", "name pattern: bare name of a pre-trained open-weight checkpoint"
        return "chat", "name pattern: post-trained or API model name"
    return None, "unknown"


def borrowed_kinds(identity: pd.DataFrame, sources: Collection[str]) -> pd.DataFrame:
    """``identity`` with each unknown kind of ``sources`` (a file of your own that flags neither base
    nor chat) taken from the same canonical id in the other sources, where they agree on one kind.

    ``benchwatch check`` compares such a file's models within the sets the stored axes put them in;
    a saved file (a custom source) must be split the same way, or its correlations pool base and chat
    models the check kept apart (and differ from the check's).
    """
    own = identity["source"].isin(list(sources))
    elsewhere = identity[~own & identity["kind"].notna()].groupby("canonical_id")["kind"].agg(
        lambda kinds: kinds.iloc[0] if kinds.nunique() == 1 else None)
    unknown = own & identity["kind"].isna()
    borrowed = identity.loc[unknown, "canonical_id"].map(elsewhere)
    found = borrowed.dropna().index
    out = identity.copy()
    out.loc[found, "kind"] = borrowed[found]
    out.loc[found, "kind_rule"] = "the kind the other sources give this model"
    return out

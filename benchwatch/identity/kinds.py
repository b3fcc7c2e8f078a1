"""Base or chat: the rule that gives a model its kind, and says which rule it was.

The paper never pools base and chat models (its step 1), so every model should have a kind
where one can be told. In order, the first that speaks wins:

1. a marker in the name (``instruct``, ``chat``, ``it``, ``base``: ``identity.normalize``); the
   maker's word beats an uploader's flag, and the row says when they disagree;
2. the source's own flag (Open LLM Leaderboard ``type``, the paper's sets);
3. the source's declared population: HELM and Arena evaluate chat deployments only;
4. a name pattern, for sources that evaluate both and flag neither (Epoch): an open-weight
   repository name that carries a parameter count (``Llama-2-70b-hf``, ``Mixtral-8x7B-v0.1``,
   ``Qwen2.5-72B``) and no instruct marker is the *base* release (by Hugging Face convention the
   instruction-tuned release carries the marker); any other name is an API product name
   (``gpt-4o-2024-05-13``, ``claude-3-opus-20240229``, ``gemini-1.5-pro-001``, an ``_high``
   effort variant), served instruction-tuned: *chat*;
5. else unknown: such models alone make the pooled set ``all (no split)``.
"""

from __future__ import annotations

import re

KINDS = ("base", "chat")
# Leaderboards whose every entry is a chat/instruct deployment.
SOURCE_KINDS = {"helm-safety": "chat", "helm-capabilities": "chat", "lmarena": "chat"}
# Sources that evaluate both kinds without flagging them: the name pattern decides.
PATTERN_SOURCES = frozenset({"epoch"})
# A parameter count in a repository name: 70b, 8x7B, 1.5B, 500m, a22b (active parameters).
PARAMETER_COUNT = re.compile(r"(?:^|[-_/. ])(?:\d+x)?a?\d+(?:\.\d+)?[bm](?=$|[-_/. ])", re.IGNORECASE)


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
        if PARAMETER_COUNT.search(model):
            return "base", "name pattern: open-weight parameter count, no instruct marker"
        return "chat", "name pattern: API model name"
    return None, "unknown"

"""Deterministic model-name normalization: one key per model, whatever the source calls it.

Sources name one model differently: "Claude 3.5 Sonnet (20240620)" (HELM
display name), "anthropic/claude-3-5-sonnet-20240620" (HELM run spec),
"claude-3-5-sonnet-20240620" (LMArena key, Epoch), "Meta-Llama-3-8B-Instruct"
(Epoch, the paper) and "meta-llama/Meta-Llama-3-8B-Instruct" (Open LLM
Leaderboard). ``normalize`` turns each into the same key by a fixed list of
named rules, and reports which rules changed the name, so every match can be
explained.

The rules only remove spelling differences; they never drop what tells two
models apart. Sizes (8b, 8x7b, a22b), dates (20240620, 0613, 2501), versions
(v0.3, 001), base/instruct markers (instruct, chat, it, base), precision
(fp8) and stage (preview, exp, beta) all stay in the key; they are only put in
a fixed order, so "Llama 3 Instruct (8B)" and "Llama-3-8B-Instruct" agree
while "Llama-3-8B" (base) and "Llama-3-70B-Instruct" do not.

Reasoning-effort suffixes (Epoch's ``_high``, ``_32K``, ``_unknown``;
LMArena's ``-high``, ``(thinking-32k)``) are split off as a *variant*: the
key of ``gpt-5-2025-08-07_high`` is ``gpt-5-20250807`` with variant
``high``, and its canonical id is ``gpt-5-20250807:high``. Variants are
separate models for matching; which variant stands for a model run at the
provider's default effort is a curated alias, never a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Organisations and hosting providers whose "org/" prefix names where a model
# is served or published, not a different model. An HF repository under any
# other organisation (a fine-tune or re-upload, "NousResearch/Meta-Llama-3-8B-Instruct")
# keeps its organisation in the key, so it never matches the original.
KNOWN_ORGS = frozenset({
    "01-ai", "ai21labs", "alibaba", "allenai", "amazon", "anthropic", "baichuan-inc",
    "bigscience", "chutes", "cohere", "cohereforai", "coherelabs", "databricks", "deepinfra",
    "deepseek", "deepseek-ai", "fireworks", "google", "ibm", "ibm-granite", "internlm",
    "marin-community", "meta", "meta-llama", "microsoft", "mistralai", "moonshotai", "nvidia",
    "openai", "qwen", "snowflake", "stabilityai", "thudm", "tiiuae", "together", "upstage",
    "writer", "xai", "zai-org",
    "zhipu-ai",  # the Every Eval Ever adapters' developer slug for Z.ai (GLM)
})
# Vendor words some sources put before the model name ("Anthropic CLAUDE 3 5
# SONNET", "Mistral AI Mistral 7B", "Qwen Qwen2.5 72B"); dropped only when the
# next token is the model family that vendor publishes.
VENDOR_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("anthropic",), r"claude"),
    (("openai",), r"gpt|o\d|text|davinci"),
    (("google",), r"gemini|gemma|palm"),
    (("meta",), r"llama"),
    (("mistral", "ai"), r"mistral|mixtral|ministral|codestral|pixtral|magistral"),
    (("qwen",), r"qwen|qwq"),
    (("deepseek", "ai"), r"deepseek"),
    (("ibm",), r"granite"),
    (("amazon",), r"nova"),
    (("writer",), r"palmyra"),
    (("zai", "org"), r"glm"),
    (("c4ai",), r"command|aya"),
    (("cohere",), r"command|aya"),
    (("xai",), r"grok"),
)
# Efforts recognised after a dash ("o3-mini-high"). Not "medium" or "max":
# "mistral-medium" and "qwen2.5-max" are models.
EFFORTS = frozenset({"minimal", "low", "high", "xhigh"})
# After Epoch's underscore every effort word is one ("gpt-5-2025-08-07_medium").
UNDERSCORE_EFFORTS = EFFORTS | {"medium", "max", "none", "unknown", "thinking"}
BUDGET = re.compile(r"^\d+k$")
KIND_MARKERS = {"instruct": "chat", "chat": "chat", "it": "chat", "base": "base"}
PRECISION = frozenset({"fp8", "bf16", "fp16", "int4", "int8"})
STAGES = frozenset({"preview", "exp", "beta"})
TIERS = frozenset({"opus", "sonnet", "haiku"})
SIZE = re.compile(r"^(?:\d+(?:\.\d+)?[bm]|\d+x\d+(?:\.\d+)?b|a\d+(?:\.\d+)?b|\d+e)$")
# Spelling rewrites before splitting: "Command R+" -> "command r plus",
# "internlm2_5" -> "internlm2.5", "amazon.nova" -> "amazon nova", "17bx128e" -> "17b 128e".
REWRITES = (
    ("plus-sign", re.compile(r"\+(?=$|[\s\-_)])"), " plus"),
    ("underscore-decimal", re.compile(r"(\d)_(\d)"), r"\1.\2"),
    ("dot-separator", re.compile(r"(?<=[a-z])\.(?=[a-z])"), " "),
    ("experts-size", re.compile(r"\b(\d+b)x(\d+e)\b"), r"\1 \2"),
)
SEPARATORS = re.compile(r"[\s\-_/:,;()\[\]]+")
PAREN = re.compile(r"\(([^()]*)\)")
# Parts of a parenthesized qualifier that name a thinking mode or budget:
# "(thinking-32k)", "(16K thinking)", "(20250514, extended thinking)".
THINKING_PART = re.compile(r"^(?:(?P<b1>\d+k)\s+thinking|thinking[\s-]+(?P<b2>\d+k)|extended thinking)$")


@dataclass(frozen=True)
class Normalized:
    """A model name reduced to its key, its effort variant and the rules that did it."""

    key: str
    variant: str | None
    kind: str | None
    rules: tuple[str, ...]

    @property
    def canonical_id(self) -> str:
        return f"{self.key}:{self.variant}" if self.variant else self.key


def _split_variant(name: str, rules: list[str]) -> tuple[str, str | None]:
    """Take the reasoning-effort or thinking-budget variant off the end of a name."""
    for match in PAREN.finditer(name):
        parts = [part.strip() for part in match.group(1).split(",")]
        thinking = [THINKING_PART.match(part.lower()) for part in parts]
        found = next((m for m in thinking if m), None)
        if found:
            rules.append("thinking-variant")
            kept = [part for part, m in zip(parts, thinking, strict=True) if not m]
            inner = f"({', '.join(kept)})" if kept else ""
            budget = found.group("b1") or found.group("b2")
            return (name[:match.start()] + inner + name[match.end():]).strip(), budget or "thinking"
    stem, underscore, suffix = name.rpartition("_")
    if underscore and stem and (suffix.lower() in UNDERSCORE_EFFORTS or BUDGET.match(suffix.lower())):
        rules.append("effort-suffix")
        return stem, suffix.lower()
    lowered = name.lower()
    if lowered.endswith("-no-thinking"):
        rules.append("effort-suffix")
        return name[: -len("-no-thinking")], "none"
    stem, dash, suffix = name.rpartition("-")
    if dash and stem and suffix.lower() in EFFORTS:
        rules.append("effort-suffix")
        return stem, suffix.lower()
    return name, None


def _strip_org(name: str, rules: list[str]) -> tuple[str, str | None]:
    """Drop a known "org/" prefix; return any other organisation to keep in the key."""
    org, slash, rest = name.partition("/")
    if not slash or not rest:
        return name, None
    if org.strip().lower() in KNOWN_ORGS:
        rules.append("vendor-prefix")
        return rest, None
    return rest, org.strip().lower()


def _drop_vendor_words(tokens: list[str], rules: list[str]) -> list[str]:
    for words, family in VENDOR_WORDS:
        n = len(words)
        if tuple(tokens[:n]) == words and len(tokens) > n and re.match(family, tokens[n]):
            rules.append("vendor-word")
            return tokens[n:]
    return tokens


def _merge_decimals(tokens: list[str], rules: list[str]) -> list[str]:
    """"3 5" -> "3.5", "v1 0" -> "v1.0": versions whose dot became a separator."""
    out: list[str] = []
    for token in tokens:
        if out and re.fullmatch(r"\d", token) and re.fullmatch(r"v?\d+", out[-1]):
            out[-1] = f"{out[-1]}.{token}"
            rules.append("version-dots")
        else:
            out.append(token)
    return out


MONTHS = {name: i + 1 for i, names in enumerate(
    ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}


def _is_month(token: str) -> bool:
    return len(token) == 2 and token.isdigit() and 1 <= int(token) <= 12


def _is_day(token: str) -> bool:
    return len(token) == 2 and token.isdigit() and 1 <= int(token) <= 31


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and token[:2] in ("19", "20")


def _dates(tokens: list[str], rules: list[str]) -> list[tuple[str, bool]]:
    """Mark date tokens: 2024-06-20 / 20240620 -> 20240620, 06-20 -> 0620, 08-2024 and
    November 2024 -> 202411.

    Returns (token, is_date) in order. Tokens already in one of these forms
    (20240620, 202411) are dates, and so are four-digit tokens (0613, 2501),
    kept as written: their year is unknown.
    """
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(tokens):
        a, b, c = (tokens[i:i + 3] + ["", ""])[:3]
        if _is_year(a) and _is_month(b) and _is_day(c):
            out.append((a + b + c, True))
            rules.append("date-iso")
            i += 3
        elif _is_month(a) and _is_day(b) and _is_year(c):
            out.append((c + a + b, True))
            rules.append("date-us")
            i += 3
        elif a in MONTHS and _is_year(b):
            out.append((f"{b}{MONTHS[a]:02d}", True))
            rules.append("date-month-name")
            i += 2
        elif _is_month(a) and _is_year(b):
            out.append((b + a, True))
            rules.append("date-month-year")
            i += 2
        elif _is_month(a) and _is_day(b):
            out.append((a + b, True))
            rules.append("date-month-day")
            i += 2
        else:
            out.append((a, bool(re.fullmatch(r"20\d{6}|20\d{4}|\d{4}", a))))
            i += 1
    return out


def _claude_tier_first(core: list[str], rules: list[str]) -> list[str]:
    """"claude 3.5 sonnet" -> "claude sonnet 3.5": Anthropic's naming since Claude 4."""
    if (len(core) >= 3 and core[0] == "claude" and re.fullmatch(r"\d+(?:\.\d+)?", core[1])
            and core[2] in TIERS):
        rules.append("claude-tier-order")
        return [core[0], core[2], core[1], *core[3:]]
    return core


def normalize(name: str) -> Normalized:
    """The key, variant and name-derived kind (base/chat) of a model name.

    Deterministic and order-independent of other names: the same name always
    gives the same key, so a match between two sources is explained by the
    rules listed for each side.
    """
    rules: list[str] = []
    text = name.strip()
    text, variant = _split_variant(text, rules)
    text, org = _strip_org(text, rules)
    lowered = text.lower()
    if lowered != text:
        rules.append("lowercase")
    for rule, pattern, replacement in REWRITES:
        lowered, count = pattern.subn(replacement, lowered)
        if count:
            rules.append(rule)
    tokens = [t for t in SEPARATORS.split(lowered) if t]
    if "-".join(tokens) != lowered:
        rules.append("separators")
    tokens = _drop_vendor_words(tokens, rules)
    if len(tokens) > 1 and tokens[-1] == "hf":
        rules.append("hf-suffix")
        tokens = tokens[:-1]
    tokens = _merge_decimals(tokens, rules)
    classes = {"core": [], "size": [], "kind": [], "precision": [], "stage": [], "date": []}
    sequence = []
    for token, is_date in _dates(tokens, rules):
        if is_date:
            cls = "date"
        elif SIZE.match(token):
            cls = "size"
        elif token in KIND_MARKERS:
            cls = "kind"
        elif token in PRECISION:
            cls = "precision"
        elif token in STAGES:
            cls = "stage"
        else:
            cls = "core"
        classes[cls].append(token)
        sequence.append(token)
    classes["core"] = _claude_tier_first(classes["core"], rules)
    ordered = [token for tokens_of_class in classes.values() for token in tokens_of_class]
    if ordered != sequence and "claude-tier-order" not in rules:
        rules.append("qualifier-order")
    key = "-".join(ordered)
    if org:
        key = f"{org}/{key}"
    kinds = {KIND_MARKERS[k] for k in classes["kind"]}
    return Normalized(key, variant, kinds.pop() if len(kinds) == 1 else None,
                      tuple(dict.fromkeys(rules)))


# ``normalize_many``: the same keys for a whole column at once. A name any rule but the org prefix,
# case, separators and the qualifier order could touch takes ``normalize`` itself: anything outside
# printable ASCII, parentheses, underscores, "+", a dot between letters, "17bx128e", an effort
# suffix, a vendor word, a trailing "hf", a Claude name, a month word, a two-digit token, a
# one-digit token after a number. Every other name is split, classified and reordered as arrays
# (pyarrow's compute kernels: one pass of RE2 per pattern over the whole column).
_SEP = r"[\s\-_/:,;()\[\]]"
_BY_HAND = (
    r"(?i)[^\x20-\x7e]|[()+_]|[a-z]\.[a-z]|\d+bx\d+e|-(?:minimal|low|high|xhigh|no-thinking)$|claude"
    rf"|^(?:[^/]*/)?{_SEP}*(?:{'|'.join(sorted({w for words, _ in VENDOR_WORDS for w in words}))}){_SEP}"
    rf"|(?:^|{_SEP})(?:\d\d|hf|{'|'.join(MONTHS)})(?:{_SEP}|$)"
    rf"|(?:^|{_SEP})v?\d+{_SEP}+\d(?:{_SEP}|$)")
_DASHED = r"^[^\s\-_/:,;()\[\]]+(?:-[^\s\-_/:,;()\[\]]+)*$"
_RANKS = ((5, r"^(?:20\d{6}|20\d{4}|\d{4})$"), (1, SIZE.pattern), (2, list(KIND_MARKERS)), (3, sorted(PRECISION)),
          (4, sorted(STAGES)))  # core 0, size 1, kind 2, precision 3, stage 4, date 5: ``normalize``'s order
NORMALIZED_COLUMNS = ["key", "variant", "kind", "rules"]


def normalize_many(names: pd.Series) -> pd.DataFrame:
    """``normalize`` of every name of a column, as a frame (key, variant, kind, rules: the rules
    ", "-joined), index aligned with ``names``.

    Why: a user's file of 100,000 names cannot wait for 100,000 calls of the per-name rules.
    Each distinct name is normalized once; names only the org prefix, case, separators and
    qualifier order touch (most of a large file) go through array kernels and one sort; the
    rest take ``normalize`` itself, so the keys are ``normalize``'s, name for name.
    """
    text = pd.Series(names.drop_duplicates().to_numpy(), dtype=object).astype(str)
    plain = pa.array(text.str.strip().to_numpy(dtype=object), type=pa.string())
    by_hand = np.asarray(pc.or_(pc.match_substring_regex(plain, _BY_HAND),
                                pc.invert(pc.match_substring_regex(plain, r"[^\s\-_/:,;()\[\]]"))))
    rows = [_as_row(normalize(name)) for name in text[by_hand]]
    frames = [pd.DataFrame(rows, columns=NORMALIZED_COLUMNS, index=text.index[by_hand])]
    if not by_hand.all():
        frames.append(_normalize_plain(plain.filter(pa.array(~by_hand)), text.index[~by_hand]))
    found = pd.concat(frames).sort_index()
    found.index = text.to_numpy()
    found = found.astype(object).where(found.notna(), None)
    where = pc.index_in(pa.array(names.astype(str).to_numpy(dtype=object), type=pa.string()),
                        value_set=pa.array(text.to_numpy(dtype=object), type=pa.string()))
    return found.iloc[np.asarray(where)].set_axis(names.index)


def _as_row(parsed: Normalized) -> tuple[str, str | None, str | None, str]:
    return parsed.key, parsed.variant, parsed.kind, ", ".join(parsed.rules)


def _normalize_plain(names: pa.Array, index: pd.Index) -> pd.DataFrame:
    """The array path of ``normalize_many``, for names no rule but org, case, separators and order touches."""
    parts = pc.extract_regex(names, r"(?s)^(?P<org>[^/]*)/(?P<rest>.+)$")
    has_org = np.asarray(pc.is_valid(parts))
    org = pc.utf8_trim_whitespace(pc.utf8_lower(pc.struct_field(parts, "org").fill_null("")))
    body = pc.if_else(pa.array(has_org), pc.struct_field(parts, "rest").fill_null(""), names)
    known = has_org & np.asarray(pc.is_in(org, value_set=pa.array(sorted(KNOWN_ORGS))))
    prefixed = has_org & ~known & np.asarray(pc.not_equal(org, ""))
    lowered = pc.utf8_lower(body)
    tokens = pc.split_pattern(pc.utf8_trim(pc.replace_substring_regex(lowered, _SEP + "+", "-"), "-"), "-")
    words = pc.list_flatten(tokens)
    owner = np.asarray(pc.list_parent_indices(tokens))
    starts = np.asarray(tokens.offsets)[:-1]
    position = np.arange(len(words)) - starts[owner]
    rank = np.zeros(len(words), dtype=np.int8)
    for value, test in _RANKS:
        hit = (pc.is_in(words, value_set=pa.array(test)) if isinstance(test, list)
               else pc.match_substring_regex(words, test))
        rank = np.where(np.asarray(hit) & (rank == 0), value, rank)
    order = np.lexsort((position, rank, owner))
    keyed = pc.binary_join(pa.ListArray.from_arrays(pa.array(tokens.offsets), words.take(pa.array(order))), "-")
    key = pd.Series(np.asarray(keyed, dtype=object))
    key = key.where(~prefixed, pd.Series(np.asarray(org, dtype=object)) + "/" + key)
    reordered = np.zeros(len(names), dtype=bool)
    reordered[np.unique(owner[position[order] != position])] = True
    kinds = pd.Series(pd.Series(np.asarray(words, dtype=object)).map(KIND_MARKERS).to_numpy(), index=owner).dropna()
    kinds = kinds.groupby(level=0).agg(lambda k: k.iloc[0] if k.nunique() == 1 else None)
    flags = {"vendor-prefix": known, "lowercase": np.asarray(pc.not_equal(lowered, body)),
             "separators": ~np.asarray(pc.match_substring_regex(lowered, _DASHED)), "qualifier-order": reordered}
    rules = pa.array(np.full(len(names), ""), type=pa.string())
    for name, flag in flags.items():
        rules = pc.binary_join_element_wise(rules, pa.array(np.where(flag, f"{name}, ", "")), "")
    return pd.DataFrame({"key": key.to_numpy(), "variant": None,
                         "kind": kinds.reindex(range(len(names))).astype(object).to_numpy(),
                         "rules": np.asarray(pc.replace_substring_regex(rules, ", $", ""), dtype=object)},
                        index=index)

"""Every Eval Ever (EEE) records: validate one aggregate JSON and flatten it to tidy rows.

Shared by the ``every-eval-ever`` source (the HF datastore) and by ``benchwatch
check`` (a folder or JSONL of a benchmark author's own records, converted
from Inspect AI, HELM or lm-evaluation-harness with the ``every-eval-ever``
package).

Validation uses the package's own JSON schema (``eval.schema.json`` of
``every-eval-ever`` 0.3.0, MIT, vendored in ``benchwatch/data/eee/``: the
package needs Python 3.12 and this project runs on 3.11, so the schema file
is what is shared, not the package's pydantic classes). The datastore holds
records written under schema versions 0.2.0, 0.2.2 and 0.3.0, and some
adapters write numbers and booleans as strings. So a record is validated
against the 0.3.0 schema, and only these differences are tolerated:

- properties that 0.3.0 made required (``eval_library``, ``model_info.additional_details``,
  ``model_info.additional_details.deployment_type`` and
  ``model_availability``), in a record of an older schema version;
- free-form ``additional_details``/``details`` maps (metadata nobody reads here);
- a string where the schema wants a number or a boolean, when the string is one
  (``"0.82"``, ``"true"``): the value read is coerced.

Anything else refuses the record with an error naming it and the schema path.

Speed: the datastore is 100,000 records and ``jsonschema`` takes milliseconds
for one. So a record is first checked by ``jsonschema-rs`` (compiled, in Rust)
against the same schema with the first two tolerances written into it (the
free-form maps accept anything; for an older schema version the 0.3.0 additions
are not required), a few microseconds. Only a record that check refuses (a
string for a number, or a real error) goes through ``jsonschema`` and the rules
above, so every refusal and its message come from the one reference path; the
relaxed schema never relaxes inside ``oneOf``/``anyOf``/``allOf``/``not``/``if``
branches, where dropping a property's constraint could change which branch matches.

Every string is kept as published: names with markup or mention syntax are
data, made inert where they are shown, exported or notified.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files as package_files

import jsonschema
import jsonschema_rs
import orjson
import pandas as pd

SCHEMA_FILE = "data/eee/eval.schema.json"
CURRENT_VERSION = "0.3.0"
# Required since 0.3.0: absent from records of older schema versions (model_info.additional_details too).
ADDED_IN_0_3 = frozenset({"eval_library", "additional_details", "deployment_type", "model_availability"})
FREE_FORM = frozenset({"additional_details", "details"})
COMBINATORS = ("oneOf", "anyOf", "allOf", "not", "if", "then", "else")
ROW_COLUMNS = ["model", "model_name", "developer", "key", "evaluation_name", "value",
               "lower_is_better", "observed_at", "record", "described"]


class RecordError(ValueError):
    """One EEE record is unusable; the message names the record and what is wrong."""


@cache
def schema() -> dict:
    """The vendored 0.3.0 schema."""
    return json.loads(package_files("benchwatch").joinpath(SCHEMA_FILE).read_text("utf-8"))


@cache
def validator() -> jsonschema.Draft7Validator:
    """The reference check: the vendored 0.3.0 schema in ``jsonschema``, compiled once."""
    return jsonschema.Draft7Validator(schema())


def relaxed_schema(original: dict, older: bool) -> dict:
    """The schema with the tolerances that never depend on a value written into it: a free-form map's
    property accepts anything, and (``older``: a record of an earlier schema version) the 0.3.0
    additions are not required. Subschemas under a combinator, and definitions such a subschema
    refers to, are kept as they are (see the module notes)."""
    guarded = _referenced_under_combinators(original)

    def relax(node: object, fixed: bool) -> object:
        if isinstance(node, list):
            return [relax(item, fixed) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in COMBINATORS:
                out[key] = value
            elif key == "properties" and isinstance(value, dict) and not fixed:
                out[key] = {name: {} if name in FREE_FORM else relax(sub, fixed) for name, sub in value.items()}
            elif key == "required" and isinstance(value, list) and older and not fixed:
                out[key] = [name for name in value if name not in ADDED_IN_0_3]
            elif key in ("$defs", "definitions") and isinstance(value, dict):
                out[key] = {name: relax(sub, fixed or f"#/{key}/{name}" in guarded) for name, sub in value.items()}
            else:
                out[key] = relax(value, fixed)
        return out

    return relax(original, False)


def _referenced_under_combinators(original: dict) -> set[str]:
    """Every ``$ref`` reachable from inside a combinator (transitively through the definitions)."""

    def refs(node: object) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
            return found.union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    def under(node: object) -> set[str]:
        if isinstance(node, dict):
            found = set().union(*(refs(node[k]) for k in COMBINATORS if k in node))
            return found.union(*(under(v) for k, v in node.items() if k not in COMBINATORS))
        if isinstance(node, list):
            return set().union(*(under(v) for v in node))
        return set()

    guarded, todo = set(), under(original)
    while todo:
        ref = todo.pop()
        if ref in guarded:
            continue
        guarded.add(ref)
        target = original
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        todo |= refs(target)
    return guarded


@cache
def fast_validator(older: bool) -> jsonschema_rs.Draft7Validator:
    """The relaxed schema compiled by ``jsonschema-rs`` (formats unchecked, as ``jsonschema`` does)."""
    return jsonschema_rs.Draft7Validator(relaxed_schema(schema(), older), validate_formats=False)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _tolerated(error: jsonschema.ValidationError, version: str) -> bool:
    path = {str(p) for p in error.absolute_path}
    if path & FREE_FORM:
        return True
    if error.validator == "required" and version != CURRENT_VERSION:
        missing = {name for name in ADDED_IN_0_3 if f"'{name}'" in error.message}
        return bool(missing)
    if error.validator == "type":
        return _coercible(error.instance, error.validator_value)
    if error.validator in ("anyOf", "oneOf"):  # e.g. number or null
        return any(_coercible(error.instance, sub.get("type", ())) for sub in error.validator_value)
    return False


def _coercible(instance: object, wanted: str | Iterable[str]) -> bool:
    """A string that is the number or boolean the schema wants."""
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    if wanted & {"number", "integer"} and _number(instance) is not None:
        return True
    return "boolean" in wanted and _boolean(instance) is not None


def check_record(record: object, name: str) -> dict:
    """The record if it is a valid EEE aggregate record (see the module notes), else RecordError."""
    if not isinstance(record, dict):
        raise RecordError(f"{name}: not a JSON object (got {type(record).__name__})")
    version = str(record.get("schema_version", ""))
    if fast_validator(version != CURRENT_VERSION).is_valid(record):
        return record
    return reference_check(record, name)


def reference_check(record: dict, name: str) -> dict:
    """The record if ``jsonschema`` and the tolerances accept it, else RecordError naming the record,
    the schema path and what is wrong: the one definition of validity, which the fast check only
    short-cuts."""
    version = str(record.get("schema_version", ""))
    for error in validator().iter_errors(record):
        if not _tolerated(error, version):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise RecordError(f"{name}: does not follow the EEE schema at {where}: "
                              f"{error.message[:300]} (schema_version {version!r})")
    return record


def load_json(content: bytes) -> object:
    """JSON bytes to Python, as ``json.loads`` reads them: ``orjson`` (several times faster) for what it
    reads, ``json`` for the rest (NaN literals, other encodings) and for the error of bytes that are
    not JSON."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def parse_record(content: bytes, name: str) -> dict:
    """Bytes of one record to its validated dict."""
    try:
        record = load_json(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{name}: not JSON ({exc})") from None
    return check_record(record, name)


def result_key(result: dict) -> str:
    """The benchmark key of one evaluation result: the metric id, else the result id, else its name.

    Several metrics can share an evaluation name (Vectara's four rates all
    say "Vectara Hallucination Leaderboard"), so the metric id comes first.
    """
    metric = result.get("metric_config") or {}
    for candidate in (metric.get("metric_id"), result.get("evaluation_result_id"),
                      result.get("evaluation_name")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return "(unnamed)"


def described(result: dict) -> str:
    """What an evaluation result says of itself beyond its name: its metric's description and the
    free-form details of the result, its metric and its data (where an adapter tags a suite, e.g.
    as safety or bias). Lowercased text, searched for a safety area a reviewer could map it to."""
    metric = result.get("metric_config") or {}
    parts = [metric.get("evaluation_description")]
    for holder in (result, metric, result.get("source_data") or {}):
        details = holder.get("additional_details") if isinstance(holder, dict) else None
        if isinstance(details, dict):
            parts += [f"{k} {v}" for k, v in details.items()]
    return " ".join(str(p) for p in parts if p).lower()


def retrieved_at(record: dict) -> datetime | None:
    """Data time of a record: its retrieved_timestamp (Unix seconds, often a string), naive UTC."""
    seconds = _number(record.get("retrieved_timestamp"))
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Flattened:
    """Rows of a batch of records, and what was skipped on the way."""

    rows: pd.DataFrame
    warnings: list[str]


def flatten(records: Iterable[tuple[str, dict]], fallback: datetime) -> Flattened:
    """(name, record) pairs to one row per (model, evaluation result) with a finite score.

    ``model`` is ``model_info.id`` (EEE's ``developer/model``), falling back to
    its name. ``lower_is_better`` is the record's own (None when absent).
    """
    rows, skipped = [], 0
    for name, record in records:
        info = record.get("model_info") or {}
        model = str(info.get("id") or info.get("name") or "").strip()
        when = retrieved_at(record) or fallback
        for result in record.get("evaluation_results") or []:
            value = _number((result.get("score_details") or {}).get("score"))
            if not model or value is None or not math.isfinite(value):
                skipped += 1
                continue
            metric = result.get("metric_config") or {}
            rows.append((model, str(info.get("name") or model), str(info.get("developer") or ""),
                         result_key(result), str(result.get("evaluation_name") or ""), value,
                         _boolean(metric.get("lower_is_better")), when, name, described(result)))
    warnings = [f"{skipped} result(s) with a non-finite or missing score, or no model id, skipped"
                ] if skipped else []
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    frame["observed_at"] = pd.to_datetime(frame["observed_at"]).astype("datetime64[us]")
    return Flattened(frame, warnings)

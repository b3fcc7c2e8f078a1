"""A benchmark author's own results file: CSV, TSV, Parquet, JSON, or EEE records.

Read by ``benchwatch check`` (one benchmark, never stored) and by custom
sources (``[[custom_sources]]`` in the settings, stored like any source). A
table has a model column, one or more score columns and optionally a model
set column; EEE records (a folder of aggregate JSON files, one JSON file, or
JSONL with one record per line) are flattened by ``sources.eee_records``.

Every problem is an ``InputError`` whose message names the file, the column
and the row: an empty file, a missing column, a cell that is not a number, a
model listed twice (all of them named; none kept silently). A file is untrusted:
its size, rows, JSON nesting and JSON string length are bounded
(``settings.InputLimits``) before it is parsed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from benchwatch.settings import InputLimits
from benchwatch.sources.eee_records import RecordError, check_record, flatten, parse_record

FORMATS = ("csv", "tsv", "parquet", "json", "eee")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
            ".json": "json", ".jsonl": "eee"}
MODEL_NAMES = ("model", "model_name", "model_id", "name")
SCORE_NAMES = ("score", "value", "result")
SET_NAMES = ("model_set", "set")
SHOWN = 10  # offending items named in one message
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
OPENERS, CLOSERS = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


class InputError(ValueError):
    """The file cannot be checked as it is; the message says what and where."""


def detect_format(path: Path) -> str:
    """The format a path's suffix (or being a folder: EEE records) says."""
    if path.is_dir():
        return "eee"
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise InputError(f"{path.name}: unknown file type {path.suffix!r}; use one of "
                         f"{', '.join(SUFFIXES)} or a folder of EEE records") from None


def check_size(size: int, name: str, limits: InputLimits) -> None:
    """A file larger than ``input_limits.max_bytes`` is refused before it is read."""
    if size > limits.max_bytes:
        raise InputError(f"{name}: {size:,} bytes, more than the {limits.max_bytes:,} accepted "
                         "(input_limits.max_bytes); check a smaller file")


def check_rows(rows: int, name: str, limits: InputLimits) -> None:
    """More rows than ``input_limits.max_rows`` is refused."""
    if rows > limits.max_rows:
        raise InputError(f"{name}: {rows:,} rows, more than the {limits.max_rows:,} accepted "
                         "(input_limits.max_rows)")


def check_json(content: bytes, name: str, limits: InputLimits) -> None:
    """JSON nested deeper than ``input_limits.json_depth`` or with a string longer than
    ``json_string_bytes`` is refused before the parser sees it (Python's parser recurses, and
    fails with a RecursionError, on deep nesting). Brackets inside strings do not count."""
    strings = JSON_STRING.findall(content)
    longest = max(map(len, strings), default=2) - 2
    if longest > limits.json_string_bytes:
        raise InputError(f"{name}: a JSON string of {longest:,} bytes, longer than the "
                         f"{limits.json_string_bytes:,} accepted (input_limits.json_string_bytes)")
    skeleton = np.frombuffer(JSON_STRING.sub(b'""', content), np.uint8)
    steps = np.isin(skeleton, OPENERS).astype(np.int64) - np.isin(skeleton, CLOSERS)
    depth = int(np.cumsum(steps).max(initial=0))
    if depth > limits.json_depth:
        raise InputError(f"{name}: JSON nested {depth:,} levels deep, deeper than the {limits.json_depth} "
                         "accepted (input_limits.json_depth)")


def read_frame(content: bytes, name: str, fmt: str, limits: InputLimits | None = None) -> pd.DataFrame:
    """A table's bytes to a frame of strings (Parquet keeps its types), within ``limits``."""
    limits = limits or InputLimits()
    if not content.strip():
        raise InputError(f"{name}: the file is empty")
    if fmt in ("csv", "tsv"):
        check_rows(content.count(b"\n") - 1, name, limits)
    elif fmt == "json":
        check_json(content, name, limits)
    try:
        if fmt in ("csv", "tsv"):
            frame = pd.read_csv(io.BytesIO(content), sep="\t" if fmt == "tsv" else ",", dtype=str,
                                keep_default_na=False, encoding="utf-8-sig")
        elif fmt == "parquet":
            frame = pd.read_parquet(io.BytesIO(content))
        elif fmt == "json":
            frame = _json_table(json.loads(content), name)
        else:
            raise InputError(f"{name}: {fmt!r} is not a table format")
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{name}: not a readable {fmt.upper()} file ({' '.join(str(exc).split())[:200]})"
                         ) from None
    if frame.empty:
        raise InputError(f"{name}: no rows (columns: {list(frame.columns)[:20]})")
    check_rows(len(frame), name, limits)
    return frame


def _json_table(data: object, name: str) -> pd.DataFrame:
    if isinstance(data, dict) and "evaluation_results" in data:
        raise InputError(f"{name}: an EEE record: read it as EEE (a .jsonl or a folder of records)")
    if isinstance(data, dict):
        data = next((v for k, v in data.items() if k in ("data", "rows", "results")
                     and isinstance(v, list)), data)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputError(f"{name}: JSON must be a list of objects (one per model), or an object "
                         "with a 'data' list")
    return pd.DataFrame.from_records(data)


def pick_column(frame: pd.DataFrame, given: str | None, candidates: Sequence[str], what: str,
                name: str, required: bool = True) -> str | None:
    """The column called ``given``, else the first candidate (case-insensitive)."""
    if given is not None:
        if given not in frame.columns:
            raise InputError(f"{name}: no {what} column {given!r}; found {list(frame.columns)[:30]}")
        return given
    lower = {str(c).lower(): c for c in frame.columns}
    found = next((lower[c] for c in candidates if c in lower), None)
    if found is None and required:
        raise InputError(f"{name}: no {what} column: found {list(frame.columns)[:30]}; name one "
                         f"{', '.join(candidates)} (or pass the column's name)")
    return found


def numbers(raw: pd.Series, column: str, name: str) -> np.ndarray:
    """A score column as floats; a cell that is not a number is an error naming its rows."""
    if raw.dtype.kind in "iuf":
        return raw.to_numpy(dtype=float)
    text = raw.astype(str).str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "") & raw.notna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        shown = ", ".join(f"row {r + 2}: {text.iloc[r][:40]!r}" for r in rows[:SHOWN])
        raise InputError(f"{name}: column {column!r}: {len(rows)} value(s) are not numbers ({shown}"
                         f"{', ...' if len(rows) > SHOWN else ''})")
    return values.to_numpy(dtype=float)


def refuse_duplicates(models: pd.Series, name: str, what: str = "model") -> None:
    """A model listed twice is an error naming every such model: none is kept silently."""
    dupes = models[models.duplicated(keep=False)]
    if dupes.empty:
        return
    rows = dupes.groupby(dupes, sort=True).apply(lambda s: [i + 2 for i in s.index[:5]])
    shown = "; ".join(f"{m[:80]!r} (rows {', '.join(map(str, r))})" for m, r in rows.head(SHOWN).items())
    raise InputError(f"{name}: {len(rows)} {what}(s) listed more than once: {shown}"
                     f"{'; ...' if len(rows) > SHOWN else ''}. Keep one row per {what}.")


def read_eee(path: Path, limits: InputLimits | None = None) -> list[tuple[str, dict]]:
    """(name, record) of every EEE record in a folder (``*.json``, recursively), a JSONL file or one
    JSON, within ``limits``."""
    limits = limits or InputLimits()
    records: list[tuple[str, dict]] = []
    try:
        if path.is_dir():
            items = sorted(path.rglob("*.json"))
            check_rows(len(items), path.name, limits)
            for item in items:
                records.append((str(item.relative_to(path)), one_record(item.read_bytes(), item.name, limits)))
        elif path.suffix.lower() == ".jsonl":
            records = eee_lines(path.read_bytes(), path.name, limits)
        else:
            records.append((path.name, one_record(path.read_bytes(), path.name, limits)))
    except RecordError as exc:
        raise InputError(str(exc)) from None
    if not records:
        raise InputError(f"{path.name}: no EEE record found")
    return records


def eee_lines(content: bytes, name: str, limits: InputLimits | None = None) -> list[tuple[str, dict]]:
    """EEE records of a JSONL payload, one per non-empty line, within ``limits``."""
    limits = limits or InputLimits()
    check_rows(content.count(b"\n"), name, limits)
    check_json(content, name, limits)
    records = []
    for number, line in enumerate(content.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{name} line {number}"
        try:
            records.append((label, check_record(json.loads(line), label)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{label}: not JSON ({exc.msg})") from None
        except RecordError as exc:
            raise InputError(str(exc)) from None
    if not records:
        raise InputError(f"{name}: the file is empty")
    return records


def eee_scores(records: list[tuple[str, dict]], name: str, evaluation: str | None) -> tuple[pd.DataFrame, str, bool | None]:
    """One evaluation of EEE records as (model, score) rows, its key, and its lower_is_better.

    ``evaluation`` picks the metric id / evaluation name when the records hold several.
    """
    rows = flatten(records, datetime.min).rows
    if rows.empty:
        raise InputError(f"{name}: the EEE records hold no score")
    keys = rows["key"].drop_duplicates().tolist()
    if evaluation is None and len(keys) > 1:
        raise InputError(f"{name}: the records hold {len(keys)} evaluations; pick one with --name: "
                         + ", ".join(repr(k[:80]) for k in keys[:SHOWN]))
    key = evaluation or keys[0]
    chosen = rows[(rows["key"] == key) | (rows["evaluation_name"] == key)]
    if chosen.empty:
        raise InputError(f"{name}: no evaluation {key!r}; found " + ", ".join(repr(k[:80]) for k in keys[:SHOWN]))
    chosen = chosen.reset_index(drop=True)
    refuse_duplicates(chosen["model"], name)
    flags = chosen["lower_is_better"].dropna().unique().tolist()
    lower = bool(flags[0]) if len(flags) == 1 else None
    return pd.DataFrame({"model": chosen["model"], "score": chosen["value"], "model_set": None}), \
        chosen["key"].iloc[0], lower


def table_scores(frame: pd.DataFrame, name: str, model_column: str | None = None,
                 score_column: str | None = None, set_column: str | None = None,
                 ) -> tuple[pd.DataFrame, tuple[str, str, str | None]]:
    """A table's (model, score, model_set) rows, and the (model, score, set) columns they came
    from; every row must have a model and a numeric score."""
    model = pick_column(frame, model_column, MODEL_NAMES, "model", name)
    model_set = pick_column(frame, set_column, SET_NAMES, "model set", name, required=False)
    others = [c for c in frame.columns if c not in (model, model_set)]
    score = pick_column(frame, score_column, SCORE_NAMES, "score", name,
                        required=len(others) != 1) or others[0]
    models = frame[model].astype(str).str.strip()
    empty = np.flatnonzero((models == "").to_numpy())
    if len(empty):
        raise InputError(f"{name}: column {model!r}: {len(empty)} row(s) without a model name "
                         f"(rows {', '.join(str(r + 2) for r in empty[:SHOWN])})")
    values = numbers(frame[score], score, name)
    missing = np.flatnonzero(~np.isfinite(values))
    if len(missing) == len(values):
        raise InputError(f"{name}: column {score!r} has no score")
    refuse_duplicates(models, name)
    sets = frame[model_set].astype(str).str.strip() if model_set else pd.Series(None, index=frame.index, dtype=object)
    rows = pd.DataFrame({"model": models, "score": values, "model_set": sets}).iloc[
        np.flatnonzero(np.isfinite(values))].reset_index(drop=True)
    return rows, (model, score, model_set)


@dataclass(frozen=True)
class UserScores:
    """One benchmark's scores as a file gave them: (model, score, model_set) rows, the
    benchmark's name, and the file's own direction (EEE's lower_is_better; None: not said)."""

    scores: pd.DataFrame
    benchmark: str
    lower_is_better: bool | None = None
    columns: tuple[str, str, str | None] | None = None  # a table's model, score and set columns
    # When the file was last written (``file_time``); None for an upload. A result's as-of date
    # is the later of it and the axis's, the date a saved copy of the file is stored at.
    dated: datetime | None = None


def file_time(path: Path) -> datetime:
    """When a file (or a folder of EEE records: its newest record) was last written, in UTC: the
    date of a file's data, for ``check`` and for a custom source alike."""
    if path.is_dir():
        stamp = max((p.stat().st_mtime for p in path.rglob("*.json")), default=path.stat().st_mtime)
    else:
        stamp = path.stat().st_mtime
    return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)


def scores_from_path(path: Path, evaluation: str | None = None, model_column: str | None = None,
                     score_column: str | None = None, set_column: str | None = None,
                     limits: InputLimits | None = None) -> UserScores:
    """Read a file or a folder of EEE records, within ``limits``; a file that cannot be read (a
    folder of the wrong kind, no permission, a device) is an ``InputError`` too."""
    limits = limits or InputLimits()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    try:
        fmt = detect_format(path)
        check_size(sum(p.stat().st_size for p in path.rglob("*.json")) if path.is_dir() else path.stat().st_size,
                   path.name, limits)
        if not path.is_dir() and not path.is_file():
            raise InputError(f"{path}: not a regular file or a folder")
        if fmt == "eee" or (fmt == "json" and _is_eee(path)):
            frame, key, lower = eee_scores(read_eee(path, limits), path.name, evaluation)
            check_rows(len(frame), path.name, limits)
            return UserScores(frame, key, lower, dated=file_time(path))
        return replace(scores_from_bytes(path.read_bytes(), path.name, evaluation, model_column, score_column,
                                         set_column, limits), dated=file_time(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def scores_from_bytes(content: bytes, filename: str, evaluation: str | None = None,
                      model_column: str | None = None, score_column: str | None = None,
                      set_column: str | None = None, limits: InputLimits | None = None) -> UserScores:
    """Read an uploaded file's bytes (the dashboard's upload); EEE as JSONL or one record; within ``limits``."""
    limits = limits or InputLimits()
    check_size(len(content), filename, limits)
    fmt = detect_format(Path(filename))
    if _eee_bytes(content, fmt):
        records = (eee_lines(content, filename, limits) if fmt == "eee" else
                   [(filename, one_record(content, filename, limits))])
        frame, key, lower = eee_scores(records, filename, evaluation)
        check_rows(len(frame), filename, limits)
        return UserScores(frame, key, lower)
    frame = read_frame(content, filename, fmt, limits)
    rows, columns = table_scores(frame, filename, model_column, score_column, set_column)
    return UserScores(rows, evaluation or Path(filename).stem, columns=columns)


def _eee_bytes(content: bytes, fmt: str) -> bool:
    """Whether an upload in ``fmt`` holds EEE records (JSONL, or one JSON record) rather than a table."""
    return fmt == "eee" or (fmt == "json" and content.lstrip()[:1] == b"{" and b'"evaluation_results"' in content)


def table_columns(content: bytes, filename: str, limits: InputLimits | None = None) -> list[str] | None:
    """An uploaded table's column names, for the Check page's model and score pickers (the CLI's
    ``--model-column`` / ``--score-column``); None for EEE records, which name their own. A CSV or
    TSV is read up to its header and a Parquet file's schema only: the rows are read once, by
    ``scores_from_bytes``."""
    limits = limits or InputLimits()
    check_size(len(content), filename, limits)
    fmt = detect_format(Path(filename))
    if _eee_bytes(content, fmt):
        return None
    if not content.strip():
        raise InputError(f"{filename}: the file is empty")
    try:
        if fmt in ("csv", "tsv"):
            columns = pd.read_csv(io.BytesIO(content), sep="\t" if fmt == "tsv" else ",", dtype=str, nrows=0,
                                  encoding="utf-8-sig").columns
        elif fmt == "parquet":
            columns = pq.read_schema(io.BytesIO(content)).names
        else:
            columns = read_frame(content, filename, fmt, limits).columns
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{filename}: not a readable {fmt.upper()} file ({' '.join(str(exc).split())[:200]})"
                         ) from None
    return [str(c) for c in columns]


def detected_columns(columns: Sequence[str]) -> tuple[str | None, str | None]:
    """The model and score columns ``table_scores`` takes when none is named (None: not found)."""
    frame = pd.DataFrame(columns=list(columns))
    model = pick_column(frame, None, MODEL_NAMES, "model", "", required=False)
    model_set = pick_column(frame, None, SET_NAMES, "model set", "", required=False)
    others = [c for c in frame.columns if c not in (model, model_set)]
    score = pick_column(frame, None, SCORE_NAMES, "score", "", required=False)
    return model, score or (others[0] if len(others) == 1 else None)


def one_record(content: bytes, name: str, limits: InputLimits | None = None) -> dict:
    """One EEE record's bytes, validated, within ``limits``."""
    check_json(content, name, limits or InputLimits())
    try:
        return parse_record(content, name)
    except RecordError as exc:
        raise InputError(str(exc)) from None


def _is_eee(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(65536)
    return head.lstrip()[:1] == b"{" and b'"evaluation_results"' in head

"""The five tables of a release, described column by column (the datapackage's Table Schemas).

Each table is one read of ``storage.published_reads``; the order of the fields
here is the order of its columns in every file, and a read that returns other
columns fails the build (a release never ships an undescribed column).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchwatch.storage import published_reads

RHO = {"unit": "fraction", "constraints": {"minimum": -1, "maximum": 1}}
DIRECTION = ("1: a higher value is safer (better); -1: a lower value is safer. Spearman rho is computed on the "
             "value times direction, so a positive rho always means 'safer tracks more capable'.")


def _field(name: str, kind: str, description: str, **extra: object) -> dict:
    return {"name": name, "type": kind, "description": description, **extra}


SOURCE = _field("source", "string", "The upstream the data came from (see sources.json and LICENSES.md).")
BENCHMARK = _field("benchmark", "string", "The benchmark's column as the source names it.")
NAME = _field("name", "string", "The benchmark's shown name.")
MODEL_SET = _field("model_set", "string", "The set of models correlated (e.g. base, chat, all).")
AXIS = _field("axis", "string", "The capability score rho is computed against (pc1, compute, eci, arena, ...).")
N = _field("n", "integer", "Models (or model groups) in the correlation.")


@dataclass(frozen=True)
class Table:
    """One table of a release: its read, what it holds, and its columns."""

    name: str
    title: str
    read: Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]
    fields: tuple[dict, ...]
    primary_key: tuple[str, ...]

    def frame(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """The table's rows, checked against its described columns."""
        frame = self.read(con)
        described = [f["name"] for f in self.fields]
        if list(frame.columns) != described:
            raise ValueError(f"release table {self.name}: the read gives columns {list(frame.columns)}, "
                             f"the schema describes {described}")
        return frame

    def schema(self) -> dict:
        return {"fields": list(self.fields), "primaryKey": list(self.primary_key), "missingValues": [""]}


TABLES: tuple[Table, ...] = (
    Table("correlations", "Spearman rho of each safety and capability benchmark with each capability score, "
          "per as-of date", published_reads.correlations, (
              SOURCE, BENCHMARK, NAME,
              _field("category", "string", "safety, capability, compute, axis or other."),
              _field("safety_area", "string", "The safety area of a safety benchmark."),
              _field("direction", "integer", DIRECTION, constraints={"enum": [-1, 1]}),
              MODEL_SET, AXIS,
              _field("as_of", "date", "The data date: the correlation uses the values valid on this date."),
              _field("rho", "number", "Spearman rank correlation with the capability score, as a fraction "
                     "(0.83, not 83).", **RHO),
              _field("ci_low", "number", "Lower end of rho's interval, a fraction.", **RHO),
              _field("ci_high", "number", "Upper end of rho's interval, a fraction.", **RHO),
              N,
              _field("relation", "string", "independent, or why the pair holds by construction (part of the "
                     "axis, same construct): only independent rows are evidence."),
              _field("interval", "string", "How the interval was computed."),
              _field("q", "number", "Benjamini-Hochberg q-value of the tracking test.", unit="fraction"),
              _field("note", "string", "What the analysis notes about this row."),
              _field("partial_rho_time", "number", "rho with release date partialled out, a fraction.", **RHO),
              _field("drift_change", "number", "Change of rho since the series' previous as-of date.",
                     unit="fraction"),
              _field("p_drift", "number", "p-value of the paired drift test.", unit="fraction"),
          ), ("source", "benchmark", "model_set", "axis", "as_of")),
    Table("observations", "Every benchmark value observed, with the span it was valid (as-of history)",
          published_reads.observations, (
              SOURCE,
              _field("model", "string", "The model as the source names it (untrusted upstream text)."),
              BENCHMARK,
              _field("value", "number", "The value as the source publishes it (scale per benchmark)."),
              _field("valid_from", "datetime", "When the source first showed this value (UTC).",
                     format="%Y-%m-%dT%H:%M:%S"),
              _field("valid_to", "datetime", "When it was revised or withdrawn (UTC); empty while current.",
                     format="%Y-%m-%dT%H:%M:%S"),
              _field("closed_reason", "string", "revised or withdrawn, when closed."),
              _field("evaluator_relationship", "string", "Every Eval Ever: who measured the value, as the "
                     "record states it (first_party, third_party, ...); empty for other sources."),
              _field("adapter", "string", "Every Eval Ever: the adapter that published the record "
                     "(source_metadata.additional_details.cron_adapter); empty for other sources."),
              _field("cron_run_date", "date", "Every Eval Ever: the day the adapter's cron read its "
                     "upstream; empty for other sources."),
          ), ()),
    Table("findings", "What the rules find on frozen sources' data (never alerts)", published_reads.findings, (
        _field("key", "string", "Stable id of the finding."),
        _field("rule", "string", "The rule that found it."),
        SOURCE, BENCHMARK, NAME, MODEL_SET, AXIS,
        _field("since", "date", "First as-of date the rule held."),
        _field("as_of", "date", "The as-of date of the numbers."),
        _field("rho", "number", "Spearman rho, a fraction.", **RHO),
        _field("ci_low", "number", "Lower end of rho's interval, a fraction.", **RHO),
        _field("ci_high", "number", "Upper end of rho's interval, a fraction.", **RHO),
        N,
        _field("q", "number", "Benjamini-Hochberg q-value.", unit="fraction"),
        _field("class", "string", "The evidence class of the finding."),
        _field("threshold", "number", "The rule's threshold on rho, a fraction.", unit="fraction"),
        _field("message", "string", "What was found, in words."),
        _field("why", "string", "Why it is a finding and not an alert."),
    ), ("key",)),
    Table("alerts", "Alerts raised on live sources: firing or resolved", published_reads.alerts, (
        _field("key", "string", "Stable id of the alert."),
        _field("rule", "string", "The rule that raised it."),
        SOURCE, BENCHMARK, NAME, MODEL_SET, AXIS,
        _field("state", "string", "firing or resolved.", constraints={"enum": ["firing", "resolved"]}),
        _field("severity", "string", "The alert's severity."),
        _field("fired_at", "date", "The data date it fired on."),
        _field("raised_at", "datetime", "When Benchwatch raised it (UTC).", format="%Y-%m-%dT%H:%M:%S"),
        _field("resolved_at", "datetime", "When it resolved (UTC).", format="%Y-%m-%dT%H:%M:%S"),
        _field("value", "number", "The number the rule read (rho, a fraction, for the rho rules)."),
        _field("threshold", "number", "The rule's threshold."),
        _field("ci_low", "number", "Lower end of the interval, a fraction.", **RHO),
        _field("ci_high", "number", "Upper end of the interval, a fraction.", **RHO),
        N,
        _field("message", "string", "The alert in words."),
    ), ("key",)),
    Table("models", "Every model of every source", published_reads.models, (
        SOURCE,
        _field("model", "string", "The model as the source names it (untrusted upstream text)."),
        MODEL_SET,
        _field("model_type", "string", "The source's model type, when it gives one."),
        _field("display_name", "string", "The source's display name."),
        _field("first_seen", "datetime", "When Benchwatch first saw it (UTC).", format="%Y-%m-%dT%H:%M:%S"),
    ), ("source", "model")),
)

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading formula character gets a quote before it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """The table as CSV (UTF-8, LF, ISO dates), every text cell inert in a spreadsheet."""
    out = frame.copy()
    for field in table.fields:
        column = out[field["name"]]
        if field["type"] == "string":
            out[field["name"]] = column.map(inert)
        elif field["type"] == "datetime":
            out[field["name"]] = pd.to_datetime(column).dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif field["type"] == "date":
            out[field["name"]] = pd.to_datetime(column).dt.strftime("%Y-%m-%d")
        elif field["type"] == "integer":
            out[field["name"]] = column.astype("Int64")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


PARQUET_TYPES = {"string": pa.string(), "number": pa.float64(), "integer": pa.int64(), "date": pa.date32(),
                 "datetime": pa.timestamp("us"), "boolean": pa.bool_()}


def parquet_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """The table as Parquet with a fixed Arrow schema (the same types whatever the rows)."""
    schema = pa.schema([(f["name"], PARQUET_TYPES[f["type"]]) for f in table.fields])
    arrow = pa.Table.from_pandas(frame, schema=schema, preserve_index=False).replace_schema_metadata(None)
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, compression="zstd")
    return buffer.getvalue()

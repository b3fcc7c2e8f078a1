"""Epoch AI Benchmarking Hub: both recorded snapshots, and the live ZIP over loopback HTTP.

The loopback upstream serves ``benchmark_data.zip`` built from a recorded
snapshot folder, which is what Epoch's ZIP holds. So the live path (download,
unzip, parse) must give exactly the rows of the replay of that folder.
"""

from __future__ import annotations

import calendar
import csv
import io
import zipfile
from datetime import date, datetime
from email.utils import formatdate
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from benchwatch.records import Previous, Snapshot
from benchwatch.sources.base import SCALE_BOUNDS, ParseError
from benchwatch.sources.epoch import (
    COMPUTE_KEY,
    ECI_FILE,
    EpochBenchmarks,
    registry_scales,
)
from benchwatch.sources.epoch_layouts import EXTRA_METRICS, TABLES
from benchwatch.sources.http import FetchError, HttpClient
from tests.conftest import DATA_DIR
from tests.loopback import Fault, Upstream

DATA = DATA_DIR
EPOCH = DATA / "epoch"
MARCH, APRIL = EPOCH / "benchmark_data_2026-03-09", EPOCH / "benchmark_data_2026-04-19"
ZIP_PATH = "/epoch.ai/data/benchmark_data.zip"
REGISTRY = Path(__file__).resolve().parents[2] / "benchwatch" / "data" / "benchmarks" / "epoch.csv"

pytestmark = pytest.mark.skipif(not EPOCH.is_dir(), reason="recorded Epoch data not available")


def zip_of(files: dict[str, bytes], day: date = date(2026, 4, 19)) -> bytes:
    """A ZIP like Epoch's: the CSVs (and README) at the top level, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def small(folder: Path = APRIL) -> dict[str, bytes]:
    """The capabilities index and one Epoch-run benchmark: enough for the fault tests."""
    return {name: (folder / name).read_bytes() for name in (f"{ECI_FILE}.csv", "gpqa_diamond.csv")}


def serve(upstream: Upstream, body: bytes, published: datetime = datetime(2026, 4, 19)) -> None:
    """Mount the ZIP with a Last-Modified at the snapshot's date, as Epoch's server would send."""
    upstream.mount(ZIP_PATH, body, "application/zip")
    upstream.routes[ZIP_PATH].last_modified = formatdate(calendar.timegm(published.timetuple()), usegmt=True)


def value(batch, model: str, benchmark: str) -> pd.Series:
    rows = batch.observations
    hit = rows[(rows["model"] == model) & (rows["benchmark"] == benchmark)]
    assert len(hit) == 1, (model, benchmark, len(hit))
    return hit.iloc[0]


@pytest.fixture(scope="module")
def replayed() -> dict[str, tuple[Snapshot, object]]:
    source = EpochBenchmarks()
    return {snap.label: (snap, source.parse(snap)) for snap in source.replay(DATA)}


@pytest.fixture(scope="module")
def server():
    running = Upstream().start()
    yield running
    running.stop()


@pytest.fixture
def upstream(server: Upstream) -> Upstream:
    """One server for the module (stopping one takes half a second), clean for each test."""
    server.routes.clear()
    server.faults.clear()
    server.log.clear()
    return server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def live(upstream: Upstream, sleeps: list[float], previous=None, **client) -> list[Snapshot]:
    with HttpClient(sleep=sleeps.append, **client) as http:
        return list(EpochBenchmarks(upstream_base=upstream.url).fetch(http, previous or {}))


# --- registry ---------------------------------------------------------------------------


def test_registry_has_one_row_per_emitted_benchmark() -> None:
    with REGISTRY.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["column", "benchmark_id", "name", "category", "safety_area",
                                     "direction", "scale", "metric", "in_axis", "paired_accuracy",
                                     "shares_items_with"]
        rows = list(reader)
    columns = [row["column"] for row in rows]
    assert len(columns) == len(set(columns))
    extra = {key for metrics in EXTRA_METRICS.values() for _, key in metrics}
    # exploitbench_external is only in current-layout ZIPs; its column comes from benchmark_metadata.csv.
    assert set(columns) == set(TABLES) | extra | {"eci", "eci_ci_low", "eci_ci_high", COMPUTE_KEY,
                                                   "exploitbench_external"}
    for row in rows:
        assert row["category"] in {"capability", "safety", "compute", "axis", "other"}
        assert row["direction"] in {"1", "-1"}
        assert bool(row["safety_area"]) == (row["category"] == "safety")
    by_column = {row["column"]: row for row in rows}
    assert by_column["eci"]["category"] == "axis"
    assert (by_column[COMPUTE_KEY]["category"], by_column[COMPUTE_KEY]["scale"]) == ("compute", "flop")
    assert by_column["gpqa_diamond"]["category"] == "capability"
    # Scales as published: the 0-100 files stay 0-100.
    assert {c for c, r in by_column.items() if r["scale"] == "0-100"} == {
        "aider_polyglot_external", "live_bench_external", "os_world_external", "hle_calibration_error"}
    # The benchmarks ECI is fitted on, as Epoch's own fit lists them (additional_eci_data in April).
    assert sum(row["in_axis"] == "eci" for row in rows) == 42
    assert (by_column["hle_calibration_error"]["category"], by_column["hle_calibration_error"]["direction"],
            by_column["hle_calibration_error"]["safety_area"]) == ("safety", "-1", "calibration")
    assert by_column["simpleqa_verified"]["safety_area"] == "truthfulness"
    assert by_column["cybench_external"]["direction"] == "-1"
    assert registry_scales()["gpqa_diamond"] == "0-1"


# --- replay -----------------------------------------------------------------------------


def test_replay_yields_both_snapshots_oldest_first_with_their_csv_bytes() -> None:
    snaps = list(EpochBenchmarks().replay(DATA))
    assert [s.label for s in snaps] == ["2026-03-09", "2026-04-19"]
    assert [s.observed_at for s in snaps] == [datetime(2026, 3, 9), datetime(2026, 4, 19)]
    assert all(s.mode == "replay" for s in snaps)
    assert snaps[1].location == str(APRIL)
    assert len(snaps[0].files) == 48 and len(snaps[1].files) == 52
    assert snaps[1].files["gpqa_diamond.csv"] == (APRIL / "gpqa_diamond.csv").read_bytes()
    assert "additional_eci_data/eci_scaling.csv" in snaps[1].files
    assert [s.label for s in EpochBenchmarks().replay(DATA, until=date(2026, 4, 1))] == ["2026-03-09"]
    assert list(EpochBenchmarks().replay(DATA, until=date(2026, 1, 1))) == []


def test_replay_contract_holds_for_every_snapshot(replayed) -> None:
    scales = registry_scales()
    for label, (snap, batch) in replayed.items():
        rows, models = batch.observations, batch.models
        assert list(rows.columns) == ["model", "benchmark", "value", "observed_at"]
        assert list(models.columns) == ["model", "model_set", "model_type", "display_name",
                                        "release_date", "organization", "model_group", "record_ids"]
        assert not rows.duplicated(["model", "benchmark"]).any(), label
        assert models["model"].is_unique
        assert set(rows["model"]) <= set(models["model"])
        assert set(rows["benchmark"]) <= set(scales)
        assert str(rows["observed_at"].dtype) == "datetime64[us]"
        assert rows["observed_at"].max() <= pd.Timestamp(snap.observed_at)
        assert (models["model_set"] == "all").all() and models["model_type"].isna().all()
        assert (rows["model"] == rows["model"].str.strip()).all() and (rows["model"] != "").all()
        for benchmark, values in rows.groupby("benchmark")["value"]:
            if scales[benchmark] in SCALE_BOUNDS:
                low, high = SCALE_BOUNDS[scales[benchmark]]
                assert values.between(low, high).all(), benchmark


def test_each_model_keeps_the_record_ids_of_its_rows(replayed) -> None:
    """The row Epoch moved between the snapshots keeps its id: March names gemini-1.5-pro-001."""
    ids = {label: batch.models.set_index("model")["record_ids"] for label, (_, batch) in replayed.items()}
    assert "reco8bWKr3VP7mW4o" in ids["2026-03-09"]["gemini-1.5-pro-001"].split()
    assert "reco8bWKr3VP7mW4o" in ids["2026-04-19"]["gemini-1.5-pro-001-feb24"].split()
    assert "reco8bWKr3VP7mW4o" not in ids["2026-04-19"]["gemini-1.5-pro-001"].split()


def test_march_snapshot_known_values(replayed) -> None:
    snap, batch = replayed["2026-03-09"]
    assert len(batch.models) == 543  # one per ECI row
    eci = value(batch, "DeepSeek-R1", "eci")
    assert eci["value"] == pytest.approx(139.40327153567057)
    assert eci["observed_at"] == pd.Timestamp("2026-03-09")
    run = value(batch, "gpt-5.3-codex_high", "swe_bench_verified")
    assert run["value"] == pytest.approx(0.7479338842975206)
    assert run["observed_at"] == pd.Timestamp("2026-02-25 10:37:06.792")
    assert value(batch, "claude-opus-4-6_unknown", "eci")["value"] == pytest.approx(152.65201830089973)
    # gdpval and posttrainbench were removed from this copy; aider had no evaluation dates yet.
    assert "gdpval_external" not in set(batch.observations["benchmark"])
    assert any("absent: gdpval_external, posttrainbench_external" in w for w in batch.warnings)
    assert any(w.startswith("aider_polyglot_external: no 'Date of evaluation'") for w in batch.warnings)
    # 48 files: 47 benchmarks and the index (eci), HLE's calibration error, and compute.
    assert batch.observations["benchmark"].nunique() == 50


def test_april_snapshot_known_values(replayed) -> None:
    snap, batch = replayed["2026-04-19"]
    rows = batch.observations
    assert len(batch.models) == 591 and rows["benchmark"].nunique() == 52
    # ECI was revised between the snapshots.
    assert value(batch, "DeepSeek-R1", "eci")["value"] == pytest.approx(139.79737613729642)
    assert value(batch, "claude-opus-4-6_unknown", "eci")["value"] == pytest.approx(155.03424458637127)
    gpqa = value(batch, "gpt-5.4-mini-2026-03-17_high", "gpqa_diamond")
    assert gpqa["value"] == pytest.approx(0.8358585858585859)
    assert gpqa["observed_at"] == pd.Timestamp("2026-04-15 14:03:19")
    # 0-100 as published, dated at the snapshot (no evaluation date in the row).
    assert value(batch, "gemini-2.5-pro-exp-03-25", "live_bench_external")["value"] == 82.35
    aider = value(batch, "gpt-oss-120b_high", "aider_polyglot_external")
    assert (aider["value"], aider["observed_at"]) == (41.8, pd.Timestamp("2026-04-19"))
    # Two MMLU rows (0.5917, 0.592) and two Terminal-Bench agents: the best one is kept.
    assert value(batch, "Baichuan-2-13B-Base", "mmlu_external")["value"] == 0.592
    tb = value(batch, "MiniMax-M2.1", "terminalbench_external")
    assert tb["value"] == pytest.approx(0.366) and tb["observed_at"] == pd.Timestamp("2025-12-22")
    assert value(batch, "claude-opus-4-6_unknown", "cybench_external")["value"] == 0.93
    assert value(batch, "DeepSeek-R1", COMPUTE_KEY)["value"] == pytest.approx(3.5e24)
    # 'Llama-2-70b-hf ' (trailing space upstream) is one model, with its FLOP.
    assert value(batch, "Llama-2-70b-hf", COMPUTE_KEY)["value"] == pytest.approx(8.1e23)
    models = batch.models.set_index("model")
    opus = models.loc["claude-opus-4-7_xhigh"]
    assert opus["display_name"] == "Claude Opus 4.7 (xhigh)"
    assert opus["release_date"] == pd.Timestamp("2026-04-16") and opus["organization"] == "Anthropic"
    assert models.loc["DeepSeek-R1", "display_name"] == "DeepSeek-R1"  # no display name upstream
    assert "Palmyra X (43B)" not in models.index  # a row without a Model version
    assert any("gsm8k_external 65" in w for w in batch.warnings)
    assert any("mmlu_external 81" in w for w in batch.warnings)


# --- live over loopback -------------------------------------------------------------------


def test_live_fetch_gives_the_rows_of_the_replay(upstream, sleeps, replayed) -> None:
    serve(upstream, zip_of(folder_files(APRIL)))
    [snap] = live(upstream, sleeps)
    assert snap.mode == "live" and snap.http_status == 200 and not snap.not_modified
    assert snap.location == f"{upstream.url}{ZIP_PATH}"
    assert list(snap.files) == ["benchmark_data.zip"] and snap.etag
    assert snap.observed_at == datetime(2026, 4, 19) and snap.label == "2026-04-19"
    batch = EpochBenchmarks().parse(snap)
    expected = replayed["2026-04-19"][1]
    assert_frame_equal(batch.observations, expected.observations)
    assert_frame_equal(batch.models, expected.models)
    assert batch.warnings == expected.warnings
    assert upstream.requests_to(ZIP_PATH) == [200] and sleeps == []


def test_unchanged_refetch_is_one_conditional_request(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    [first] = live(upstream, sleeps)
    previous = {first.location: Previous(first.etag, first.last_modified, first.content_hash)}
    with HttpClient(sleep=sleeps.append) as http:
        [again] = list(EpochBenchmarks(upstream_base=upstream.url).fetch(http, previous))
        assert http.requests == 1
    assert again.not_modified and again.files == {} and again.http_status == 304
    assert again.observed_at == datetime(2026, 4, 19)
    assert upstream.requests_to(ZIP_PATH) == [200, 304]


def test_identical_zip_without_conditional_support_is_not_modified(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    [first] = live(upstream, sleeps)
    [again] = live(upstream, sleeps, {first.location: Previous(content_hash=first.content_hash)})
    assert again.not_modified and again.files == {} and again.http_status == 200


def test_changed_refetch_yields_the_new_data(upstream, sleeps, replayed) -> None:
    serve(upstream, zip_of(folder_files(MARCH), date(2026, 3, 9)), datetime(2026, 3, 9))
    [march] = live(upstream, sleeps)
    assert_frame_equal(EpochBenchmarks().parse(march).observations,
                       replayed["2026-03-09"][1].observations)
    serve(upstream, zip_of(folder_files(APRIL)))
    previous = {march.location: Previous(march.etag, march.last_modified, march.content_hash)}
    [april] = live(upstream, sleeps, previous)
    assert not april.not_modified and april.etag != march.etag
    assert april.observed_at == datetime(2026, 4, 19)
    assert_frame_equal(EpochBenchmarks().parse(april).observations,
                       replayed["2026-04-19"][1].observations)
    assert upstream.requests_to(ZIP_PATH) == [200, 200]


# --- faults -------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    upstream.inject(ZIP_PATH, Fault("status", 429, headers={"Retry-After": "7"}))
    [snap] = live(upstream, sleeps)
    assert sleeps == [7.0] and upstream.requests_to(ZIP_PATH) == [429, 200]
    assert value(EpochBenchmarks().parse(snap), "DeepSeek-R1", "eci")["value"] > 100


def test_500_then_success(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    upstream.inject(ZIP_PATH, Fault("status", 500, body=b"oops"))
    [snap] = live(upstream, sleeps, backoff=0.5)
    assert sleeps == [0.5] and upstream.requests_to(ZIP_PATH) == [500, 200]
    assert not EpochBenchmarks().parse(snap).observations.empty


def test_truncated_download_is_retried_and_fails_clearly_without_retries(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    upstream.inject(ZIP_PATH, Fault("truncate"))
    [snap] = live(upstream, sleeps)
    assert upstream.requests_to(ZIP_PATH) == [200, 200] and len(sleeps) == 1
    assert not EpochBenchmarks().parse(snap).observations.empty
    upstream.inject(ZIP_PATH, Fault("truncate"))
    with pytest.raises(FetchError, match="benchmark_data.zip"):
        live(upstream, sleeps, retries=0)


def test_truncated_zip_is_a_parse_error_naming_the_url(upstream, sleeps) -> None:
    whole = zip_of(small())
    serve(upstream, whole[: len(whole) // 2])
    [snap] = live(upstream, sleeps)
    with pytest.raises(ParseError, match="not a readable ZIP archive") as caught:
        EpochBenchmarks().parse(snap)
    assert caught.value.location == f"{upstream.url}{ZIP_PATH}"


def test_html_error_page_is_a_parse_error_naming_the_url(upstream, sleeps) -> None:
    serve(upstream, zip_of(small()))
    upstream.inject(ZIP_PATH, Fault("html"))
    [snap] = live(upstream, sleeps)
    with pytest.raises(ParseError, match=r"not a readable ZIP archive.*<html>") as caught:
        EpochBenchmarks().parse(snap)
    assert caught.value.location == f"{upstream.url}{ZIP_PATH}"


def test_renamed_score_column_fails_that_file_only_naming_file_and_column(upstream, sleeps) -> None:
    files = small()
    files["gpqa_diamond.csv"] = files["gpqa_diamond.csv"].replace(
        b"Model version,mean_score,", b"Model version,accuracy,", 1)
    serve(upstream, zip_of(files))
    [snap] = live(upstream, sleeps)
    batch = EpochBenchmarks().parse(snap)
    assert set(batch.observations["benchmark"]) == {"eci", COMPUTE_KEY}  # the index is stored
    [failure] = [w for w in batch.warnings if "failed, not ingested" in w]
    assert failure.startswith("file failed, not ingested: gpqa_diamond.csv, column 'mean_score': missing column")


@pytest.mark.parametrize("files, problem", [
    ({}, "no benchmark CSV"),
    ({"README.md": b"# nothing here"}, "no benchmark CSV"),
    ({f"{ECI_FILE}.csv": (APRIL / f"{ECI_FILE}.csv").read_bytes().split(b"\n")[0] + b"\n"},
     "lists no models"),
])
def test_empty_result_is_a_parse_error(upstream, sleeps, files, problem) -> None:
    serve(upstream, zip_of(files))
    [snap] = live(upstream, sleeps)
    with pytest.raises(ParseError, match=problem):
        EpochBenchmarks().parse(snap)


def test_a_missing_index_fails_that_file_only(upstream, sleeps) -> None:
    serve(upstream, zip_of({"gpqa_diamond.csv": (APRIL / "gpqa_diamond.csv").read_bytes()}))
    [snap] = live(upstream, sleeps)
    batch = EpochBenchmarks().parse(snap)
    assert value(batch, "gpt-5.4-mini-2026-03-17_high", "gpqa_diamond")["value"] == pytest.approx(0.8358585858585859)
    assert "eci" not in set(batch.observations["benchmark"])
    assert (f"file failed, not ingested: {ECI_FILE}.csv: the capabilities index is missing: no ECI in this "
            "payload") in batch.warnings


def test_empty_body_is_a_parse_error(upstream, sleeps) -> None:
    serve(upstream, b"")
    [snap] = live(upstream, sleeps)
    with pytest.raises(ParseError, match="empty body"):
        EpochBenchmarks().parse(snap)


# --- schema and scale drift (parse only) -----------------------------------------------------


def replay_snapshot(files: dict[str, bytes]) -> Snapshot:
    return Snapshot("epoch", "test", datetime(2026, 4, 19), "/recorded", files)


def edited(column: str, change) -> bytes:
    frame = pd.read_csv(APRIL / "gpqa_diamond.csv", dtype=str, keep_default_na=False)
    frame[column] = change(frame[column])
    return frame.to_csv(index=False).encode()


def test_a_column_moved_to_another_scale_fails_that_file_only() -> None:
    percent = edited("mean_score", lambda s: (pd.to_numeric(s) * 100).astype(str))
    batch = EpochBenchmarks().parse(replay_snapshot({**small(), "gpqa_diamond.csv": percent}))
    assert "gpqa_diamond" not in set(batch.observations["benchmark"])
    assert value(batch, "DeepSeek-R1", "eci")["value"] > 100
    [failure] = [w for w in batch.warnings if "failed, not ingested" in w]
    assert failure.startswith("file failed, not ingested: gpqa_diamond.csv, column 'mean_score', row 0: "
                              "157 of 157 values outside the published 0-1 scale")


def test_only_failed_files_is_a_parse_error_naming_each() -> None:
    percent = edited("mean_score", lambda s: (pd.to_numeric(s) * 100).astype(str))
    index = (APRIL / f"{ECI_FILE}.csv").read_bytes().replace(b"ECI Score", b"ECI", 1)
    with pytest.raises(ParseError, match="nothing usable parsed") as caught:
        EpochBenchmarks().parse(replay_snapshot({f"{ECI_FILE}.csv": index, "gpqa_diamond.csv": percent}))
    assert f"{ECI_FILE}.csv, column 'ECI Score': missing column" in str(caught.value)
    assert "gpqa_diamond.csv, column 'mean_score', row 0" in str(caught.value)


def test_a_stray_value_off_the_scale_is_dropped_with_a_warning() -> None:
    stray = edited("mean_score", lambda s: s.where(s.index != 0, "83.5"))
    batch = EpochBenchmarks().parse(replay_snapshot({**small(), "gpqa_diamond.csv": stray}))
    gpqa = batch.observations[batch.observations["benchmark"] == "gpqa_diamond"]
    assert "gpt-5.4-mini-2026-03-17_high" not in set(gpqa["model"]) and len(gpqa) == 156
    assert any("dropped 1 value(s) outside the 0-1 scale: [83.5]" in w for w in batch.warnings)


def test_non_numeric_score_names_file_column_and_row() -> None:
    broken = edited("mean_score", lambda s: s.where(s.index != 3, "n/a"))
    batch = EpochBenchmarks().parse(replay_snapshot({**small(), "gpqa_diamond.csv": broken}))
    assert "file failed, not ingested: gpqa_diamond.csv, column 'mean_score', row 3: not a number: 'n/a'" \
        in batch.warnings


def test_new_file_and_non_finite_value_are_warnings() -> None:
    files = {**small(), "new_bench_external.csv": b"Model version,Score\nx,0.5\n",
             "gpqa_diamond.csv": edited("mean_score", lambda s: s.where(s.index != 1, "inf"))}
    batch = EpochBenchmarks().parse(replay_snapshot(files))
    assert "file(s) not mapped, not ingested: new_bench_external.csv" in batch.warnings
    assert "gpqa_diamond: mean_score: dropped 1 non-finite value(s)" in batch.warnings
    assert set(batch.observations["benchmark"]) == {"eci", "gpqa_diamond", COMPUTE_KEY}


# --- the replay end to end: live safety signals on Epoch's own axes -----------------------------


def test_replay_correlates_hle_calibration_and_cybench_with_eci_compute_and_accuracy(settings) -> None:
    """After a replay, HLE's calibration error (43 rows in April, 38 model versions) and Cybench
    have rows on the eci and compute axes, and calibration error is also set against HLE's own
    accuracy (the paper's calibration view): that rho is recomputed here with scipy."""
    from scipy.stats import spearmanr

    from benchwatch.pipeline.refresh import refresh
    from benchwatch.storage import results as result_store
    from benchwatch.storage.db import connect

    refresh(settings.model_copy(update={"bootstrap_resamples": 0}), ["epoch"])
    con = connect(settings.db)
    latest = result_store.correlations(con)
    april = con.execute(
        "SELECT model, benchmark, value FROM observations WHERE source = 'epoch' AND valid_to IS NULL "
        "AND benchmark IN ('hle_external', 'hle_calibration_error')").df()
    con.close()
    # Every HLE and Cybench model is a chat model (identity.kinds): the chat set holds them all.
    pooled = latest[(latest["source"] == "epoch") & (latest["model_set"] == "chat")].set_index(["benchmark", "axis"])
    for benchmark in ("hle_calibration_error", "cybench_external"):
        for axis in ("eci", "compute"):
            assert (benchmark, axis) in pooled.index, (benchmark, axis)
    assert pooled.loc[("cybench_external", "eci"), "n"] >= 15
    wide = april.pivot(index="model", columns="benchmark", values="value").dropna()
    expected = spearmanr(-wide["hle_calibration_error"], wide["hle_external"]).statistic
    accuracy = pooled.loc[("hle_calibration_error", "accuracy")]
    assert accuracy["n"] == len(wide) == 38
    assert accuracy["rho"] == pytest.approx(expected)

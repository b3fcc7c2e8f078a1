"""HELM sources: replay of the recorded releases, and live fetches from a
loopback HELM (project_metadata.json, summary.json, group tables) built from
the same recorded data, so live and replay must give the same rows."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pandas as pd
import pytest

from benchwatch.pipeline.ingest import ingest_source
from benchwatch.records import Previous, Snapshot
from benchwatch.sources.base import ParseError, published_at
from benchwatch.sources.helm import (
    HelmCapabilities,
    HelmSafety,
    release_dates,
    run_spec_model,
)
from benchwatch.sources.http import FetchError, HttpClient
from benchwatch.storage.db import connect
from benchwatch.storage.views import value_history
from tests.conftest import DATA_DIR
from tests.loopback import Fault, Upstream

DATA = DATA_DIR
SAFETY_CSV = DATA / HelmSafety.RECORDED
CAPABILITIES_JSON = DATA / HelmCapabilities.RECORDED
RAW_TEX = DATA / "helm-safety" / "raw"
INDEX = "/crfm.stanford.edu/helm/project_metadata.json"
BUCKET = "/storage.googleapis.com/crfm-helm-public"
SCORE_COLUMNS = ["mean_score", "harm_bench_safety_score", "simple_safety_tests_safety_score",
                 "bbq_accuracy", "anthropic_red_team_safety_score", "xstest_safety_score"]
# SOURCE.md: models per release, v1.0.0 .. v1.17.0.
MODELS_PER_RELEASE = [27, 33, 41, 43, 45, 50, 54, 57, 61, 62, 67, 69, 70, 73, 78, 80, 84, 87]
CAPABILITY_HEADERS = {  # recorded key -> HELM header (run group - metric)
    "mmlu_pro": ("MMLU-Pro", "COT correct"),
    "gpqa_diamond": ("GPQA", "COT correct"),
    "ifeval": ("IFEval", "IFEval Strict Acc"),
    "wildbench": ("WildBench", "WB Score"),
    "omni_math": ("Omni-MATH", "Acc"),
}


# ---------------------------------------------------------------- helpers

def tex_table(release: str) -> tuple[list[str], dict[str, list[float]]]:
    """Header and rows of a verbatim HELM LaTeX table: the upstream artifact."""
    text = (RAW_TEX / f"{release}_groups_latex_safety_scenarios_accuracy.tex").read_text()
    body = text.split("\\toprule\n")[1].split("\n\\bottomrule")[0].split("\n")
    header = body[0].removesuffix(" \\\\").split(" & ")
    rows = {}
    for line in body[2:]:
        name, *values = line.removesuffix(" \\\\").split(" & ")
        rows[name] = [float(v) for v in values]
    return header, rows


def header_cell(text: str) -> dict:
    if " - " not in text:
        return {"value": text, "description": "The mean of the scores from all columns.",
                "lower_is_better": False, "markdown": False, "metadata": {}}
    group, metric = text.split(" - ", 1)
    return {"value": text, "description": f"{group}\n\n{metric}", "lower_is_better": False,
            "markdown": False, "metadata": {"metric": metric, "run_group": group}}


def score_cell(value: float | None) -> dict:
    """A HELM cell as asdict_without_nones writes it (no 'value' key when there is none)."""
    if value is None:
        return {"description": "No matching runs", "markdown": False}
    return {"value": value, "description": f"min={value:.3f}, mean={value:.3f}, max={value:.3f}",
            "style": {}, "markdown": False}


def helm_table(headers: list[str], rows: list[tuple[str, list[float | None]]]) -> dict:
    return {
        "title": "Accuracy",
        "header": [{"value": "Model", "markdown": False, "metadata": {}}] + [header_cell(h) for h in headers],
        "rows": [[{"value": name, "description": "", "markdown": False}] + [score_cell(v) for v in values]
                 for name, values in rows],
        "links": [{"text": "LaTeX", "href": "groups/latex/x.tex"},
                  {"text": "JSON", "href": "groups/json/x.json"}],
        "name": "accuracy",
    }


def safety_releases() -> dict[str, pd.DataFrame]:
    table = pd.read_csv(SAFETY_CSV)
    return {r: part for r, part in table.groupby("release", sort=False)}


def safety_table(part: pd.DataFrame) -> dict:
    """The release's leaderboard as HELM's JSON, headers as in the recorded LaTeX."""
    headers, _ = tex_table("v1.0.0")
    rows = [(r.model_display_name, [getattr(r, c) for c in SCORE_COLUMNS]) for r in part.itertuples()]
    return helm_table(headers[1:], rows)


def to_bytes(doc: object) -> bytes:
    return json.dumps(doc, indent=2).encode()


def release_path(project: str, release: str, rest: str) -> str:
    return f"{BUCKET}/{project}/benchmark_output/releases/{release}/{rest}"


def mount_safety(upstream: Upstream, releases: list[str], dates: dict[str, datetime]) -> None:
    """Serve HELM Safety as it stood when ``releases[-1]`` was the newest release."""
    parts = safety_releases()
    index = [{"title": "Safety", "description": "Safety leaderboard", "id": "safety",
              "releases": list(reversed(releases))}]
    upstream.mount(INDEX, to_bytes(index))
    for release in releases:
        summary = {"release": release, "suites": [release], "date": f"{dates[release]:%Y-%m-%d}"}
        upstream.mount(release_path("safety", release, "summary.json"), to_bytes(summary))
        upstream.mount(release_path("safety", release, "groups/json/safety_scenarios_accuracy.json"),
                       to_bytes(safety_table(parts[release])))


def table_path(release: str = "v1.17.0") -> str:
    return release_path("safety", release, "groups/json/safety_scenarios_accuracy.json")


def remember(snapshot: Snapshot) -> dict[str, Previous]:
    """What storage hands back to the next fetch after this one succeeded."""
    content_hash = snapshot.content_hash if snapshot.files else None
    return {snapshot.location: Previous(snapshot.etag, snapshot.last_modified, content_hash)}


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def same_batch(live, replay) -> None:
    keys = ["model", "benchmark"]
    pd.testing.assert_frame_equal(sorted_rows(live.observations, keys),
                                  sorted_rows(replay.observations, keys))
    pd.testing.assert_frame_equal(sorted_rows(live.models, ["model"]), sorted_rows(replay.models, ["model"]))


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def safety_replay() -> list[Snapshot]:
    return list(HelmSafety().replay(DATA))


@pytest.fixture()
def upstream():
    server = Upstream().start()
    yield server
    server.stop()


@pytest.fixture()
def latest(upstream, safety_replay):
    """Loopback HELM with all 18 safety releases published."""
    mount_safety(upstream, [s.label.split()[0] for s in safety_replay],
                 {s.label.split()[0]: s.observed_at for s in safety_replay})
    return upstream


def fetch_one(source, http, previous=None) -> Snapshot:
    (snapshot,) = list(source.fetch(http, previous or {}))
    return snapshot


# ---------------------------------------------------------------- replay

def test_replay_yields_every_release_in_order_with_its_models(safety_replay):
    source = HelmSafety()
    assert [s.label.split()[0] for s in safety_replay] == [f"v1.{i}.0" for i in range(18)]
    assert all(s.mode == "replay" and s.location == str(SAFETY_CSV) for s in safety_replay)
    dates = [s.observed_at for s in safety_replay]
    assert dates == sorted(set(dates)), "one distinct date per release, increasing"
    assert dates[0] == datetime(2024, 11, 8) and dates[-1] == datetime(2025, 11, 24)
    for snapshot, count in zip(safety_replay, MODELS_PER_RELEASE):
        batch = source.parse(snapshot)
        assert batch.warnings == []
        assert len(batch.models) == count
        assert len(batch.observations) == 6 * count
        assert set(batch.models["model_set"]) == {"all"}
        assert batch.models["model_type"].isna().all()
        assert (batch.observations["observed_at"] == snapshot.observed_at).all()
        assert str(batch.observations["observed_at"].dtype) == "datetime64[us]"


def test_release_dates_respect_the_model_snapshot_dates(safety_replay):
    by_release = {s.label.split()[0]: s.observed_at.date() for s in safety_replay}
    # A release cannot predate a model snapshot it lists (named in SOURCE.md).
    assert by_release["v1.1.0"] >= date(2025, 1, 31)  # o3-mini (2025-01-31)
    assert by_release["v1.14.0"] >= date(2025, 8, 7)  # GPT-5 (2025-08-07)
    assert by_release["v1.17.0"] >= date(2025, 11, 13)  # GPT-5.1 (2025-11-13)
    assert by_release["v1.3.0"] == date(2025, 3, 14)  # evenly between v1.2.0 and v1.5.0


def test_replay_until_skips_later_releases():
    labels = [s.label for s in HelmSafety().replay(DATA, until=date(2025, 5, 1))]
    assert labels[-1] == "v1.7.0 (2025-04-30)" and len(labels) == 8
    assert list(HelmSafety().replay(DATA, until=date(2024, 11, 7))) == []
    assert list(HelmCapabilities().replay(DATA, until=date(2025, 11, 24))) == []


@pytest.mark.parametrize("index, release", [(0, "v1.0.0"), (17, "v1.17.0")])
def test_replayed_values_equal_the_raw_latex_tables(safety_replay, index, release):
    batch = HelmSafety().parse(safety_replay[index])
    _, rows = tex_table(release)
    values = batch.observations.set_index(["model", "benchmark"])["value"]
    assert len(values) == 6 * len(rows)
    for model, scores in rows.items():
        assert [values[(model, c)] for c in SCORE_COLUMNS] == scores


def test_replayed_known_cells(safety_replay):
    first = HelmSafety().parse(safety_replay[0]).observations.set_index(["model", "benchmark"])["value"]
    assert first[("DBRX Instruct", "harm_bench_safety_score")] == 0.2710163111668758
    assert first[("Claude 3.5 Sonnet (20240620)", "bbq_accuracy")] == 0.949
    assert first[("GPT-4o (2024-05-13)", "anthropic_red_team_safety_score")] == 0.9913706853426714
    last = HelmSafety().parse(safety_replay[-1]).observations.set_index(["model", "benchmark"])["value"]
    assert last[("Marin 8B Instruct", "mean_score")] == 0.8700083333333334


def test_capabilities_replay_parses_the_recorded_scores():
    source = HelmCapabilities()
    (snapshot,) = list(source.replay(DATA))
    assert snapshot.observed_at == datetime(2025, 11, 25)
    batch = source.parse(snapshot)
    raw = json.loads(CAPABILITIES_JSON.read_bytes())["models"]
    assert len(batch.models) == len(raw) == 45
    assert len(batch.observations) == sum(len(scores) for scores in raw.values()) == 221
    values = batch.observations.set_index(["model", "benchmark"])["value"]
    assert values[("OpenAI GPT 5 (2025-08-07)", "mmlu_pro")] == 0.863
    assert values[("Anthropic CLAUDE 3 5 SONNET (2024-06-20)", "gpqa")] == 0.5291479820627802
    granite = batch.observations[batch.observations["model"] == "Ibm Granite 4.0 H Small With Guardian"]
    assert granite[["benchmark", "value"]].values.tolist() == [["gpqa", 0.3834080717488789]]
    assert set(batch.observations["benchmark"]) == {"mmlu_pro", "gpqa", "ifeval", "wildbench", "omni_math"}


def test_release_dates_need_known_ends():
    with pytest.raises(ValueError):
        release_dates([("v1.0.0", []), ("v1.1.0", [])], {"v1.0.0": date(2024, 1, 1)})
    dates = release_dates([("a", ["X (20240301)"]), ("b", []), ("c", [])],
                          {"a": date(2024, 3, 1), "c": date(2024, 3, 11)})
    assert dates == {"a": datetime(2024, 3, 1), "b": datetime(2024, 3, 6), "c": datetime(2024, 3, 11)}


def test_run_spec_model_ids():
    assert run_spec_model("harm_bench:model=anthropic_claude-3-5-sonnet-20240620") == \
        "anthropic/claude-3-5-sonnet-20240620"
    assert run_spec_model("bbq:subject=all,method=multiple_choice_joint,model=openai_gpt-4o-2024-05-13") == \
        "openai/gpt-4o-2024-05-13"
    assert run_spec_model("ifeval:model=meta/llama-3.1-8b-instruct-turbo") == \
        "meta/llama-3.1-8b-instruct-turbo"
    assert run_spec_model("xstest") is None


# ---------------------------------------------------------------- live

def test_live_fetches_release_by_release_equal_the_replay(upstream, safety_replay):
    """Each release published in turn: every fetch brings the new release, same rows as replay."""
    source, previous = HelmSafety(upstream_base=upstream.url), {}
    releases = [s.label.split()[0] for s in safety_replay]
    dates = {s.label.split()[0]: s.observed_at for s in safety_replay}
    with HttpClient(sleep=Sleeps()) as http:
        for k, replayed in enumerate(safety_replay):
            mount_safety(upstream, releases[: k + 1], dates)
            live = fetch_one(source, http, previous)
            assert live.mode == "live" and not live.not_modified and live.http_status == 200
            assert live.label == replayed.label and live.observed_at == replayed.observed_at
            assert live.location == f"{upstream.url}{INDEX}" and live.etag
            same_batch(source.parse(live), source.parse(replayed))
            previous = remember(live)


def test_unchanged_refetch_is_one_conditional_request(latest):
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        first = fetch_one(source, http)
        assert len(latest.log) == 3  # index, summary, table
        again = fetch_one(source, http, remember(first))
    assert again.not_modified and again.files == {} and again.etag == first.etag
    assert latest.log[3:] == [(INDEX, "", 304)]


def test_index_change_without_a_new_release_is_not_modified(latest):
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        first = fetch_one(source, http)
        index = json.loads(latest.routes[INDEX].body)
        latest.mount(INDEX, to_bytes(index + [{"title": "Lite", "description": "", "id": "lite",
                                                 "releases": ["v1.13.0"]}]))
        again = fetch_one(source, http, remember(first))
    assert again.not_modified and again.files == {} and again.observed_at == first.observed_at
    assert again.etag != first.etag  # the new index validators are kept for the next request


def test_capabilities_live_from_the_group_file_equals_replay(upstream):
    """No groups/json/..._accuracy.json (404): the accuracy table inside groups/core_scenarios.json."""
    source = HelmCapabilities(upstream_base=upstream.url)
    raw = json.loads(CAPABILITIES_JSON.read_bytes())["models"]
    headers = [" - ".join(CAPABILITY_HEADERS[k]) for k in CAPABILITY_HEADERS]
    accuracy = helm_table(headers, [(label, [scores.get(k) for k in CAPABILITY_HEADERS])
                                    for label, scores in raw.items()])
    efficiency = {**helm_table(["MMLU-Pro - Observed inference time (s)"], []), "title": "Efficiency",
                  "name": "efficiency"}
    upstream.mount(INDEX, to_bytes([{"title": "Capabilities", "description": "", "id": "capabilities",
                                     "releases": ["v1.0.0"]}]))
    upstream.mount(release_path("capabilities", "v1.0.0", "summary.json"),
                   to_bytes({"release": "v1.0.0", "suites": ["v1.0.0"], "date": "2025-11-25"}))
    upstream.mount(release_path("capabilities", "v1.0.0", "groups/core_scenarios.json"),
                   to_bytes([accuracy, efficiency]))
    with HttpClient() as http:
        live = fetch_one(source, http)
    assert upstream.requests_to(release_path("capabilities", "v1.0.0",
                                             "groups/json/core_scenarios_accuracy.json")) == [404]
    (replayed,) = list(source.replay(DATA))
    same_batch(source.parse(live), source.parse(replayed))


def test_run_spec_ids_become_the_model_and_mean_is_kept(upstream):
    """Model = HELM's id from the cells' run specs; the display name is kept beside it."""
    headers, _ = tex_table("v1.0.0")
    table = helm_table(headers[1:], [
        ("Claude 3.5 Sonnet (20240620)", [0.97, 0.98, 1.0, 0.949, 0.99775, 0.956]),
        ("GPT-4o (2024-05-13)", [0.94, 0.83, 0.985, 0.951, float("nan"), 0.97]),
        ("DBRX Instruct", [0.63, 0.27, 0.535, 0.792, 0.77, 0.77]),
    ])
    for cell in table["rows"][0][2:]:
        cell["run_spec_names"] = ["harm_bench:model=anthropic_claude-3-5-sonnet-20240620"]
    # Older releases link the runs through href instead.
    table["rows"][1][2]["href"] = ("?group=safety_scenarios&subgroup=Accuracy&runSpecs="
                                   "%5B%22harm_bench%3Amodel%3Dopenai_gpt-4o-2024-05-13%22%5D")
    upstream.mount(INDEX, to_bytes([{"title": "Safety", "description": "", "id": "safety",
                                     "releases": ["v1.9.0", "v1.10.0"]}]))
    upstream.mount(release_path("safety", "v1.10.0", "summary.json"),
                   to_bytes({"release": "v1.10.0", "suites": ["v1.10.0"], "date": "2025-06-11"}))
    upstream.mount(table_path("v1.10.0"), to_bytes(table))
    source = HelmSafety(upstream_base=upstream.url)
    with HttpClient() as http:
        snapshot = fetch_one(source, http)
    assert snapshot.label == "v1.10.0 (2025-06-11)"  # v1.10.0 is newer than v1.9.0
    batch = source.parse(snapshot)
    models = batch.models.set_index("model")["display_name"]
    assert models.to_dict() == {
        "anthropic/claude-3-5-sonnet-20240620": "Claude 3.5 Sonnet (20240620)",
        "openai/gpt-4o-2024-05-13": "GPT-4o (2024-05-13)",
        "DBRX Instruct": "DBRX Instruct",
    }
    values = batch.observations.set_index(["model", "benchmark"])["value"]
    assert values[("anthropic/claude-3-5-sonnet-20240620", "bbq_accuracy")] == 0.949
    assert values[("openai/gpt-4o-2024-05-13", "mean_score")] == 0.94
    assert ("openai/gpt-4o-2024-05-13", "anthropic_red_team_safety_score") not in values.index
    assert batch.warnings == ["dropped 1 non-finite value(s)"]
    assert len(batch.observations) == 17


# ---------------------------------------------------------------- faults

def test_429_with_retry_after_then_success(latest, safety_replay):
    latest.inject(INDEX, Fault("status", 429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient(sleep=sleeps) as http:
        live = fetch_one(source, http)
    assert sleeps == [7.0]
    assert latest.requests_to(INDEX) == [429, 200]
    same_batch(source.parse(live), source.parse(safety_replay[-1]))


def test_500_then_success(latest, safety_replay):
    latest.inject(table_path(), Fault("status", 500))
    sleeps = Sleeps()
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient(sleep=sleeps, backoff=0.5) as http:
        live = fetch_one(source, http)
    assert sleeps == [0.5] and latest.requests_to(table_path()) == [500, 200]
    same_batch(source.parse(live), source.parse(safety_replay[-1]))


def test_truncated_body_is_retried_then_fails_for_good(latest, safety_replay):
    source = HelmSafety(upstream_base=latest.url)
    latest.inject(table_path(), Fault("truncate"))
    with HttpClient(sleep=Sleeps()) as http:
        live = fetch_one(source, http)
    same_batch(source.parse(live), source.parse(safety_replay[-1]))
    latest.inject(table_path(), Fault("truncate"), Fault("truncate"))
    with HttpClient(sleep=Sleeps(), retries=1) as http, pytest.raises(FetchError) as error:
        fetch_one(source, http)
    assert "safety_scenarios_accuracy.json" in str(error.value)


def test_html_instead_of_the_table_names_the_url(latest):
    latest.inject(table_path(), Fault("html"))
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        snapshot = fetch_one(source, http)
    with pytest.raises(ParseError) as error:
        source.parse(snapshot)
    assert error.value.location == f"{latest.url}{table_path()}"
    assert "not JSON" in str(error.value) and "<html>" in str(error.value)


def test_html_instead_of_the_index_names_the_url(latest):
    latest.inject(INDEX, Fault("html"))
    with HttpClient() as http, pytest.raises(ParseError) as error:
        fetch_one(HelmSafety(upstream_base=latest.url), http)
    assert error.value.location == f"{latest.url}{INDEX}"


@pytest.mark.parametrize("fault", ["html", "missing"])
def test_a_bad_summary_fails_alone_and_the_table_is_stored(latest, fault):
    """summary.json is one file of the release: unreadable or gone, it fails alone (named), and the
    leaderboard is stored, dated at the index's Last-Modified."""
    path = release_path("safety", "v1.17.0", "summary.json")
    if fault == "html":
        latest.inject(path, Fault("html"))
    else:
        del latest.routes[path]
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient(retries=0) as http:
        snapshot = fetch_one(source, http)
    batch = source.parse(snapshot)
    assert batch.observations["benchmark"].nunique() == 6 and len(batch.models) > 50
    [failure] = batch.warnings
    problem = ": not JSON" if fault == "html" else ", column 'date': missing: the release is dated at the fetch"
    assert failure.startswith(f"file failed, not ingested: summary.json{problem}")
    # Dated at the index's Last-Modified (a bound the fetch can see), not a guessed release date.
    assert snapshot.observed_at == published_at(snapshot.last_modified) != datetime(2025, 11, 24)


def test_renamed_column_fails_that_benchmark_only_naming_the_column(latest):
    table = json.loads(latest.routes[table_path()].body)
    bbq = table["header"][4]
    bbq["value"], bbq["metadata"]["run_group"] = "BBQ-lite - BBQ accuracy", "BBQ-lite"
    latest.mount(table_path(), to_bytes(table))
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        batch = source.parse(fetch_one(source, http))
    assert "bbq_accuracy" not in set(batch.observations["benchmark"])
    assert set(batch.observations["benchmark"]) == set(HelmSafety.columns.values()) - {"bbq_accuracy"}
    failure = next(w for w in batch.warnings if "failed, not ingested" in w)
    assert failure.startswith("benchmark bbq_accuracy failed, not ingested: safety_scenarios_accuracy.json, "
                              "column 'BBQ': missing column")
    assert "BBQ-lite - BBQ accuracy" in failure
    for header in table["header"][1:]:
        header["metadata"]["run_group"] = header["value"] = "Renamed - x"
    latest.mount(table_path(), to_bytes(table))
    with HttpClient() as http:
        snapshot = fetch_one(source, http)
    with pytest.raises(ParseError, match="missing column") as error:  # nothing usable is left
        source.parse(snapshot)
    assert table_path() in str(error.value)


def test_new_column_is_a_warning_and_a_bad_cell_names_column_and_row(latest):
    table = json.loads(latest.routes[table_path()].body)
    table["header"].append(header_cell("WMDP - Accuracy"))
    for row in table["rows"]:
        row.append(score_cell(0.5))
    latest.mount(table_path(), to_bytes(table))
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        batch = source.parse(fetch_one(source, http))
    assert batch.warnings == ["column 'WMDP - Accuracy' is not in the registry: ignored"]
    table["rows"][3][4]["value"] = "n/a"
    latest.mount(table_path(), to_bytes(table))
    with HttpClient() as http:
        batch = source.parse(fetch_one(source, http))
    assert "benchmark bbq_accuracy failed, not ingested: safety_scenarios_accuracy.json, column " \
        "'bbq_accuracy', row 3: not a number: 'n/a'" in batch.warnings
    assert "bbq_accuracy" not in set(batch.observations["benchmark"])


def test_empty_table_is_an_error(latest):
    table = json.loads(latest.routes[table_path()].body)
    latest.mount(table_path(), to_bytes({**table, "rows": []}))
    source = HelmSafety(upstream_base=latest.url)
    with HttpClient() as http:
        snapshot = fetch_one(source, http)
    with pytest.raises(ParseError, match="no model rows"):
        source.parse(snapshot)


def test_project_missing_or_without_releases_is_an_error(upstream):
    source = HelmSafety(upstream_base=upstream.url)
    upstream.mount(INDEX, to_bytes([{"title": "Lite", "description": "", "id": "lite",
                                     "releases": ["v1.0.0"]}]))
    with HttpClient() as http, pytest.raises(ParseError) as error:
        fetch_one(source, http)
    assert error.value.column == "id" and "'safety'" in str(error.value)
    upstream.mount(INDEX, to_bytes([{"title": "Safety", "description": "", "id": "safety", "releases": []}]))
    with HttpClient() as http, pytest.raises(ParseError) as error:
        fetch_one(source, http)
    assert error.value.column == "releases"


def test_recorded_csv_with_two_releases_is_rejected():
    content = SAFETY_CSV.read_bytes()
    snapshot = Snapshot("helm-safety", "x", datetime(2025, 1, 1), str(SAFETY_CSV), {"all.csv": content})
    with pytest.raises(ParseError) as error:
        HelmSafety().parse(snapshot)
    assert error.value.column == "release"
    renamed = content.replace(b"bbq_accuracy", b"bbq_acc", 1)
    frame = pd.read_csv(io.BytesIO(renamed))
    one = frame[frame["release"] == "v1.0.0"].to_csv(index=False).encode()
    with pytest.raises(ParseError) as error:
        HelmSafety().parse(Snapshot("helm-safety", "x", datetime(2025, 1, 1), "f", {"v1.0.0.csv": one}))
    assert error.value.column == "bbq_accuracy"


# ---------------------------------------------------------------- withdrawals

def test_a_release_is_an_increment_a_dropped_model_stays_current(settings, upstream, safety_replay):
    """HELM is an increment (``HelmSource.full_snapshot``: replayed and live rows are keyed
    differently): a model a newer release no longer lists keeps its values, none withdrawn."""
    settings = settings.model_copy(update={"upstream_base": upstream.url})
    con = connect(settings.db)
    releases = [s.label.split()[0] for s in safety_replay]
    dates = {s.label.split()[0]: s.observed_at for s in safety_replay}
    mount_safety(upstream, releases[:-1], dates)
    with HttpClient(retries=0) as http:
        first = ingest_source(con, "helm-safety", settings, mode="live", http=http)
    assert (first.status, first.rows_withdrawn) == ("ok", 0)

    mount_safety(upstream, releases, dates)
    table = json.loads(upstream.routes[table_path()].body)
    dropped = safety_releases()["v1.0.0"]["model_display_name"].iloc[0]
    table["rows"] = [row for row in table["rows"] if row[0]["value"] != dropped]
    bbq = table["header"][4]
    bbq["value"], bbq["metadata"]["run_group"] = "BBQ-lite - BBQ accuracy", "BBQ-lite"
    upstream.mount(table_path(), to_bytes(table))
    with HttpClient(retries=0) as http:
        second = ingest_source(con, "helm-safety", settings, mode="live", http=http)
    assert (second.status, second.rows_withdrawn) == ("ok", 0)
    history = value_history(con, model=dropped)
    assert len(history) == 6 and "withdrawn" not in set(history["status"])
    still = con.execute("SELECT count(*) FROM observations WHERE benchmark = 'bbq_accuracy' "
                        "AND valid_to IS NULL").fetchone()
    assert still == (MODELS_PER_RELEASE[-2],)

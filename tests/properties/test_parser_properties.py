"""Parser properties: row order does not matter, and odd model names survive as text."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchwatch.records import Snapshot
from benchwatch.sources.open_llm_v1 import BENCHMARKS, OpenLLMLeaderboardV1

HEADER = ["model", "type", "date", *BENCHMARKS]
names = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s.strip()),
    st.sampled_from(["<script>alert(1)</script>", "**bold** [x](javascript:alert(1))",
                     "org/model\u0007\u001b[31m", "x" * 10_000, "名前/モデル", "a,b\"c"]),
)


def table(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def parse(content: bytes) -> pd.DataFrame:
    source = OpenLLMLeaderboardV1()
    snapshot = Snapshot(source.name, "t", datetime(2024, 6, 19), "mem.csv", {"t.csv": content})
    obs = source.parse(snapshot).observations
    return obs.sort_values(["model", "benchmark"]).reset_index(drop=True)


row_strategy = st.fixed_dictionaries({
    "model": names,
    "type": st.sampled_from(["🟢 pretrained", "💬 chat models", "🔶 fine-tuned", ""]),
    "date": st.datetimes(datetime(2023, 1, 1), datetime(2024, 6, 1)).map(lambda d: d.isoformat() + "Z"),
    **{b: st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 2)) for b in BENCHMARKS},
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_strategy, min_size=1, max_size=12, unique_by=lambda r: r["model"]), st.randoms())
def test_row_order_does_not_matter_and_names_survive(rows, rnd):
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    first, second = parse(table(rows)), parse(table(shuffled))
    pd.testing.assert_frame_equal(first, second)
    assert set(first["model"]) == {r["model"] for r in rows}

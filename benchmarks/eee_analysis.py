"""Figure 14: the analysis at the whole Every Eval Ever datastore's size (issue 23, item 4).

6,000 models x 650 benchmarks x 36 monthly as-of dates (three years), 1,000 resamples of the
full-pipeline bootstrap (PC1 re-fitted in every resample), measured as one point of
``scaling.py`` (``scaling.measure``: its own subprocess, so the peak memory is the point's own).
The columns are complete, where EEE's are sparse (a model has a few collections' benchmarks),
so this is an upper bound on the cells of the real datastore. The target is the machine's 24 GiB;
making it fast is the speed issue's (the wall time counts waiting on a shared machine: CPU time
is the peer).

    python benchmarks/eee_analysis.py
"""

from __future__ import annotations

from common import Figure, emit
from scaling import RESAMPLES, measure

EEE_POINT = (6_000, 650, 36)
LIMIT_MIB = 24 * 1024.0


def main() -> None:
    r = measure(EEE_POINT)
    emit(f"14. The analysis at Every Eval Ever's size ({RESAMPLES} resamples)", [
        Figure(f"{r['models']:,} models x {r['benchmarks']} benchmarks x {r['dates']} monthly as-of dates "
               f"({r['correlations']:,} correlations), wall; CPU", r["seconds"], "s",
               peer=r["cpu_seconds"], peer_name="CPU"),
        Figure("  same point, peak memory", r["peak_mib"], "MiB", target=f"<= {LIMIT_MIB:.0f} MiB (24 GiB)",
               met=r["peak_mib"] <= LIMIT_MIB),
    ])


if __name__ == "__main__":
    main()

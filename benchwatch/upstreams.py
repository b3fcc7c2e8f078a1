"""What each upstream is, apart from how it is read: live or frozen, its licence, how to credit it.

A bottom-layer module (no parser, no HTTP), so that everything that shows a
source (the storage read behind the dashboard's source table, the alert rules'
frozen sources, the pages' attribution notes) reads these facts without
loading the fetch layer; each source class in ``benchwatch/sources/`` takes
its own facts from here by its name. A new source adds one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple


@dataclass(frozen=True)
class Liveness:
    """Whether an upstream still changes. A frozen source is fetched rarely, keeps its history,
    and its results are findings about the past, not news to alert on."""

    state: Literal["live", "frozen"]
    why: str
    evidence: str  # the upstream's own statement (a URL)
    since: date | None = None  # frozen since

    @property
    def frozen(self) -> bool:
        return self.state == "frozen"


class Upstream(NamedTuple):
    """One upstream's facts, in the order a source class unpacks them."""

    liveness: Liveness
    license: str
    attribution: str


HELM_MAINTENANCE = Liveness(
    "frozen", 'HELM is in maintenance mode: "no new evaluations will be added to the HELM leaderboards"; '
    "its files are still served", "https://crfm.stanford.edu/helm/", date(2026, 6, 1))

UPSTREAMS: dict[str, Upstream] = {
    "safetywashing-paper": Upstream(
        Liveness(
            "frozen", "the paper's matrices are static files published with the paper (v3, December 2024)",
            "https://github.com/centerforaisafety/safetywashing", date(2024, 12, 1)),
        "MIT",
        "Ren et al., \"Safetywashing: Do AI Safety Benchmarks Actually Measure Safety "
        "Progress?\" (arXiv 2407.21792), data from github.com/centerforaisafety/safetywashing (MIT)"),
    "open-llm-leaderboard-v1": Upstream(
        Liveness(
            "frozen", "the v1 leaderboard was archived when v2 launched (2024-06-26); its results dataset no longer "
            "changes", "https://huggingface.co/spaces/open-llm-leaderboard-old/open_llm_leaderboard",
            date(2024, 6, 26)),
        "no stated licence (results published by Hugging Face)",
        "Hugging Face Open LLM Leaderboard v1 (Beeching et al., 2023)"),
    "open-llm-leaderboard-v2": Upstream(
        Liveness(
            "frozen", "the Open LLM Leaderboard was retired on 2025-03-13; its last snapshot is of 2025-03-21",
            "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard", date(2025, 3, 13)),
        "no stated licence (dataset open-llm-leaderboard/contents has no licence field; "
        "results published by Hugging Face)",
        "Hugging Face Open LLM Leaderboard v2 (Fourrier et al., 2024)"),
    "helm-safety": Upstream(HELM_MAINTENANCE, "Apache-2.0", "Stanford CRFM HELM Safety"),
    "helm-capabilities": Upstream(HELM_MAINTENANCE, "Apache-2.0", "Stanford CRFM HELM"),
    "lmarena": Upstream(
        Liveness(
            "live", "Arena (formerly LMArena, renamed 2026-01-28) still updates its Hugging Face dataset "
            "(commits such as \"Update image_edit for 2026-09-08\"; boards published 2026-09-13)",
            "https://huggingface.co/datasets/lmarena-ai/leaderboard-dataset/commits/main"),
        "CC-BY-4.0 (lmarena-ai/leaderboard-dataset); recorded snapshots via "
        "fboulnois/llm-leaderboard-csv (MPL-2.0) and nakasyou/lmarena-history (MIT)",
        "Arena (formerly LMArena; arena.ai): Chatbot Arena leaderboard, Chiang et al., 2024 "
        "(arXiv 2403.04132), data from huggingface.co/datasets/lmarena-ai/leaderboard-dataset"),
    "epoch": Upstream(
        Liveness(
            "live", "Epoch AI updates the Benchmarking Hub several times a week, re-fitting ECI each time",
            "https://epoch.ai/data/ai-benchmarking-dashboard"),
        "CC BY 4.0 (rows from Aider Polyglot and Terminal-Bench: Apache-2.0)",
        "Epoch AI, 'Data on AI Benchmarking', epoch.ai (CC BY 4.0)"),
    "every-eval-ever": Upstream(
        Liveness(
            "live", "scheduled adapters refresh the datastore daily or weekly per collection "
                    "(77,451 records in August 2026)",
            "https://huggingface.co/datasets/evaleval/EEE_datastore"),
        "MIT (EEE datastore); each record names its own source",
        "EvalEval Coalition, Every Eval Ever datastore (evaleval/EEE_datastore, MIT)"),
}

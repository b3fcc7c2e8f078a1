"""Circularity: which (benchmark, axis) pairs hold by construction, and why."""

from __future__ import annotations

import pandas as pd

from benchwatch.analysis.circularity import INDEPENDENT, PART, SAME, annotate, classify_pairs

BENCHMARKS = pd.DataFrame([
    {"source": "safetywashing-paper", "benchmark": "LMSYS_Chatbot_Arena", "benchmark_id": "LMSYS_Chatbot_Arena",
     "name": "LMSYS Chatbot Arena"},
    {"source": "epoch", "benchmark": "cybench_external", "benchmark_id": "cybench", "name": "Cybench"},
    {"source": "lmarena", "benchmark": "text_factuality", "benchmark_id": "arena_factuality",
     "name": "Arena factuality"},
    {"source": "safetywashing-paper", "benchmark": "anli", "benchmark_id": "anli", "name": "ANLI"},
    {"source": "helm-safety", "benchmark": "bbq_accuracy", "benchmark_id": "bbq", "name": "BBQ"},
])
MEMBERS = pd.DataFrame([
    {"source": "safetywashing-paper", "column": "LMSYS_Chatbot_Arena", "axis": "arena", "relation": "same"},
    {"source": "epoch", "column": "cybench_external", "axis": "eci", "relation": "part"},
])
AXES = ["pc1", "pc1-joint", "eci", "arena", "compute"]


def relation(frame: pd.DataFrame, benchmark: str, axis: str) -> tuple[str, str]:
    row = frame[(frame["benchmark"] == benchmark) & (frame["axis"] == axis)].iloc[0]
    return row["relation"], row["reason"]


def test_every_pair_is_classified_once():
    classes = classify_pairs(BENCHMARKS, AXES, MEMBERS)
    assert len(classes) == len(BENCHMARKS) * len(AXES)
    assert set(classes["relation"]) <= {INDEPENDENT, PART, SAME}


def test_declared_same_construct_and_part_from_the_registry():
    classes = classify_pairs(BENCHMARKS, AXES, MEMBERS)
    kind, reason = relation(classes, "LMSYS_Chatbot_Arena", "arena")
    assert kind == SAME and "LMSYS Chatbot Arena" in reason and "same construct" in reason
    kind, reason = relation(classes, "cybench_external", "eci")
    assert kind == PART and "Cybench" in reason
    assert "cannot be recomputed" in reason  # ECI is Epoch's own fit
    # The same benchmarks against other axes are independent.
    assert relation(classes, "LMSYS_Chatbot_Arena", "pc1")[0] == INDEPENDENT
    assert relation(classes, "cybench_external", "arena")[0] == INDEPENDENT


def test_any_arena_board_is_part_of_the_arena_axis_without_a_declaration():
    classes = classify_pairs(BENCHMARKS, AXES, MEMBERS.iloc[0:0])
    kind, reason = relation(classes, "text_factuality", "arena")
    assert kind == PART and "lmarena board" in reason
    assert relation(classes, "text_factuality", "eci")[0] == INDEPENDENT


def test_an_axis_built_from_the_same_benchmark_of_another_source():
    built = pd.DataFrame([{"axis": "pc1-joint", "source": "epoch", "column": "adversarial_nli_external",
                           "benchmark_id": "anli"}])
    classes = classify_pairs(BENCHMARKS, AXES, MEMBERS, built)
    kind, reason = relation(classes, "anli", "pc1-joint")
    assert kind == PART and "epoch:adversarial_nli_external" in reason
    assert relation(classes, "anli", "pc1")[0] == INDEPENDENT
    assert relation(classes, "bbq_accuracy", "pc1-joint")[0] == INDEPENDENT


def test_annotate_keeps_the_reason_of_an_axis_recomputed_without_the_benchmark():
    rows = pd.DataFrame([
        {"source": "safetywashing-paper", "benchmark": "anli", "axis": "pc1-joint", "rho": 0.5,
         "relation_reason": "pc1-joint recomputed without epoch:adversarial_nli_external (the same benchmark)"},
        {"source": "safetywashing-paper", "benchmark": "LMSYS_Chatbot_Arena", "axis": "arena", "rho": 0.99,
         "relation_reason": None},
        {"source": "helm-safety", "benchmark": "bbq_accuracy", "axis": "arena", "rho": 0.75,
         "relation_reason": None},
    ])
    built = pd.DataFrame([{"axis": "pc1-joint", "source": "epoch", "column": "adversarial_nli_external",
                           "benchmark_id": "anli"}])
    out = annotate(rows, classify_pairs(BENCHMARKS, AXES, MEMBERS, built)).set_index("benchmark")
    assert out.at["anli", "relation"] == INDEPENDENT
    assert out.at["anli", "relation_reason"].startswith("pc1-joint recomputed without")
    assert out.at["LMSYS_Chatbot_Arena", "relation"] == SAME
    assert out.at["bbq_accuracy", "relation"] == INDEPENDENT and out.at["bbq_accuracy", "relation_reason"] == ""


def test_a_capability_benchmark_against_a_pc1_built_from_it():
    from benchwatch.analysis.circularity import capability_columns
    from benchwatch.registry import load_registry

    built = capability_columns(load_registry(), "pc1", ["safetywashing-paper"])
    assert len(built) == 12  # the paper's twelve capability benchmarks
    mine = pd.DataFrame([{"source": "my-evals", "benchmark": "mmlu_acc", "benchmark_id": "MMLU", "name": "MMLU"},
                         {"source": "my-evals", "benchmark": "harm", "benchmark_id": "my_harm", "name": "Harm"}])
    classes = classify_pairs(mine, ["pc1"], MEMBERS.iloc[0:0], built)
    assert relation(classes, "mmlu_acc", "pc1") == (
        PART, "the pc1 axis is built from safetywashing-paper:mmlu, the same benchmark as MMLU")
    assert relation(classes, "harm", "pc1")[0] == INDEPENDENT


def test_hle_calibration_error_shares_data_with_eci_and_its_own_accuracy_not_with_arena():
    from benchwatch.analysis.circularity import SHARES, left_out, shared_items
    from benchwatch.registry import load_registry

    registry = load_registry()
    members = pd.DataFrame([{"source": "epoch", "column": "hle_external", "axis": "eci", "relation": "part"}])
    shared = shared_items(registry, members, ["eci", "accuracy", "arena", "pc1", "pc1-joint"])
    pairs = set(zip(shared["source"], shared["benchmark"], shared["axis"], strict=True))
    # Epoch's and Every Eval Ever's HLE calibration errors both share HLE accuracy's items (ECI is fitted
    # on Epoch's); only Epoch's is paired with an accuracy column.
    assert pairs == {("epoch", "hle_calibration_error", "eci"), ("epoch", "hle_calibration_error", "accuracy"),
                     ("every-eval-ever", "hle.calibration_error", "eci")}
    hle = pd.DataFrame([{"source": "epoch", "benchmark": "hle_calibration_error",
                         "benchmark_id": "hle_calibration_error", "name": "HLE calibration error"}])
    classes = classify_pairs(hle, ["eci", "accuracy", "arena"], members, shared=shared)
    kind, reason = relation(classes, "hle_calibration_error", "eci")
    assert kind == SHARES and "same items as Humanity's Last Exam" in reason
    assert "ECI is Epoch's own fit and cannot be recomputed without it" in reason
    assert relation(classes, "hle_calibration_error", "accuracy")[0] == SHARES
    assert relation(classes, "hle_calibration_error", "arena")[0] == INDEPENDENT
    # Without the declared membership (ECI not fitted on HLE) nothing is shared on ECI.
    assert shared_items(registry, members.iloc[0:0], ["eci"]).empty
    # A PC1 Benchwatch builds is recomputed without the shared component instead.
    ids = {"epoch:hle_external": "hle", "epoch:gpqa_diamond": "gpqa_diamond", "every-eval-ever:hle.accuracy":
           "hle_accuracy"}
    assert left_out(list(ids), "hle_accuracy hle", ids) == ["epoch:hle_external", "every-eval-ever:hle.accuracy"]
    assert left_out(list(ids), "", ids) == []

"""The registry files are checked when read, and a bad row is named by file and line."""

from __future__ import annotations

import shutil

import pytest

from benchwatch.registry import REGISTRY_DIR, RegistryError, load_registry


def test_the_shipped_registry_loads_with_every_source():
    registry = load_registry()
    assert set(registry["source"]) == {p.stem for p in REGISTRY_DIR.glob("*.csv")}
    assert set(registry["direction"]) <= {1, -1}


@pytest.mark.parametrize(("column", "value", "message"), [
    ("category", "safetyish", "unknown category 'safetyish'"),
    ("direction", "0", "direction must be 1 or -1, got '0'"),
    ("safety_area", "", "a safety benchmark needs a safety_area"),
])
def test_a_bad_row_is_named_by_file_and_line(tmp_path, column, value, message):
    shutil.copy(REGISTRY_DIR / "safetywashing-paper.csv", tmp_path)
    path = tmp_path / "safetywashing-paper.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    line = next(i for i, text in enumerate(lines) if ",safety," in text)
    cells = lines[line].split(",")
    cells[header.index(column)] = value
    lines[line] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RegistryError, match=f"safetywashing-paper.csv row {line + 1}: {message}"):
        load_registry(tmp_path)

"""A migrated empty database for the property tests, which open two fresh databases per example."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchwatch.storage.db import connect


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the current schema, built once per module: creating the schema for each
    of a property test's 120 databases was most of its time. Copy it with ``copy_of``; never write it."""
    path = tmp_path_factory.mktemp("template") / "empty.duckdb"
    connect(path).close()
    return path


def copy_of(template: Path, path: Path) -> Path:
    """A byte copy of ``template`` at ``path``: the same database a fresh ``connect`` would create."""
    shutil.copyfile(template, path)
    return path

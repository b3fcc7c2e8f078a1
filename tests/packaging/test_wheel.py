"""The wheel works outside the checkout: one top-level package, package data found through
importlib.resources, state in BENCHWATCH_HOME, the recorded data where it is told.

The wheel is built from the checkout and installed into a fresh virtual environment in a
temporary directory. Its dependencies come from this environment's site-packages through a
``.pth`` line (a plain path: the editable install's finder there is not loaded), so the
test needs no network and only ``benchwatch`` itself comes from the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.dashboard.helpers import free_port
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp / "dist"), str(REPO_ROOT)], check=True, capture_output=True)
    [wheel] = (tmp / "dist").glob("benchwatch-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    Path(target, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHWATCH_", "PYTHON"))}
    env.update(BENCHWATCH_HOME=str(tmp / "home"), BENCHWATCH_BOOTSTRAP_RESAMPLES="20",
               PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    return {"wheel": wheel, "venv": venv, "python": python, "work": work, "env": env, "tmp": tmp}


def _run(installed: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), cwd=installed["work"], env=installed["env"], capture_output=True,
                          text=True, timeout=900)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_the_wheel_holds_one_top_level_package_with_its_data(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"benchwatch"}
    for data in ("benchwatch/data/aliases.csv", "benchwatch/data/benchmarks/helm-safety.csv",
                 "benchwatch/storage/migrations/001_initial.sql", "benchwatch/deploy/prefect.yaml",
                 "benchwatch/dashboard/app.py", "benchwatch/dashboard/screens/overview.py",
                 "benchwatch/cli/__init__.py", "benchwatch/publish/templates/index.html",
                 "benchwatch/publish/templates/style.css", "benchwatch/publish/schemas/benchmark.schema.json"):
        assert data in names


def test_runs_outside_the_checkout(installed, data_dir):
    python, db = str(installed["python"]), installed["tmp"] / "state" / "bw.duckdb"
    found = _run(installed, python, "-c", "import benchwatch; print(benchwatch.__file__)").stdout
    assert str(installed["venv"]) in found and str(REPO_ROOT) not in found
    assert "No module named 'storage'" in _run(installed, python, "-c", "import storage", check=False).stderr

    refresh = _run(installed, "benchwatch", "refresh", "--replay", str(data_dir), "--db", str(db),
                   "--source", "safetywashing-paper", "--source", "helm-safety")
    assert "analysis run: 1" in refresh.stdout
    assert db.is_file() and not (installed["work"] / "var").exists()

    paper = _run(installed, "benchwatch", "reproduce-paper", "--data", str(data_dir), "--format", "json").stdout
    assert '"explained_variance"' in paper
    assert "deployments" in _run(installed, "benchwatch", "serve", "--help").stdout

    port = free_port()
    dashboard = subprocess.Popen(["benchwatch", "dashboard", "--db", str(db), "--port", str(port)],
                                 cwd=installed["work"], env=installed["env"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    try:
        status = None
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    status = response.status
                break
            except OSError:
                if dashboard.poll() is not None:
                    break
                time.sleep(0.3)
        assert status == 200
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=30)


def test_without_recorded_data_it_says_where_to_point(installed):
    done = _run(installed, "benchwatch", "refresh", "--db", str(installed["tmp"] / "empty.duckdb"), check=False)
    assert done.returncode == 2
    assert "replay_dir" in done.stderr and "--live" in done.stderr and "Traceback" not in done.stderr

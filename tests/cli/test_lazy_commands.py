"""The CLI imports only the invoked command's module: the table that says which module registers
which command is complete and right, and a command's run leaves the others' heavy imports out."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import typer.main

from benchwatch.cli.app import COMMAND_MODULES, app


def registered() -> dict[str, str]:
    """Command name -> the module that registers it, with every command module imported."""
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        importlib.import_module(f"benchwatch.cli.{module}")
    found = {info.name or typer.main.get_command_name(info.callback.__name__): info.callback.__module__
             for info in app.registered_commands}
    for group in app.registered_groups:
        found[group.name] = group.typer_instance.registered_commands[0].callback.__module__
    return found


def test_every_command_is_in_the_table_under_its_module():
    assert registered() == {name: f"benchwatch.cli.{module}" for name, module in COMMAND_MODULES.items()}


def test_check_imports_neither_other_commands_nor_what_only_they_need():
    code = (
        "import sys, json\n"
        "sys.argv = ['benchwatch', 'check', '--help']\n"
        "from benchwatch.cli import app\n"
        "try:\n    app()\n"
        "except SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "Correlate your benchmark" in done.stdout
    assert "benchwatch.cli.benchmark_check" in loaded
    others = {f"benchwatch.cli.{m}" for m in COMMAND_MODULES.values()} - {"benchwatch.cli.benchmark_check"}
    assert not others & loaded
    assert not {"apprise", "jinja2", "prefect", "benchwatch.pipeline.refresh", "benchwatch.alerting.service"} & loaded


def test_help_lists_every_command_in_the_table_order():
    done = subprocess.run([sys.executable, "-m", "benchwatch.cli", "--help"], capture_output=True, text=True,
                          check=True, env={**os.environ, "COLUMNS": "200"})
    names = [line.split()[1] for line in done.stdout.splitlines()
             if line.startswith("│ ") and len(line.split()) > 1 and line.split()[1] in COMMAND_MODULES]
    assert names == list(COMMAND_MODULES)

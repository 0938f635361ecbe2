"""Meta-tests that keep the project's promises true: layout, import direction, docs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from trust.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


@pytest.mark.parametrize("env_name", _env_names(Settings, "TRUST_"))
def test_every_setting_is_documented_in_the_readme(env_name: str) -> None:
    assert env_name in README, f"{env_name} is missing from README.md's configuration section"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "trust").rglob("*.py") if "cli" not in p.relative_to(ROOT).parts),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_core_library_never_imports_the_layers_above_it(path: Path) -> None:
    assert not _imports(path) & {"workers", "dashboard", "models"}


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "trust" / "cli").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_cli_imports_upper_layers_only_inside_command_bodies(path: Path) -> None:
    assert not _module_level_imports(path) & {"workers", "dashboard", "models"}


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "tests" / "trust").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_core_library_is_tested_without_the_workers(path: Path) -> None:
    # What a pipeline is made of is composed in trust/composition.py; workers add only the
    # broker and the model, so the core's tests need neither.
    assert "workers" not in _imports(path)


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "models").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_models_never_import_workers_or_dashboard(path: Path) -> None:
    assert not _imports(path) & {"workers", "dashboard"}


_DIALECT_BRANCH = re.compile(r"dialect\.name|\.dialect\s*==|sqlalchemy\.dialects")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "trust").rglob("*.py") if p.relative_to(ROOT).parts[1] != "store"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_database_differences_stay_inside_the_store(path: Path) -> None:
    # trust/store/dialects.py holds them (upsert, row locks, JSON unnesting).
    assert not _DIALECT_BRANCH.search(path.read_text())


_BARE_CONNECTION = re.compile(r"engine(\(\))?\.connect\(\)")


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for layer in ("trust", "workers", "dashboard", "models")
        for p in (ROOT / layer).rglob("*.py")
        if p.relative_to(ROOT).parts[:2] != ("trust", "store")
    ),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_reads_outside_the_store_go_through_a_snapshot(path: Path) -> None:
    # A bare connection begins as a write on SQLite (the writers' turn, BEGIN IMMEDIATE):
    # a read through it waits for the workers' batch and holds them up while it reads.
    # Reads use ``snapshot``, writes ``transaction`` (tests/workers/test_reads_hold_no_...).
    assert not _BARE_CONNECTION.search(path.read_text())


def test_importing_the_event_schemas_loads_neither_the_pipeline_nor_sqlalchemy() -> None:
    # Clients that only validate events (the API schemas, a producer) must stay light.
    probe = (
        "import sys, trust.events; "
        "print(sorted(m for m in ('trust.pipeline', 'trust.submission', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module",
    [
        *sorted(f"trust.graph.{p.stem}" for p in (ROOT / "trust" / "graph").glob("[!_]*.py")),
        "trust.reported_look_back",
    ],
)
def test_the_account_graph_imports_on_its_own(module: str) -> None:
    # Signals build on the graph, never the reverse: the graph modules once took a date
    # helper from trust.signals, and importing one of them first failed on the cycle.
    subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, check=True)


def test_trust_submit_is_still_the_client_call() -> None:
    import trust
    from trust.submission import submit

    assert trust.submit is submit


def test_nothing_binds_to_every_interface_by_default() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("trust", "workers", "dashboard", "models")
        for p in (ROOT / folder).rglob("*.py")
        if "0.0.0.0" in p.read_text()
    ]
    assert offenders == []


def test_the_readme_quickstart_has_exactly_two_commands() -> None:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    assert block is not None, "the Quickstart needs a code block"
    commands = [
        line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands == ["make up DEMO=1", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()

"""``trust bench rules --peer``: our rule engine against ezrules' on the shared workload.

The workload (``../shared/bench``: 30 fraud rules in ezrules' language, the same conditions
in CEL, an event generator and user lists) is run by both engines in one process,
alternating rounds, timed in CPU time, and their hits compared event by event.

ezrules needs Python 3.12 or newer and is not a dependency of this project. The comparison
runs in process when ezrules imports; otherwise the command re-runs this module under a
peer interpreter (``--peer-python``) that has ezrules and this package installed, and reads
its figures back as JSON: ``python -m trust.rules.peer --workload DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from trust.errors import ConfigurationError, InputFileError
from trust.rules.engine import RuleEngine
from trust.rules.pack import RulePack, unchecked_rule
from trust.rules.spec import Baseline, RuleSpec

# The workload's events are scored as one kind; its fields are read as signals.
WORKLOAD_KIND = "review"
WORKLOAD_FILES = ("ezrules_workload.py", "cel_translation.py")
# ezrules reads these at import; nothing is connected to in process.
EZRULES_ENVIRONMENT = {
    "EZRULES_DB_ENDPOINT": "postgresql://unused@127.0.0.1:1/unused",
    "EZRULES_APP_SECRET": "unused-in-process",
}
PEER_VENV_HINT = (
    "ezrules needs Python 3.12 or newer; create a peer environment from the repository root "
    "with `python3.12 -m venv /path/venv && /path/venv/bin/pip install ezrules -e .` and pass "
    "--peer-python /path/venv/bin/python"
)


@dataclass(frozen=True, slots=True)
class Workload:
    """The shared workload: rules in both languages, user lists and generated events."""

    directory: Path
    ezrules: list[tuple[str, str]]
    conditions: dict[str, str]
    user_lists: dict[str, list[str]]
    events: list[dict[str, Any]]


def default_workload_dir() -> Path:
    """``../shared/bench`` next to the repository holding this package.

    In a git worktree, next to the main checkout when not next to the worktree.
    """
    root = Path(__file__).resolve().parents[2]
    candidates = [root.parent / "shared" / "bench"]
    marker = root / ".git"
    if marker.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        text = marker.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            main_git = Path(text.removeprefix("gitdir:").strip()).parents[1]
            candidates.append(main_git.parent.parent / "shared" / "bench")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _import(directory: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, directory / f"{name}.py")
    if spec is None or spec.loader is None:
        raise InputFileError(str(directory / f"{name}.py"), "not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # cel_translation imports ezrules_workload by name
    spec.loader.exec_module(module)
    return module


def _check_workload(directory: Path) -> None:
    for name in WORKLOAD_FILES:
        if not (directory / name).is_file():
            raise InputFileError(
                str(directory / name),
                "no such file",
                hint="pass --workload with the shared bench folder (../shared/bench)",
            )


def load_workload(directory: Path, *, events: int = 10_000, seed: int = 42) -> Workload:
    """Read the workload of ``directory`` and generate its events."""
    _check_workload(directory)
    rules_module = _import(directory, "ezrules_workload")
    cel_module = _import(directory, "cel_translation")
    ezrules = list(rules_module.RULES)
    conditions = dict(cel_module.CEL)
    if [rule_id for rule_id, _ in ezrules] != list(conditions):
        raise InputFileError(
            str(directory / "cel_translation.py"), "its rules differ from ezrules_workload.py"
        )
    return Workload(
        directory,
        ezrules,
        conditions,
        {name: list(values) for name, values in rules_module.USER_LISTS.items()},
        rules_module.make_events(events, seed=seed),
    )


def our_rule_id(workload_id: str) -> str:
    """The id a workload rule gets in our pack (ids carry the kind prefix and a version)."""
    return f"rv_{workload_id.lower()}_v1"


def workload_pack(workload: Workload) -> RulePack:
    """The CEL conditions as a live pack of one kind (fields read as ``signals.<field>``)."""
    rules = tuple(
        unchecked_rule(
            RuleSpec(
                id=our_rule_id(workload_id),
                kind=WORKLOAD_KIND,
                description=f"Shared workload rule {workload_id}.",
                when=condition,
                score=10,
                severity=1,
                reason={"code": workload_id.lower(), "text": workload_id},
                policy="benchmark",
                state="live",
                owner="bench",
            ),
            "cel_translation.py",
        )
        for workload_id, condition in workload.conditions.items()
    )
    digest = hashlib.sha256("\n".join(workload.conditions.values()).encode()).hexdigest()
    return RulePack(
        workload.directory, digest, rules, {WORKLOAD_KIND: Baseline(event={})}, baseline_events={}
    )


@dataclass(frozen=True, slots=True)
class HitComparison:
    """Whether two engines hit the same rules on every event."""

    identical: bool
    events: int
    events_hit: int
    hits: int
    differing_events: int
    first_difference: int | None


def compare_hits(ours: Sequence[frozenset[str]], peer: Sequence[frozenset[str]]) -> HitComparison:
    """Compare per-event hit sets (``ours`` counts the events and hits)."""
    if len(ours) != len(peer):
        raise ValueError(f"{len(ours)} events against {len(peer)}: not the same workload")
    differing = [i for i, (a, b) in enumerate(zip(ours, peer, strict=True)) if a != b]
    return HitComparison(
        identical=not differing,
        events=len(ours),
        events_hit=sum(1 for hits in ours if hits),
        hits=sum(len(hits) for hits in ours),
        differing_events=len(differing),
        first_difference=differing[0] if differing else None,
    )


def events_per_second(events: int, cpu_seconds: Sequence[float]) -> float:
    """Events per CPU second over all rounds."""
    return events * len(cpu_seconds) / max(sum(cpu_seconds), 1e-12)


@dataclass(frozen=True, slots=True)
class PeerReport:
    """CPU seconds per round of each engine and the hit comparison."""

    events: int
    rules: int
    batch_size: int
    ours_cpu: list[float]
    peer_cpu: list[float]
    comparison: HitComparison
    python: str
    peer_version: str

    @property
    def ours_rate(self) -> float:
        """Our events per CPU second."""
        return events_per_second(self.events, self.ours_cpu)

    @property
    def peer_rate(self) -> float:
        """ezrules' events per CPU second."""
        return events_per_second(self.events, self.peer_cpu)

    @property
    def ratio(self) -> float:
        """Our speed as a multiple of ezrules'."""
        return self.ours_rate / max(self.peer_rate, 1e-12)

    def render(self) -> str:
        """Human-readable figures, one per line."""
        comparison = self.comparison
        same = (
            "identical hits"
            if comparison.identical
            else f"HITS DIFFER on {comparison.differing_events} events "
            f"(first: event {comparison.first_difference})"
        )
        return "\n".join(
            [
                f"{self.events:,} events x {self.rules} rules, {len(self.ours_cpu)} alternating "
                "rounds, events/s of CPU time",
                f"(Python {self.python}, ezrules {self.peer_version})",
                f"ours (batches of {self.batch_size}): {self.ours_rate:,.0f} events/s",
                f"ezrules (per event): {self.peer_rate:,.0f} events/s",
                f"ratio: {self.ratio:.2f}x ezrules",
                f"{same}: {comparison.events_hit:,} events hit, {comparison.hits:,} hits",
            ]
        )

    def to_json(self) -> str:
        """The report as one JSON object (what the peer interpreter prints)."""
        return json.dumps(asdict(self) | {"ratio": self.ratio})

    @classmethod
    def from_json(cls, text: str) -> PeerReport:
        """A report printed by ``to_json``."""
        data = json.loads(text)
        data.pop("ratio", None)
        data["comparison"] = HitComparison(**data["comparison"])
        return cls(**data)


def our_hits(
    engine: RuleEngine, events: Sequence[dict[str, Any]], batch_size: int
) -> list[frozenset[str]]:
    """Per event, the ids of the rules our engine hit (in batches, as workers run them)."""
    out: list[frozenset[str]] = []
    for start in range(0, len(events), batch_size):
        batch = events[start : start + batch_size]
        for evaluation in engine.evaluate_views(WORKLOAD_KIND, [{}] * len(batch), batch):
            out.append(frozenset(hit.rule_id for hit in evaluation.hits))
    return out


def _ezrules_engine(workload: Workload) -> tuple[Callable[[dict[str, Any]], Any], str]:
    for name, value in EZRULES_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        from importlib.metadata import version

        from ezrules.core.rule_engine import RuleEngineFactory
        from ezrules.core.user_lists import StaticUserListManager
    except ImportError as exc:
        raise ConfigurationError(
            f"ezrules is not importable here ({exc}); {PEER_VENV_HINT}"
        ) from exc

    lists = workload.user_lists

    class Lists(StaticUserListManager):  # type: ignore[misc]
        def __init__(self) -> None:
            self.lists = {name: list(values) for name, values in lists.items()}

    engine = RuleEngineFactory.from_json(
        [{"rid": rid, "logic": logic, "description": rid} for rid, logic in workload.ezrules],
        list_values_provider=Lists(),
    )
    return engine, version("ezrules")


def ezrules_available() -> bool:
    """Whether ezrules imports in this interpreter."""
    return importlib.util.find_spec("ezrules") is not None


def run_peer(workload: Workload, *, rounds: int = 5, batch_size: int = 250) -> PeerReport:
    """Both engines over the workload's events, alternating who goes first each round."""
    peer, peer_version = _ezrules_engine(workload)
    ours = RuleEngine(workload_pack(workload))
    events = workload.events

    def run_ours() -> list[frozenset[str]]:
        return our_hits(ours, events, batch_size)

    def run_peer_engine() -> list[frozenset[str]]:
        return [frozenset(map(our_rule_id, peer(event)["rule_results"])) for event in events]

    ours_cpu: list[float] = []
    peer_cpu: list[float] = []
    hits: dict[str, list[frozenset[str]]] = {}
    for round_ in range(rounds):
        order = [("ours", run_ours), ("peer", run_peer_engine)]
        for name, run in order if round_ % 2 == 0 else order[::-1]:
            start = time.process_time()
            found = run()
            (ours_cpu if name == "ours" else peer_cpu).append(time.process_time() - start)
            hits.setdefault(name, found)
    return PeerReport(
        events=len(events),
        rules=len(workload.conditions),
        batch_size=batch_size,
        ours_cpu=ours_cpu,
        peer_cpu=peer_cpu,
        comparison=compare_hits(hits["ours"], hits["peer"]),
        python=sys.version.split()[0],
        peer_version=peer_version,
    )


def peer_command(
    python: Path, workload_dir: Path, *, rounds: int, batch_size: int, events: int
) -> list[str]:
    """The command that runs the comparison under another interpreter and prints JSON."""
    return [
        str(python),
        "-m",
        "trust.rules.peer",
        "--workload",
        str(workload_dir),
        "--rounds",
        str(rounds),
        "--batch-size",
        str(batch_size),
        "--events",
        str(events),
    ]


def run_peer_elsewhere(
    python: Path, workload_dir: Path, *, rounds: int, batch_size: int, events: int
) -> PeerReport:
    """``run_peer`` in the peer interpreter ``python``; its report read back."""
    if not python.is_file():
        raise ConfigurationError(f"--peer-python {python}: no such interpreter; {PEER_VENV_HINT}")
    command = peer_command(
        python, workload_dir, rounds=rounds, batch_size=batch_size, events=events
    )
    # The child imports this package as the caller does (e.g. a worktree on PYTHONPATH).
    root = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, environment.get("PYTHONPATH", "")) if p
    )
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ConfigurationError(f"the peer run under {python} failed: {last}; {PEER_VENV_HINT}")
    return PeerReport.from_json(done.stdout.strip().splitlines()[-1])


def run_peer_or_explain(
    workload_dir: Path,
    peer_python: Path | None,
    *,
    rounds: int,
    batch_size: int,
    events: int = 10_000,
) -> PeerReport:
    """The comparison here when ezrules imports, else under ``peer_python``, else why not."""
    _check_workload(workload_dir)
    if peer_python is not None:
        return run_peer_elsewhere(
            peer_python, workload_dir, rounds=rounds, batch_size=batch_size, events=events
        )
    if not ezrules_available():
        raise ConfigurationError(
            f"ezrules is not installed in this Python ({sys.version.split()[0]}); " + PEER_VENV_HINT
        )
    workload = load_workload(workload_dir, events=events)
    return run_peer(workload, rounds=rounds, batch_size=batch_size)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the peer interpreter: run the comparison, print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m trust.rules.peer")
    parser.add_argument("--workload", type=Path, default=default_workload_dir())
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    workload = load_workload(args.workload, events=args.events)
    print(run_peer(workload, rounds=args.rounds, batch_size=args.batch_size).to_json())


if __name__ == "__main__":
    main()

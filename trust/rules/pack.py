"""Load a rule pack from ``rules/<kind>/*.yaml`` and validate it as a whole, or refuse it."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cel
import yaml
from pydantic import ValidationError

from trust.errors import RulePackError
from trust.events import EVENT_KINDS, Event, event_adapter
from trust.rules.checks import check_rule
from trust.rules.expressions import References, analyse, flatten_signals
from trust.rules.spec import FIELD_HINTS, Baseline, RuleFile, RuleSpec

BASELINE_FILE = "_baseline.yaml"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule with its compiled condition."""

    spec: RuleSpec
    file: str
    program: cel.Program
    refs: References
    # The same condition with signals as top-level variables: what the engine executes.
    fast_program: cel.Program

    @property
    def id(self) -> str:
        """The rule's permanent id."""
        return self.spec.id


def unchecked_rule(spec: RuleSpec, file: str) -> Rule:
    """A compiled rule without the pack's load-time checks of names, types and examples.

    For workloads whose fields are not this project's signals (the shared benchmark) and
    for tests that generate conditions; a pack in force always comes from ``load_pack``.
    """
    program = cel.compile(spec.when)
    return Rule(
        spec, file, program, analyse(spec.when, program), cel.compile(flatten_signals(spec.when))
    )


@dataclass(frozen=True, slots=True)
class RulePack:
    """Every rule of a folder, validated together; ``version`` is the content hash."""

    directory: Path
    version: str
    rules: tuple[Rule, ...]
    baselines: dict[str, Baseline]
    baseline_events: dict[str, Event]

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``rule_id`` (KeyError when absent)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def of_kind(self, kind: str) -> list[Rule]:
        """Rules of ``kind`` in file order."""
        return [r for r in self.rules if r.spec.kind == kind]


def pack_files(directory: Path) -> list[Path]:
    """Every YAML file of the pack, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def pack_version(directory: Path, files: list[Path]) -> str:
    """SHA-256 over the relative path and exact bytes of every file."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# libyaml's loader when PyYAML was built with it: the pure-Python one took most of the
# CPU of a one-shot `trust decide` (the pack is read on every start).
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, label: str, problems: list[str]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problems.append(
            f"{label}: invalid YAML{where}: {getattr(exc, 'problem', exc)} "
            "(hint: check indentation and quote expressions that contain ':' or '#')"
        )
        return None


def _pydantic_problems(label: str, exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "rule"
        hint = FIELD_HINTS.get(str(error["loc"][0]) if error["loc"] else "", "see docs")
        out.append(f"{label}: {field}: {error['msg']} (hint: {hint})")
    return out


def _load_baseline(directory: Path, kind: str, problems: list[str]) -> Baseline | None:
    path = directory / kind / BASELINE_FILE
    label = path.relative_to(directory).as_posix()
    if not path.exists():
        problems.append(f"{label}: missing (hint: each kind folder needs a baseline example event)")
        return None
    raw = _read_yaml(path, label, problems)
    try:
        baseline = Baseline.model_validate(raw)
        event_adapter.validate_python({**baseline.event, "kind": kind})
    except ValidationError as exc:
        problems.extend(_pydantic_problems(label, exc))
        return None
    return baseline


def _specs_of_file(path: Path, label: str, kind: str, problems: list[str]) -> list[RuleSpec]:
    raw = _read_yaml(path, label, problems)
    if raw is None:
        if path.read_text(encoding="utf-8").strip() == "":
            problems.append(f"{label}: empty file (hint: a rule file holds 'rules: [...]')")
        return []
    try:
        rule_file = RuleFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(
            p.replace(f"{label}: ", f"{label}: (file) ", 1) for p in _pydantic_problems(label, exc)
        )
        return []
    specs = []
    for index, item in enumerate(rule_file.rules, start=1):
        rule_label = f"{label}: {item.get('id') or f'rule #{index}'}"
        try:
            spec = RuleSpec.model_validate(item)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(rule_label, exc))
            continue
        if spec.kind != kind:
            problems.append(
                f"{rule_label}: kind {spec.kind!r} in folder {kind!r} "
                f"(hint: move the file to rules/{spec.kind}/ or fix the kind)"
            )
            continue
        specs.append(spec)
    return specs


def load_pack(directory: Path | str) -> RulePack:
    """Load and validate every rule under ``directory``; RulePackError lists all problems."""
    directory = Path(directory)
    problems: list[str] = []
    if not directory.is_dir():
        raise RulePackError([f"{directory}: not a folder (hint: point at the rules/ folder)"])
    files = pack_files(directory)
    for child in sorted(p for p in directory.iterdir() if p.is_dir()):
        if child.name not in EVENT_KINDS and not child.name.startswith((".", "_")):
            problems.append(
                f"{child.name}/: not an event kind (hint: use {', '.join(EVENT_KINDS)})"
            )
    baselines: dict[str, Baseline] = {}
    baseline_events: dict[str, Event] = {}
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for kind in EVENT_KINDS:
        kind_files = [
            p for p in files if p.parent == directory / kind and not p.name.startswith("_")
        ]
        if not kind_files:
            continue
        baseline = _load_baseline(directory, kind, problems)
        if baseline is None:
            continue
        baselines[kind] = baseline
        baseline_events[kind] = event_adapter.validate_python({**baseline.event, "kind": kind})
        for path in kind_files:
            label = path.relative_to(directory).as_posix()
            for spec in _specs_of_file(path, label, kind, problems):
                if spec.id in seen:
                    problems.append(
                        f"{label}: {spec.id}: duplicate id, also in {seen[spec.id]} "
                        "(hint: ids are permanent; a new meaning gets a new id like _v2)"
                    )
                    continue
                seen[spec.id] = label
                compiled = check_rule(spec, label, baseline_events[kind], problems)
                if compiled is not None:
                    rules.append(Rule(spec, label, *compiled))
    if problems:
        raise RulePackError(problems)
    return RulePack(
        directory, pack_version(directory, files), tuple(rules), baselines, baseline_events
    )


# What a cheap look at the folder sees: each pack file with its size and modification time.
Fingerprint = tuple[tuple[str, int, int], ...] | None


def folder_fingerprint(directory: Path) -> Fingerprint:
    """Changes whenever a pack file is added, removed or rewritten; None without a folder."""
    if not directory.is_dir():
        return None
    stats = []
    for path in pack_files(directory):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between listing and stat: the next look sees it
            continue
        stats.append((path.relative_to(directory).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(stats)


class RulePackHolder:
    """The pack in force. ``refresh()`` loads the folder again when it changed; a pack that is
    refused leaves the running one in force (``last_error`` says why)."""

    def __init__(
        self,
        directory: Path | str,
        pack: RulePack | None = None,
        *,
        interval_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._pack = pack if pack is not None else load_pack(self.directory)
        self.interval_s = interval_s
        self._clock = clock
        self._checked_at = clock()
        # Unknown at first (the pack may have been loaded a moment before): the first look
        # after ``interval_s`` reads the folder once, and swaps only if its version differs.
        self._seen: Fingerprint | Literal["unknown"] = (
            folder_fingerprint(self.directory) if pack is None else "unknown"
        )
        self.last_error: RulePackError | None = None

    @property
    def pack(self) -> RulePack:
        """The pack currently in force."""
        return self._pack

    def reload(self) -> RulePack:
        """Load the folder again; on RulePackError the previous pack stays in force."""
        fresh = load_pack(self.directory)
        with self._lock:
            self._pack = fresh
        return fresh

    def refresh(self) -> RulePack | None:
        """At most once per ``interval_s``: if the folder changed, load it.

        Returns the pack that came into force, or None (nothing changed, same version, or
        the new files were refused: then ``last_error`` holds the problems, they are logged,
        and the folder is not read again until it changes once more).
        """
        now = self._clock()
        if now - self._checked_at < self.interval_s:
            return None
        self._checked_at = now
        seen = folder_fingerprint(self.directory)
        if seen == self._seen:
            return None
        self._seen = seen
        running = self._pack
        try:
            fresh = load_pack(self.directory)
        except RulePackError as exc:
            self.last_error = exc
            log.error(
                "changed rule pack refused; the running pack stays in force",
                extra={"pack_version": running.version[:12], "problems": exc.problems[:20]},
            )
            return None
        self.last_error = None
        if fresh.version == running.version:
            return None
        with self._lock:
            self._pack = fresh
        log.info(
            "rule pack reloaded",
            extra={"previous_version": running.version[:12], "pack_version": fresh.version[:12]},
        )
        return fresh

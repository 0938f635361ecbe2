"""Evaluate a compiled rule pack against events and their signals, fast and without crashing."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import cel

from trust.decisions import RuleHit, SignalValue
from trust.events import Event
from trust.plain_text import without_bidi_controls
from trust.rules.compiled import (
    CompiledCondition,
    Input,
    Row,
    Unsupported,
    compile_condition,
    irregular_slots,
    row_builder,
)
from trust.rules.expressions import SIGNAL_PREFIX
from trust.rules.pack import Rule, RulePack
from trust.rules.views import event_view

log = logging.getLogger(__name__)
# A rule over its budget this many times is not run again by this engine: each overrun
# stalls the worker for its whole duration, and the rule is left out of decisions anyway.
SUSPEND_AFTER_OVERRUNS = 3
# Events per column in ``evaluate_views``: a column's time bounds each of its events' time
# against the budget, so columns stay far below it.
BATCH_CHUNK = 512

_PLACEHOLDER = re.compile(r"\{(event|signals)\.([A-Za-z_][\w.]*)\}")


@dataclass(slots=True)
class Evaluation:
    """What a pack concluded about one event: live hits, shadow hits, evaluation errors."""

    hits: list[RuleHit] = field(default_factory=list)
    shadow_hits: list[RuleHit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _lookup(root: Mapping[str, Any], path: str) -> Any:
    value: Any = root
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):  # int(nan) raises: a NaN signal must not crash the batch
            return str(value)
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    # An override character in an event value would reverse the rest of our sentence.
    return without_bidi_controls(str(value))


def render_reason(text: str, event: Mapping[str, Any], signals: Mapping[str, Any]) -> str:
    """The reason sentence with ``{signals.x}`` and ``{event.a.b}`` filled in."""
    if "{" not in text:
        return text
    roots = {"event": event, "signals": signals}
    return _PLACEHOLDER.sub(lambda m: _show(_lookup(roots[m.group(1)], m.group(2))), text)


class Watchdog(Protocol):
    """Bounds one event's rule evaluation from outside (the workers install one).

    The CEL engine holds the GIL while it evaluates, so nothing in Python can interrupt a
    runaway rule; a watchdog acts at the process level (``workers/watchdog.py``).
    """

    def arm(self) -> None:
        """An event's rules start running."""
        ...

    def disarm(self) -> None:
        """They finished."""
        ...


@dataclass(frozen=True, slots=True)
class _KindPlan:
    """The rules of one kind that run, the event fields they read, their compiled forms."""

    rules: tuple[Rule, ...]
    fields: frozenset[str]
    signals: tuple[str, ...]
    # Per rule, its compiled column (None: CEL runs it on every event).
    compiled: tuple[CompiledCondition | None, ...]
    row: Callable[[Mapping[str, Any], Any], Row]


def _compile(rule: Rule, slots: dict[Input, int]) -> CompiledCondition | None:
    try:
        compiled = compile_condition(rule.spec.when, slots)
    except Unsupported:
        return None
    # The CEL context holds only what the load-time analysis found; the compiled code must
    # read nothing else, or it would see a value where CEL reports an unknown name.
    for source, name in compiled.inputs:
        known = rule.refs.signals if source == "signal" else rule.refs.event_roots
        if (name if source == "signal" else name.split(".", 1)[0]) not in known:
            return None
    return compiled


def _plan(rules: tuple[Rule, ...]) -> _KindPlan:
    # Only what conditions read goes into CEL; reason texts read the event on a hit.
    fields = frozenset(f for r in rules for f in r.refs.event_roots)
    names = tuple(sorted({n for r in rules for n in r.refs.signals}))
    slots: dict[Input, int] = {}
    compiled = tuple(_compile(rule, slots) for rule in rules)
    return _KindPlan(rules, fields, names, compiled, row_builder(slots))


class _Reasons:
    """Builds one event's hits; the full event view for reason texts is made on the first."""

    __slots__ = ("event", "full", "signals", "view")

    def __init__(
        self, view: dict[str, Any], signals: Mapping[str, SignalValue], event: Event | None
    ) -> None:
        self.view, self.signals, self.event = view, signals, event
        self.full: dict[str, Any] | None = None

    def add(self, rule: Rule, result: Evaluation) -> None:
        if self.full is None:
            self.full = event_view(self.event) if self.event is not None else self.view
        hit = _hit(rule, self.full, self.signals)
        (result.hits if rule.spec.state == "live" else result.shadow_hits).append(hit)


class _Timer:
    """One event's budget clocks: wall time per rule, this thread's CPU time to confirm."""

    __slots__ = ("cpu_mark", "last")

    def __init__(self) -> None:
        # One wall-clock read per rule: each rule's time runs from the previous read. Wall
        # time also counts waiting for the GIL or the CPU, so an overrun is confirmed with
        # this thread's CPU time since the last confirmation (the thread clock is a system
        # call: read once per event, and on overruns).
        self.last = time.perf_counter()
        self.cpu_mark = time.thread_time()


class RuleEngine:
    """Runs every live and shadow rule of a pack; disabled rules are skipped entirely.

    With ``budget_s``, a rule that takes longer than that on one event (in CPU time of its
    thread) is left out of the event's decision and recorded as an error on it: rules take
    microseconds, and one that does not has met an input its author did not foresee. After
    ``SUSPEND_AFTER_OVERRUNS`` such events the rule is suspended: left out of every later
    decision of this engine (a pack reload or a worker restart gives it another chance),
    each time recorded as an error. With a ``watchdog``, each event's CEL evaluation is
    armed and disarmed around.

    ``evaluate`` runs one event through CEL; ``evaluate_batch`` gives the same results for
    many, running the conditions the compiled subset covers (``trust/rules/compiled.py``)
    a rule at a time over the batch, and CEL for the rest and for every input the compiled
    code leaves to it.
    """

    def __init__(
        self, pack: RulePack, *, budget_s: float | None = None, watchdog: Watchdog | None = None
    ) -> None:
        self.pack = pack
        self.budget_s = budget_s
        self.watchdog = watchdog
        self._overruns: dict[str, int] = {}
        self.suspended: set[str] = set()
        self._plans: dict[str, _KindPlan] = {}
        for kind in pack.baselines:
            active = tuple(r for r in pack.of_kind(kind) if r.spec.state != "disabled")
            self._plans[kind] = _plan(active)

    @property
    def version(self) -> str:
        """The pack version every decision records."""
        return self.pack.version

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        """The rules that run for ``kind``."""
        plan = self._plans.get(kind)
        return plan.rules if plan else ()

    def compiled_rules(self, kind: str) -> tuple[str, ...]:
        """Ids of the rules of ``kind`` that run compiled in batches (the others run CEL)."""
        plan = self._plans.get(kind)
        if plan is None:
            return ()
        return tuple(r.id for r, c in zip(plan.rules, plan.compiled, strict=True) if c)

    def view(self, event: Event) -> dict[str, Any]:
        """The event as the kind's rules read it (only the fields they name)."""
        plan = self._plans.get(event.kind)
        return event_view(event, plan.fields if plan else frozenset())

    def evaluate(self, event: Event, signals: Mapping[str, SignalValue]) -> Evaluation:
        """Run the kind's rules over one event; a failing rule is an error, not a crash."""
        plan = self._plans.get(event.kind)
        result = Evaluation()
        if plan is None or not plan.rules:
            return result
        view = event_view(event, plan.fields)
        return self.evaluate_rules(
            event.kind, plan.rules, view, signals, result, plan.signals, event=event
        )

    def evaluate_view(
        self,
        kind: str,
        view: dict[str, Any],
        signals: Mapping[str, SignalValue],
        result: Evaluation | None = None,
    ) -> Evaluation:
        """Run the kind's rules over an event view already built (backtests reuse views)."""
        plan = self._plans.get(kind)
        if plan is None:
            return result or Evaluation()
        return self.evaluate_rules(kind, plan.rules, view, signals, result, plan.signals)

    def evaluate_rules(
        self,
        kind: str,
        rules: tuple[Rule, ...],
        view: dict[str, Any],
        signals: Mapping[str, SignalValue],
        result: Evaluation | None = None,
        names: tuple[str, ...] | None = None,
        event: Event | None = None,
    ) -> Evaluation:
        """Run ``rules`` (of ``kind``) over one event view; errors are collected, not raised."""
        result = result or Evaluation()
        if names is None:
            names = tuple({n for r in rules for n in r.refs.signals})
        context = _context(names, view, signals)
        reasons = _Reasons(view, signals, event)
        if self.watchdog is not None:
            self.watchdog.arm()
        try:
            timer = _Timer()
            for rule in rules:
                self._run(rule, context, timer, result, reasons)
        finally:
            if self.watchdog is not None:
                self.watchdog.disarm()
        return result

    def _run(
        self,
        rule: Rule,
        context: cel.Context,
        timer: _Timer,
        result: Evaluation,
        reasons: _Reasons,
    ) -> None:
        """One rule through CEL on one event, within its budget; errors are recorded."""
        if rule.id in self.suspended:
            result.errors.append(
                f"{rule.id}: suspended after {SUSPEND_AFTER_OVERRUNS} evaluations over "
                "its budget; decided without it"
            )
            return
        clock = time.perf_counter
        try:
            fired = rule.fast_program.execute(context)
        except Exception as exc:  # one broken rule/event pair must not stop the batch
            result.errors.append(f"{rule.id}: {_first_line(exc)}")
            timer.last = clock()
            return
        now = clock()
        took, timer.last = now - timer.last, now
        budget = self.budget_s if self.budget_s is not None else float("inf")
        if took > budget:
            cpu_now = time.thread_time()
            cpu_took, timer.cpu_mark = cpu_now - timer.cpu_mark, cpu_now
            if cpu_took > budget:
                result.errors.append(
                    f"{rule.id}: over its evaluation budget ({cpu_took * 1000:.0f} ms, "
                    f"budget {budget * 1000:.0f} ms); decided without it"
                )
                self._overran(rule.id, cpu_took)
                timer.last = clock()
                return
        if fired is True:
            reasons.add(rule, result)
        elif fired is not False:
            result.errors.append(f"{rule.id}: returned {type(fired).__name__}, not a boolean")

    def evaluate_batch(
        self, events: Sequence[Event], signals: Sequence[Mapping[str, SignalValue]]
    ) -> list[Evaluation]:
        """``evaluate`` for each event, in order, with the same hits and errors, faster."""
        results = [Evaluation() for _ in events]
        by_kind: dict[str, list[int]] = {}
        for index, event in enumerate(events):
            by_kind.setdefault(event.kind, []).append(index)
        for kind, indexes in by_kind.items():
            plan = self._plans.get(kind)
            if plan is None or not plan.rules:
                continue
            found = self.evaluate_views(
                kind,
                [event_view(events[i], plan.fields) for i in indexes],
                [signals[i] for i in indexes],
                [events[i] for i in indexes],
            )
            for index, evaluation in zip(indexes, found, strict=True):
                results[index] = evaluation
        return results

    def evaluate_views(
        self,
        kind: str,
        views: Sequence[dict[str, Any]],
        signals: Sequence[Mapping[str, SignalValue]],
        events: Sequence[Event] | None = None,
    ) -> list[Evaluation]:
        """The kind's rules over many event views (``view()``), with their events if known.

        Same results as ``evaluate_view`` on each in turn (with ``events``: as ``evaluate``).
        """
        if len(signals) != len(views) or (events is not None and len(events) != len(views)):
            raise ValueError("views, signals and events must be of the same length")
        results = [Evaluation() for _ in views]
        plan = self._plans.get(kind)
        if plan is None or not plan.rules:
            return results
        for start in range(0, len(views), BATCH_CHUNK):
            end = start + BATCH_CHUNK
            self._evaluate_chunk(
                kind,
                plan,
                views[start:end],
                signals[start:end],
                events[start:end] if events is not None else None,
                results[start:end],
            )
        return results

    def _evaluate_chunk(
        self,
        kind: str,
        plan: _KindPlan,
        views: Sequence[dict[str, Any]],
        signals: Sequence[Mapping[str, SignalValue]],
        events: Sequence[Event] | None,
        results: list[Evaluation],
    ) -> None:
        count = len(views)
        suspended = len(self.suspended)
        # Phase 1, a rule at a time: compiled columns find hits and what CEL must decide.
        fired: list[list[int]] = [[] for _ in range(count)]
        left: list[list[int]] = [[] for _ in range(count)]
        rows = [plan.row(s, v) for s, v in zip(signals, views, strict=True)]
        irregular = [irregular_slots(row) for row in rows]
        anything_irregular = any(irregular)
        everyone = range(count)
        budget = self.budget_s if self.budget_s is not None else float("inf")
        # The thread clock is a system call (18 µs on some virtual machines): read once per
        # chunk. CPU time since then bounds any column's from above, so a column within the
        # budget by it is within the budget; one that is not is timed event by event by CEL.
        chunk_cpu = time.thread_time()
        for position, (rule, compiled) in enumerate(zip(plan.rules, plan.compiled, strict=True)):
            if compiled is None or rule.id in self.suspended:
                for pending in left:
                    pending.append(position)
                continue
            indexes: Sequence[int] = everyone
            if anything_irregular:
                indexes = []
                for i, bad in enumerate(irregular):
                    if bad and bad & compiled.slots:
                        left[i].append(position)
                    else:
                        indexes.append(i)
            hits: list[int] = []
            deferred: list[int] = []
            wall = time.perf_counter()
            compiled.column(rows, indexes, hits, deferred)
            # No event took longer than the whole column: only past the budget does each
            # event need timing on its own, which the CEL path does.
            if time.perf_counter() - wall > budget and time.thread_time() - chunk_cpu > budget:
                hits, deferred = [], list(indexes)
            for i in hits:
                fired[i].append(position)
            for i in deferred:
                left[i].append(position)
        # Phase 2, an event at a time, rules in pack order as in ``evaluate``.
        rules = plan.rules
        for i, result in enumerate(results):
            event = events[i] if events is not None else None
            if len(self.suspended) != suspended:
                # A rule was suspended meanwhile: the rest of the chunk takes the CEL path,
                # which reports it on every later event in order.
                self.evaluate_rules(
                    kind, rules, views[i], signals[i], result, plan.signals, event=event
                )
                continue
            reasons = _Reasons(views[i], signals[i], event)
            if not left[i]:
                for position in fired[i]:
                    reasons.add(rules[position], result)
                continue
            self._finish_with_cel(plan, fired[i], left[i], reasons, result)

    def _finish_with_cel(
        self,
        plan: _KindPlan,
        fired: list[int],
        left: list[int],
        reasons: _Reasons,
        result: Evaluation,
    ) -> None:
        """One event's compiled hits merged, in pack order, with the rules CEL decides."""
        context = _context(plan.signals, reasons.view, reasons.signals)
        pending = set(left)
        if self.watchdog is not None:
            self.watchdog.arm()
        try:
            timer = _Timer()
            for position in sorted(fired + left):
                rule = plan.rules[position]
                if position in pending:
                    timer.last = time.perf_counter()
                    self._run(rule, context, timer, result, reasons)
                else:
                    reasons.add(rule, result)
        finally:
            if self.watchdog is not None:
                self.watchdog.disarm()

    def _overran(self, rule_id: str, took: float) -> None:
        count = self._overruns[rule_id] = self._overruns.get(rule_id, 0) + 1
        log.warning(
            "rule over its evaluation budget",
            extra={"rule_id": rule_id, "ms": round(took * 1000, 1), "overruns": count},
        )
        if count >= SUSPEND_AFTER_OVERRUNS:
            self.suspended.add(rule_id)
            log.error(
                "rule suspended: over its evaluation budget too often",
                extra={"rule_id": rule_id, "overruns": count},
            )


def _context(
    names: tuple[str, ...], view: dict[str, Any], signals: Mapping[str, SignalValue]
) -> cel.Context:
    # Converting Python values into CEL costs about a microsecond each, so the context gets
    # only the signals the rules name, once per event, shared by every rule (a fresh dict
    # per execute call is ~14x slower).
    values: dict[str, Any] = {SIGNAL_PREFIX + name: signals.get(name) for name in names}
    values["event"] = view
    return cel.Context(values)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _hit(rule: Rule, view: Mapping[str, Any], signals: Mapping[str, Any]) -> RuleHit:
    spec = rule.spec
    return RuleHit(
        rule_id=spec.id,
        reason_code=spec.reason.code,
        reason=render_reason(spec.reason.text, view, signals),
        score=spec.score,
        severity=spec.severity,
        policy=spec.policy,
        state=spec.state,
        forced_outcome=spec.outcome,
    )

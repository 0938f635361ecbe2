"""Evaluate a compiled rule pack against events and their signals, fast and without crashing."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import cel

from trust.decisions import RuleHit, SignalValue
from trust.events import Event
from trust.plain_text import without_bidi_controls
from trust.rules.expressions import SIGNAL_PREFIX
from trust.rules.pack import Rule, RulePack
from trust.rules.views import event_view

log = logging.getLogger(__name__)
# A rule over its budget this many times is not run again by this engine: each overrun
# stalls the worker for its whole duration, and the rule is left out of decisions anyway.
SUSPEND_AFTER_OVERRUNS = 3

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
    """The rules of one kind that run, and the event fields they read."""

    rules: tuple[Rule, ...]
    fields: frozenset[str]
    signals: tuple[str, ...]


class RuleEngine:
    """Runs every live and shadow rule of a pack; disabled rules are skipped entirely.

    With ``budget_s``, a rule that takes longer than that on one event (in CPU time of its
    thread) is left out of the event's decision and recorded as an error on it: rules take
    microseconds, and one that does not has met an input its author did not foresee. After
    ``SUSPEND_AFTER_OVERRUNS`` such events the rule is suspended: left out of every later
    decision of this engine (a pack reload or a worker restart gives it another chance),
    each time recorded as an error. With a ``watchdog``, each event's evaluation is armed
    and disarmed around.
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
            # Only what conditions read goes into CEL; reason texts read the event on a hit.
            fields = frozenset(f for r in active for f in r.refs.event_roots)
            names = tuple(sorted({n for r in active for n in r.refs.signals}))
            self._plans[kind] = _KindPlan(active, fields, names)

    @property
    def version(self) -> str:
        """The pack version every decision records."""
        return self.pack.version

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        """The rules that run for ``kind``."""
        plan = self._plans.get(kind)
        return plan.rules if plan else ()

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
        # Converting Python values into CEL costs about a microsecond each, so the context
        # gets only the signals the rules name, once per event, shared by every rule (a
        # fresh dict per execute call is ~14x slower).
        if names is None:
            names = tuple({n for r in rules for n in r.refs.signals})
        values: dict[str, Any] = {SIGNAL_PREFIX + name: signals.get(name) for name in names}
        values["event"] = view
        context = cel.Context(values)
        full_view: dict[str, Any] | None = None
        budget = self.budget_s if self.budget_s is not None else float("inf")
        clock = time.perf_counter
        if self.watchdog is not None:
            self.watchdog.arm()
        try:
            # One wall-clock read per rule: each rule's time runs from the previous read.
            # Wall time also counts waiting for the GIL or the CPU, so an overrun is
            # confirmed with this thread's CPU time since the last confirmation (the
            # thread clock is a system call: read once per event, and on overruns).
            last = clock()
            cpu_mark = time.thread_time()
            for rule in rules:
                if rule.id in self.suspended:
                    result.errors.append(
                        f"{rule.id}: suspended after {SUSPEND_AFTER_OVERRUNS} evaluations over "
                        "its budget; decided without it"
                    )
                    continue
                try:
                    fired = rule.fast_program.execute(context)
                except Exception as exc:  # one broken rule/event pair must not stop the batch
                    result.errors.append(f"{rule.id}: {_first_line(exc)}")
                    last = clock()
                    continue
                now = clock()
                took, last = now - last, now
                if took > budget:
                    cpu_now = time.thread_time()
                    cpu_took, cpu_mark = cpu_now - cpu_mark, cpu_now
                    if cpu_took > budget:
                        result.errors.append(
                            f"{rule.id}: over its evaluation budget ({cpu_took * 1000:.0f} ms, "
                            f"budget {budget * 1000:.0f} ms); decided without it"
                        )
                        self._overran(rule.id, cpu_took)
                        last = clock()
                        continue
                if fired is True:
                    if full_view is None:
                        full_view = event_view(event) if event is not None else view
                    hit = _hit(rule, full_view, signals)
                    (result.hits if rule.spec.state == "live" else result.shadow_hits).append(hit)
                elif fired is not False:
                    result.errors.append(
                        f"{rule.id}: returned {type(fired).__name__}, not a boolean"
                    )
        finally:
            if self.watchdog is not None:
                self.watchdog.disarm()
        return result

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

"""Backtest: replay stored events through a pack and measure it against truth or staff labels."""

from __future__ import annotations

import csv
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import Connection, select

from trust.decisions import (
    LATER_FINDINGS,
    WORDING_REASON,
    ModelAssessment,
    RuleHit,
    decide,
    stored_hits,
    with_hits,
)
from trust.errors import RulePackError
from trust.events import EVENT_KINDS, Event, event_adapter
from trust.pii import PiiHasher
from trust.rules.engine import RuleEngine
from trust.rules.pack import RulePack, load_pack
from trust.settings import Settings
from trust.signals import compute_signals
from trust.store.tables import decisions as decisions_table
from trust.store.tables import events as events_table

FLAGGED = ("review", "block")


@dataclass
class BacktestResult:
    """What a pack did over stored events: hits per rule and the outcome of every event."""

    pack_version: str
    events: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    shadow_hits: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    flagged: set[str] = field(default_factory=set)
    hit_events: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True, slots=True)
class Score:
    """Precision and recall of one set of flags against ground truth."""

    flagged: int
    true_positives: int
    positives: int

    @property
    def precision(self) -> float | None:
        """Share of flags that were fraud (None without flags)."""
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Share of fraud that was flagged (None without fraud)."""
        return self.true_positives / self.positives if self.positives else None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A stored event with when it was decided and what the models said then (if they did):
    the anomaly model's view, and the text model's hit as it was recorded; and the findings
    made after it (``LATER_FINDINGS``: a cluster case's, a look-back's), when
    they sent the event to review later."""

    event: Event
    as_of: datetime
    assessment: ModelAssessment | None
    wording: tuple[RuleHit, ...] = ()
    later: tuple[RuleHit, ...] = ()


def stored_events(
    conn: Connection, *, since: datetime | None, batch_size: int
) -> Iterator[list[StoredEvent]]:
    """Stored events of the scored kinds in time order, re-validated, in batches.

    Each comes with the moment the pipeline decided it (its arrival when never decided) and
    the model's stored view: a replay reads the world as the decision did, not as it is now.
    Appeals go to people and dispute party events step their dispute: never decided.
    """
    e, d = events_table.c, decisions_table.c
    query = (
        select(
            e.payload,
            e.received_at,
            d.decided_at,
            d.model_score,
            d.model_version,
            d.model_review_cutoff,
            d.rule_hits,
        )
        .select_from(events_table.outerjoin(decisions_table, d.event_id == e.event_id))
        .where(e.kind.in_(EVENT_KINDS))
        .order_by(e.occurred_at, e.id)
    )
    if since is not None:
        query = query.where(e.occurred_at >= since)
    batch: list[StoredEvent] = []
    for payload, received, decided, score, version, cutoff, hits in conn.execute(query).yield_per(
        batch_size
    ):
        assessment = (
            ModelAssessment(score, version or "", review_cutoff=cutoff)
            if score is not None
            else None
        )
        batch.append(
            StoredEvent(
                event_adapter.validate_python(payload),
                decided or received,
                assessment,
                stored_hits(hits, WORDING_REASON),
                stored_hits(hits, *LATER_FINDINGS),
            )
        )
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_backtest(
    conn: Connection,
    pack: RulePack,
    settings: Settings,
    hasher: PiiHasher,
    *,
    since: datetime | None = None,
    batch_size: int = 1000,
) -> BacktestResult:
    """Recompute signals over history (as of each event) and decide every stored event.

    Point in time: signals read the world as it was when each event was decided (see
    :class:`trust.signals.context.BatchContext`), and the anomaly model's stored score and
    the text model's stored hit for the event ride along (and the later findings, which join
    afterwards as it joined the stored decision), so replaying the pack in force reproduces
    the stored decisions.
    """
    engine = RuleEngine(pack)
    result = BacktestResult(pack.version)
    started = time.perf_counter()
    for stored in stored_events(conn, since=since, batch_size=batch_size):
        batch = [s.event for s in stored]
        as_of = {s.event.event_id: s.as_of for s in stored}
        all_signals = compute_signals(conn, batch, hasher, as_of=as_of)
        for item, signals in zip(stored, all_signals, strict=True):
            event = item.event
            evaluation = engine.evaluate(event, signals)
            live = [*evaluation.hits, *item.wording]
            decided = decide(
                event,
                signals,
                live,
                evaluation.shadow_hits,
                settings=settings.decision,
                pack_version=pack.version,
                now=event.occurred_at,
                assessment=item.assessment,
            )
            # Later findings (cluster case, look-back) join as they did the stored decision.
            decision = with_hits(decided, item.later)
            result.events += 1
            result.outcomes[decision.outcome] += 1
            if decision.outcome in FLAGGED:
                result.flagged.add(event.event_id)
            for hit in evaluation.hits:
                result.hits[hit.rule_id] += 1
                result.hit_events[hit.rule_id].add(event.event_id)
            for hit in evaluation.shadow_hits:
                result.shadow_hits[hit.rule_id] += 1
                result.hit_events[hit.rule_id].add(event.event_id)
            for error in evaluation.errors:
                result.errors[error.split(":", 1)[0]] += 1
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True, slots=True)
class TruthRow:
    """One line of a simulator truth file."""

    is_fraud: bool
    pattern: str


def read_truth(path: Path) -> dict[str, TruthRow]:
    """A truth.csv (event_id, is_fraud, pattern) as a mapping by event id."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["event_id"]: TruthRow(
                row["is_fraud"].strip().lower() in {"1", "true", "yes"}, row.get("pattern") or ""
            )
            for row in csv.DictReader(handle)
        }


def score_against(flagged: set[str], truth: dict[str, bool]) -> Score:
    """Precision and recall of ``flagged`` over the events ``truth`` labels."""
    labelled = flagged & truth.keys()
    positives = sum(truth.values())
    true_positives = sum(1 for e in labelled if truth[e])
    return Score(len(labelled), true_positives, positives)


def recall_by_pattern(flagged: set[str], truth: dict[str, TruthRow]) -> dict[str, Score]:
    """Per planted pattern: how many of its events were flagged."""
    members: dict[str, set[str]] = defaultdict(set)
    for event_id, row in truth.items():
        if row.is_fraud:
            members[row.pattern].add(event_id)
    return {
        pattern: Score(len(ids & flagged), len(ids & flagged), len(ids))
        for pattern, ids in sorted(members.items())
    }


def pack_with_draft(rules_dir: Path, draft: Path) -> tuple[RulePack, list[str]]:
    """The pack plus a draft rule file, validated together; returns the draft's rule ids.

    The draft goes into the folder of the kind it declares, so it is checked exactly like a
    rule of the pack (names, types, duplicate ids) before it runs over history.
    """
    raw = yaml.safe_load(draft.read_text(encoding="utf-8"))
    items = raw.get("rules", []) if isinstance(raw, dict) else []
    kinds = {item.get("kind") for item in items if isinstance(item, dict)}
    if len(kinds) != 1 or next(iter(kinds)) not in EVENT_KINDS:
        raise RulePackError(
            [
                f"{draft.name}: a draft file holds rules of exactly one kind "
                "(hint: rules: [{id: ..., kind: review, ...}])"
            ]
        )
    kind = str(next(iter(kinds)))
    with tempfile.TemporaryDirectory(prefix="trust-draft-") as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(rules_dir, root)
        (root / kind).mkdir(exist_ok=True)
        target = root / kind / f"draft_{draft.name}"
        shutil.copy(draft, target)
        draft_pack = load_pack(root)
    label = f"{kind}/{target.name}"
    return draft_pack, [r.id for r in draft_pack.rules if r.file == label]

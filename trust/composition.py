"""Composition of a pipeline: rule pack, signals and scorer, and where decisions go.

``trust ingest --direct``, ``trust decide``, the API and the workers all build their
pipeline here, so a decision means the same thing whichever way an event arrived. The
anomaly model is a layer on top of ``trust`` (``models/``): callers that want it pass a
``ModelLoader`` (``models.active.active_model``); without one the rules decide alone.
"""

from __future__ import annotations

from collections.abc import Callable

from trust.decisions import AnomalyScorer
from trust.pipeline import BatchScorer, Pipeline
from trust.rules.engine import Watchdog
from trust.rules.pack import RulePack, load_pack
from trust.scoring import Scorer
from trust.settings import Settings
from trust.store import Store

# Reads the model in force for these settings; None when there is none.
ModelLoader = Callable[[Settings], AnomalyScorer | None]


def build_scorer(
    settings: Settings,
    *,
    model: ModelLoader | None = None,
    watchdog: Watchdog | None = None,
    pack: RulePack | None = None,
) -> Scorer:
    """The rule pack in force (or ``pack``) plus the model, ready to score batches."""
    return Scorer(
        pack if pack is not None else load_pack(settings.rules_dir),
        settings,
        model(settings) if model is not None else None,
        watchdog=watchdog,
    )


def default_pipeline(
    store: Store, settings: Settings, scorer: BatchScorer, *, source: str = "queue"
) -> Pipeline:
    """The production sinks: decisions stored, cases and disputes opened, blocks enforced,
    appeals taken, dispute party events applied, subscribers notified (the outbox),
    decisions made before their history arrived revised (``trust.late_history``), a
    flagged complainant's earlier complaints reopened (``trust.look_back``) and a reported
    account's verifications reopened (``trust.reported_look_back``)."""
    from trust.appeals import AppealDesk
    from trust.cases import open_or_join
    from trust.disputes.intake import open_cases_and_disputes
    from trust.disputes.parties import take_party_events
    from trust.enforcement_actions import enforce_decisions
    from trust.late_history import LateHistory, Rescorer
    from trust.look_back import ComplainantLookBack
    from trust.reopen import LookBacks
    from trust.reported_look_back import ReportedAccountLookBack
    from trust.store.decisions import insert_decisions
    from trust.webhooks import emit_decisions

    return Pipeline(
        store,
        settings,
        scorer,
        insert_decisions,
        open_cases_and_disputes,
        source=source,
        enforce=enforce_decisions,
        appeals=AppealDesk(source),
        party_events=take_party_events,
        notify=emit_decisions,
        revise=LateHistory(scorer, settings, open_or_join)
        if isinstance(scorer, Rescorer)
        else None,
        look_back=LookBacks(
            (
                ComplainantLookBack(settings, open_or_join),
                ReportedAccountLookBack(settings, open_or_join),
            )
        ),
    )


def build_pipeline(
    settings: Settings,
    store: Store | None = None,
    *,
    source: str = "queue",
    model: ModelLoader | None = None,
    watchdog: Watchdog | None = None,
) -> Pipeline:
    """The pipeline every path runs (the store opened without migrating when not given).

    Worker processes pass the rules ``watchdog`` (``workers/watchdog.py``).
    """
    store = store or Store.from_settings(settings, migrate=False)
    scorer = build_scorer(settings, model=model, watchdog=watchdog)
    return default_pipeline(store, settings, scorer, source=source)

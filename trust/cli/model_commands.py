"""``trust model …`` and ``trust bench model``: train, register, evaluate and watch anomaly models.

Part of the composition root: ``models`` is imported only inside command bodies, so the
core library never depends on it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from trust.cli.bench_commands import bench_app

model_app = typer.Typer(
    help="Models: train, list, activate, evaluate, learn from staff (also texts), watch drift.",
    no_args_is_help=True,
)

KindOption = typer.Option(..., "--kind", help="Event kind, e.g. review or profile_verification.")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _metrics_table(title: str, columns: dict[str, Any]) -> Table:
    """One column per scorer: ROC-AUC, average precision, precision/recall at top 1% and 5%."""
    table = Table(title=title)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    first = next(iter(columns.values()))
    rows = [
        ("rows", "rows"),
        ("positives", "positives"),
        ("ROC-AUC", "roc_auc"),
        ("average precision", "average_precision"),
    ]
    for label, attribute in rows:
        table.add_row(label, *(_fmt(getattr(m, attribute)) for m in columns.values()))
    for share in first.at_top:
        for measure in ("precision", "recall"):
            table.add_row(
                f"{measure} at top {share}",
                *(_fmt(m.at_top[share][measure]) for m in columns.values()),
            )
    return table


@model_app.command("train")
def train_command(
    kind: str = KindOption,
    seed: int = typer.Option(0, "--seed", help="Random seed of the detector."),
    activate: bool = typer.Option(True, "--activate/--no-activate", help="Put it in force."),
) -> None:
    """Train the configured detector on stored events of a kind and register a new version."""
    from models.training import train_anomaly_model
    from trust.cli.context import console, open_store, settings

    current = settings()
    with open_store(current) as store, console.status(f"training the {kind} model..."):
        manifest = train_anomaly_model(store, current, kind, activate=activate, seed=seed)
    training = manifest["training"]
    console.print(
        f"[green]registered {manifest['version']}[/]{' (active)' if activate else ''}: "
        f"{training['event_count']:,} events {training['first_occurred_at']} .. "
        f"{training['last_occurred_at']}, {len(manifest['features'])} features, "
        f"sha256 {manifest['sha256'][:16]}…"
    )


@model_app.command("list")
def list_command(
    kind: str | None = typer.Option(None, "--kind", help="Only this event kind."),
) -> None:
    """Registered model versions, newest first; the active ones are marked."""
    from models.registry import ModelRegistry
    from trust.cli.context import console, settings

    table = Table(title="model versions")
    for column in ("version", "kind", "role", "active", "created", "events", "features"):
        table.add_column(column)
    for m in ModelRegistry.from_settings(settings()).versions(kind):
        table.add_row(
            m["version"],
            m["kind"],
            m["role"],
            "yes" if m["active"] else "",
            m["created_at"][:19],
            str(m.get("training", {}).get("event_count", "")),
            # A text model's features are the n-grams of its vocabulary.
            str(m.get("vocabulary") or len(m.get("features", []))),
        )
    console.print(table if table.row_count else "no model versions yet; run `trust model train`")


@model_app.command("activate")
def activate_command(
    version: str = typer.Argument(..., help="A version from `trust model list`."),
) -> None:
    """Put a registered version in force for its kind (after checking that it loads)."""
    from models.registry import ModelRegistry
    from trust.cli.context import console, settings

    manifest = ModelRegistry.from_settings(settings()).activate(version)
    console.print(
        f"[green]{version} is now the active {manifest['role']} model of {manifest['kind']}[/]"
    )


@model_app.command("evaluate")
def evaluate_command(
    data: Path = typer.Option(..., "--data", help="A labelled CSV or Parquet table."),
    label: str = typer.Option(..., "--label", help="The 0/1 (or two-valued) label column."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="A column to ignore (the ids --edges refers to)."
    ),
    edges: Path | None = typer.Option(
        None,
        "--edges",
        help="A CSV with columns src,dst holding --id-column values: graph features join in.",
    ),
    label_fraction: float | None = typer.Option(
        None, "--label-fraction", help="Reveal this stratified share of labels to a learned model."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the detector and of the label draw."),
    detector: str | None = typer.Option(None, "--detector", help="Override the configured one."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Score any labelled table with the detector; optionally simulate learning from staff."""
    from models.evaluate import evaluate_table, load_table
    from models.training import detector_options
    from trust.cli.context import console, settings

    name, params = detector_options(settings(), detector)
    report = evaluate_table(
        load_table(data),
        label,
        id_column=id_column,
        label_fraction=label_fraction,
        seed=seed,
        detector=name,
        params=params,
        edges=None if edges is None else load_table(edges),
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    for notice in report.notices:
        console.print(f"[yellow]note:[/] {notice}")
    console.print(
        _metrics_table(f"{data.name}: unsupervised ({name}), all rows", {name: report.unsupervised})
    )
    if report.hidden:
        console.print(
            _metrics_table(
                f"hidden labels ({1 - (label_fraction or 0):.0%} of rows)", report.hidden
            )
        )


@model_app.command("learn")
def learn_command(
    kind: str = KindOption,
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Train P(reviewer confirms) from resolved cases of a kind and register it."""
    from models.learning import train_learned_model
    from trust.cli.context import console, open_store, settings

    current = settings()
    with open_store(current) as store:
        manifest = train_learned_model(store, current, kind, seed=seed)
    training, metrics = manifest["training"], manifest["metrics"]
    console.print(
        f"[green]registered {manifest['version']} (active)[/]: {training['confirmed']} confirmed "
        f"and {training['dismissed']} dismissed events; in-sample ROC-AUC "
        f"{_fmt(metrics['in_sample_roc_auc'])} (anomaly score alone "
        f"{_fmt(metrics['anomaly_only_roc_auc'])})"
    )


@model_app.command("learn-text")
def learn_text_command(
    kind: str = typer.Option("review", "--kind", help="review or complaint."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    activate: bool = typer.Option(
        True, "--activate/--no-activate", help="Put the new version in force at once."
    ),
) -> None:
    """Learn the text model (TF-IDF character n-grams, linear model) from the texts of
    resolved cases of a kind and register it; once active, the pipeline adds its points and
    a reason naming its terms to reviews or complaints worded like confirmed cases."""
    from models.text_learning import train_text_model
    from trust.cli.context import console, open_store, settings

    current = settings()
    with open_store(current) as store:
        manifest = train_text_model(store, current, kind, activate=activate, seed=seed)
    training, metrics = manifest["training"], manifest["metrics"]
    console.print(
        f"[green]registered {manifest['version']}"
        f"{' (active)' if manifest.get('active') else ''}[/]: {training['confirmed']} "
        f"confirmed and {training['dismissed']} dismissed texts, {manifest['vocabulary']} "
        f"n-grams; in-sample ROC-AUC {_fmt(metrics['in_sample_roc_auc'])}"
    )


@model_app.command("drift")
def drift_command(
    kind: str = KindOption,
    days: float = typer.Option(7.0, "--days", help="Window of recent events, up to the newest."),
) -> None:
    """Population stability index per feature: recent events against the training snapshot."""
    from models.drift import drift_since_training
    from trust.cli.context import console, open_store, settings

    current = settings()
    with open_store(current) as store:
        version, count, drifts = drift_since_training(store, current, kind, days)
    table = Table(title=f"{kind}: last {days:g} days ({count:,} events) vs {version}")
    for column in ("feature", "PSI", "verdict"):
        table.add_column(column)
    for drift in drifts:
        colour = {"major shift": "red", "moderate shift": "yellow"}.get(drift.verdict, "")
        verdict = f"[{colour}]{drift.verdict}[/]" if colour else drift.verdict
        table.add_row(drift.feature, f"{drift.psi:.3f}", verdict)
    console.print(table)
    moved = [d.feature for d in drifts if d.verdict != "stable"]
    console.print(f"moved: {', '.join(moved)}" if moved else "no feature moved")


@model_app.command("evaluate-sim")
def evaluate_sim_command(
    truth: Path = typer.Option(..., "--truth", help="truth.csv written by `trust simulate`."),
    kind: list[str] = typer.Option([], "--kind", help="Only these kinds (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """ROC-AUC per kind on simulated, ingested events: rules, model, rules plus model."""
    from models.simulation import evaluate_simulation
    from trust.cli.context import console, open_store, settings
    from trust.decisions import effective_review_cutoff
    from trust.events import EVENT_KINDS

    current = settings()
    with (
        open_store(current) as store,
        console.status("computing signals, training and scoring each kind..."),
    ):
        results = evaluate_simulation(store, current, truth, tuple(kind) or EVENT_KINDS)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2))
        return
    table = Table(title="ROC-AUC against truth.csv (average precision in brackets)")
    for column in (
        "kind",
        "events",
        "fraud",
        "rules",
        "model",
        "rules+model",
        "learned, 10% labels*",
        "rules+model*",
    ):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for r in results:
        cells = [r.rules, r.model, r.combined, r.learned_hidden, r.combined_hidden]
        table.add_row(
            r.kind,
            f"{r.events:,}",
            f"{r.fraud:,}",
            *(f"{_fmt(m.roc_auc)} ({_fmt(m.average_precision)})" if m else "n/a" for m in cells),
        )
    console.print(table)
    console.print("* on the 90% of events whose labels were not revealed")
    decision = current.decision
    queues = Table(
        title="review queue: cases a day and the share that is fraud (precision)",
        caption=f"model review budget {decision.model_daily_cases:g} cases/day per kind "
        f"(TRUST_DECISION__MODEL_DAILY_CASES), fixed cutoff "
        f"{decision.model_review_percentile:g}, model weight {decision.model_weight:g}",
    )
    for column in (
        "kind",
        "days",
        "model cutoff",
        "rules: cases/day",
        "precision",
        "rules+model: cases/day",
        "precision",
        "added by the model/day",
        "frauds / honest/day the model adds",
        "held by a hold/day",
        "detection precision**",
    ):
        queues.add_column(column, justify="left" if column == "kind" else "right")
    for r in results:
        if r.queue_rules is None or r.queue_combined is None:
            continue
        held = r.queue_combined.per_day - (
            r.detection_combined.per_day if r.detection_combined else r.queue_combined.per_day
        )
        queues.add_row(
            r.kind,
            f"{r.days:.1f}",
            # Without a budget the model alone still sends its fixed extreme percentile.
            _fmt(effective_review_cutoff(r.review_cutoff, decision))
            + (" fixed" if r.review_cutoff is None else ""),
            f"{r.queue_rules.per_day:.1f}",
            _fmt(r.queue_rules.precision),
            f"{r.queue_combined.per_day:.1f}",
            _fmt(r.queue_combined.precision),
            f"{r.queue_combined.per_day - r.queue_rules.per_day:+.1f}",
            r.model_added.summary() if r.model_added else "n/a",
            f"{held:.1f}",
            " / ".join(
                _fmt(q.precision) if q else "n/a" for q in (r.detection_rules, r.detection_combined)
            ),
        )
    console.print(queues)
    console.print(
        "** rules / rules+model, leaving out the events flagged only because the account was "
        "already on hold (the enforcement state refuses them; they join the hold's case)"
    )
    _print_held(results)
    patterns = Table(title="recall of each planted pattern (share sent to review or block)")
    for column in (
        "kind",
        "pattern",
        "events",
        "rules",
        "model top 5%",
        "rules+model",
        "model only",
        "by detection**",
    ):
        patterns.add_column(column, justify="left" if column in ("kind", "pattern") else "right")
    for r in results:
        for p in r.patterns:
            patterns.add_row(
                r.kind,
                p.pattern,
                str(p.events),
                f"{p.rules:.0%}",
                f"{p.model:.0%}",
                f"{p.combined:.0%}",
                f"{p.model_only:.0%}",
                f"{p.detected:.0%}",
            )
    console.print(patterns)
    look_alikes = Table(title="honest look-alikes flagged (false alarms among e.g. travellers)")
    for column in ("kind", "label", "events", "rules", "rules+model"):
        look_alikes.add_column(column, justify="left" if column in ("kind", "label") else "right")
    for r in results:
        for p in r.look_alikes:
            look_alikes.add_row(
                r.kind, p.pattern, str(p.events), f"{p.rules:.1%}", f"{p.combined:.1%}"
            )
    if look_alikes.row_count:
        console.print(look_alikes)
    _print_text_effect(results)
    _print_cluster_coverage(truth)


def _print_text_effect(results: list[Any]) -> None:
    """The text model learned from a share of each text kind's labels, on the other events."""
    from trust.cli.context import console

    effects = [(r.kind, r.text) for r in results if r.text is not None]
    if not effects:
        return
    table = Table(
        title="the text model: learned from a share of the labels (as if staff resolved "
        "those cases), the other events decided without and with it",
        caption="recall and precision of review or block on the events whose labels the "
        "text model did not see; honest added: honest events it sent to review",
    )
    for column in ("kind", "pattern", "labels", "events", "without", "with the text model"):
        table.add_column(column, justify="left" if column in ("kind", "pattern") else "right")
    for kind, e in effects:
        table.add_row(
            kind,
            "all (recall / precision)",
            f"{e.label_fraction:.0%}",
            str(e.hidden),
            f"{_fmt(e.recall_without)} / {_fmt(e.precision_without)}",
            f"{_fmt(e.recall_with)} / {_fmt(e.precision_with)}, honest added {e.honest_added}",
        )
        for p in e.patterns:
            table.add_row(
                kind, p.pattern, "", str(p.events), f"{p.without:.0%}", f"{p.with_text:.0%}"
            )
    console.print(table)


def _print_held(results: list[Any]) -> None:
    """Events refused by their account's hold, under the pattern whose flag imposed it."""
    from trust.cli.context import console

    table = Table(
        title="flagged only because the account was on hold, by what caused the hold",
        caption="planted: events of a planted pattern themselves; honest: e.g. the owner's "
        "own withdrawals after a takeover was held",
    )
    for column in ("kind", "hold caused by", "events", "planted", "honest"):
        table.add_column(
            column, justify="left" if column in ("kind", "hold caused by") else "right"
        )
    for r in results:
        for h in r.held:
            table.add_row(r.kind, h.cause, str(h.events), str(h.planted), str(h.honest))
    if table.row_count:
        console.print(table)


def _print_cluster_coverage(truth: Path) -> None:
    """Planted rings and bursts against the clusters ``trust graph clusters`` would open."""
    from models.cluster_coverage import (
        CAUGHT_SHARE,
        GROUP_PATTERNS,
        cluster_coverage,
        pattern_recall,
    )
    from trust.cli.context import console, open_store, settings

    with open_store(settings()) as store:
        coverage = cluster_coverage(store, truth)
        recall = pattern_recall(store, truth, settings())
    table = Table(
        title=f"planted groups as cluster cases (caught: one cluster holds "
        f">= {CAUGHT_SHARE:.0%} of the group)",
        caption=f"{coverage.clusters} clusters, {coverage.clustered_accounts} "
        f"accounts, {coverage.fraud_share:.0%} of them in planted fraud",
    )
    for column in ("pattern", "groups", "caught", "smallest share held"):
        table.add_column(column, justify="left" if column == "pattern" else "right")
    for pattern in GROUP_PATTERNS:
        caught, planted = coverage.caught(pattern)
        shares = [g.best_share for g in coverage.groups if g.pattern == pattern]
        table.add_row(pattern, str(planted), str(caught), f"{min(shares):.0%}" if shares else "n/a")
    console.print(table)
    routes = Table(
        title="recall per planted pattern: the pipeline's decisions (review or "
        "block) at arrival and as stored now (after late history and the look-backs at "
        "flagged complainants and reported accounts), cluster cases (daily clustering, "
        "point-in-time), both; and the "
        "decisions once cluster cases sent their schemes' events to review",
        caption="queue precision: "
        + ", ".join(f"{k} {v:.0%}" for k, v in recall.precision.items())
        + "; per kind at arrival -> decisions (latest version) -> with cluster cases, "
        + ", ".join(
            f"{kind} {v.get('at_arrival', 1.0):.0%} -> {v.get('decisions', 1.0):.0%} -> "
            f"{v.get('with_cluster_cases', 1.0):.0%}"
            for kind, v in recall.kind_precision.items()
        )
        + "; requests: the pattern's dispute and appeal submissions, taken into their "
        "own flow and never scored, so left out of the shares",
    )
    columns = ("pattern", "events", "requests", "at arrival", "decisions", "cluster then", "either")
    for column in (*columns, "cluster by end", "with cluster cases"):
        routes.add_column(column, justify="left" if column == "pattern" else "right")
    for p in recall.patterns:
        routes.add_row(
            p.pattern,
            str(p.events),
            str(p.requests),
            f"{p.at_arrival:.0%}",
            f"{p.decisions:.0%}",
            f"{p.graph:.0%}",
            f"{p.either:.0%}",
            f"{p.graph_by_end:.0%}",
            f"{p.with_cluster_cases:.0%}",
        )
    console.print(routes)


@model_app.command("evaluate-text")
def evaluate_text_command(
    truth: Path = typer.Option(..., "--truth", help="truth.csv written by `trust simulate`."),
    kind: str = typer.Option("review", "--kind", help="review or complaint."),
    label_fraction: float = typer.Option(
        0.1,
        "--label-fraction",
        min=0.01,
        max=0.9,
        help="Share of labelled texts the classifier learns from (as if staff decided them).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the label draw."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The text classifier (TF-IDF character n-grams, linear model) on simulated, ingested
    texts: learned from a share of labels, measured on the rest, top terms as reasons."""
    from models.text_model import evaluate_text_model
    from trust.cli.context import console, open_store, settings
    from trust.store import snapshot

    with open_store(settings()) as store, snapshot(store.engine) as conn:
        report = evaluate_text_model(conn, kind, truth, label_fraction, seed)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    console.print(
        _metrics_table(
            f"{kind} texts: learned from {report.learned_from}, measured on the rest",
            {"text model": report.hidden},
        )
    )
    for text, probability, reasons in report.examples:
        console.print(f"{probability:.2f}  {text}  [dim](because: {', '.join(reasons)})[/]")


@bench_app.command("detectors")
def bench_detectors_command(
    detector: list[str] = typer.Option(
        ["ensemble", "isolation_forest", "ecod", "hbos"],
        "--detector",
        help="Detectors to compare (repeatable); a default IsolationForest always runs.",
    ),
    seeds: int = typer.Option(3, "--seeds", min=1, max=20, help="Draws per table."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """ROC-AUC of each detector on bundled and synthetic labelled tables, against defaults."""
    from dataclasses import asdict

    import numpy as np

    from models.detectors import make_detector
    from models.validation import DEFAULT_FOREST, validate_detectors
    from trust.cli.context import console

    for name in detector:
        make_detector(name)  # an unknown name is a configuration error before any work
    with console.status("fitting every detector on every table..."):
        scores = validate_detectors(list(detector), seeds)
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in scores], indent=2))
        return
    names = [DEFAULT_FOREST, *detector]
    by = {(s.table, s.detector): s for s in scores}
    tables = list(dict.fromkeys(s.table for s in scores))
    table = Table(title=f"ROC-AUC (average precision), mean of {seeds} draws")
    table.add_column("table")
    for name in names:
        table.add_column(name, justify="right")
    for name in tables:
        table.add_row(
            name,
            *(
                f"{by[(name, d)].roc_auc:.3f} ({by[(name, d)].average_precision:.3f})"
                for d in names
            ),
        )
    console.print(table)
    reference = "ecod" if "ecod" in detector else DEFAULT_FOREST
    for name in names:
        aucs = [by[(t, name)].roc_auc for t in tables]
        gaps = [
            by[(t, name)].roc_auc - max(by[(t, DEFAULT_FOREST)].roc_auc, by[(t, reference)].roc_auc)
            for t in tables
        ]
        console.print(
            f"{name}: mean ROC-AUC {np.mean(aucs):.3f}; worst shortfall against "
            f"the better of {DEFAULT_FOREST} and {reference}: {min(gaps):+.3f}"
        )


@bench_app.command("model")
def bench_model_command(
    rows: int = typer.Option(1_000_000, "--rows", min=1000, help="Synthetic training rows."),
    detector: str | None = typer.Option(
        None, "--detector", help="Detector to time (default: the configured one)."
    ),
    max_samples: int | None = typer.Option(
        None, "--max-samples", min=16, help="Isolation-tree size (default: configured)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Training time at 1M rows, batch rows/s, and single-event latency p50/p99."""
    from models.bench import run_model_benchmark
    from trust.cli.context import console, settings

    configured = settings().model
    detector = detector or configured.detector
    with console.status("benchmarking the model..."):
        result = run_model_benchmark(
            rows, detector=detector, max_samples=max_samples or configured.max_samples
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    table = Table(title=f"model benchmark ({detector}, {result.features} features)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        f"train on {result.training_rows:,} rows", f"{result.train_seconds:.1f} s", "< 60 s"
    )
    table.add_row(
        "batch scoring", f"{result.batch_rows_per_second:,.0f} rows/s", ">= 100,000 rows/s"
    )
    table.add_row(
        "events from payloads (features, score, reasons)",
        f"{result.events_per_second_with_features:,.0f} events/s",
        "",
    )
    table.add_row("single event p50", f"{result.single_event_p50_ms:.3f} ms", "")
    table.add_row("single event p99", f"{result.single_event_p99_ms:.3f} ms", "< 5 ms")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``model`` group (``bench model`` is attached to the shared bench group)."""
    app.add_typer(model_app, name="model")

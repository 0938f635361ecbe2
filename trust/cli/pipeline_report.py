"""The table ``trust bench pipeline`` prints, from the figures ``workers.bench`` measured."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _rate(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "not run"
    if "skipped" in figures:
        return f"skipped: {figures['skipped']}"
    return f"{figures['events_per_s']:,.0f} events/s"


def _target(ok: bool, text: str) -> str:
    return f"[green]{text} met[/]" if ok else f"[red]{text} missed[/]"


def render(report: dict[str, Any]) -> Table:
    """One row per scenario: figure, target and verdict."""
    table = Table(
        title=f"pipeline benchmark: {report['events']:,} events, batches of "
        f"{report['batch_size']}, {report['processes']} workers x {report['threads']} threads, "
        f"{report['cpus']} CPUs, {report['prior_events']:,} prior events, model "
        f"{'on' if report['model'] else 'off'}, "
        f"load {report['load_before']:.1f} -> {report['load_after']:.1f}"
    )
    for column in ("scenario", "figure", "target"):
        table.add_column(column, overflow="fold")
    e2e = report["sqlite"]["events_per_s"]
    stages = report["in_process"]["stage_us_per_event"]
    table.add_row("no-op dramatiq actor (baseline)", _rate(report["noop"]), "")
    table.add_row(
        "in process: validate + score, no queue, no store",
        _rate(report["ceiling"]),
        "ceiling of our code",
    )
    table.add_row(
        "in process: whole pipeline on SQLite, no queue",
        _rate(report["in_process"]),
        "µs/event: " + ", ".join(f"{k} {v:g}" for k, v in stages.items()),
    )
    table.add_row(
        "  CPU per event (in process)",
        f"{report['cpu_us_per_event']:.0f} µs",
        _target(report["cpu_us_per_event"] <= 200, "≤ 200 µs"),
    )
    table.add_row(
        "end to end: Redis + SQLite",
        _rate(report["sqlite"]),
        _target(e2e >= 10_000, "≥ 10,000/s"),
    )
    table.add_row(
        "  ratio to the in-process ceiling",
        f"{report['ratio_to_ceiling']:.2f}",
        _target(report["ratio_to_ceiling"] >= 0.5, "≥ 0.5"),
    )
    table.add_row("  ratio to the no-op actor", f"{report['ratio_to_noop']:.3f}", "reported")
    table.add_row("end to end: Redis + PostgreSQL", _rate(report.get("postgres")), "")
    for count, rate in report.get("scaling", {}).items():
        table.add_row(f"  scaling: {count} worker process(es)", f"{rate:,.0f} events/s", "")
    latency = report["latency"]
    table.add_row(
        f"latency enqueue → stored at {latency['offered_rate']:,.0f} events/s",
        f"p50 {latency['p50_ms']:.0f} ms, p99 {latency['p99_ms']:.0f} ms",
        _target(latency["p99_ms"] < 1000, "p99 < 1 s"),
    )
    half = report["latency_half_rate"]
    table.add_row(
        f"latency enqueue → stored at {half['offered_rate']:,.0f} events/s",
        f"p50 {half['p50_ms']:.0f} ms, p99 {half['p99_ms']:.0f} ms",
        "for comparison",
    )
    decide = report["decide"]
    table.add_row(
        f"trust decide, one event ({decide['samples']} samples)",
        f"p50 {decide['p50_ms']:.1f} ms, p99 {decide['p99_ms']:.1f} ms",
        _target(decide["p99_ms"] < 20, "p99 < 20 ms"),
    )
    again = report["redelivery"]
    table.add_row(
        f"SIGKILLed worker's {again['held_batches']} batches back in the queue",
        f"{again['redelivered_after_s']:.1f} s (all decided {again['all_decided_after_s']:.1f} s)",
        _target(again["redelivered_after_s"] < 60, "< 60 s")
        + f" (heartbeat {again['heartbeat_timeout_s']:g} s, sweep {again['sweep_interval_s']:g} s)",
    )
    return table

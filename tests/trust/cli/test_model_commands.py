"""``trust model …`` and ``trust bench model`` from the command line (issue 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.models.conftest import Marketplace, marketplace  # noqa: F401 (shared fixture)
from tests.models.tables import synthetic_fraud_table
from trust.cli.main import app
from trust.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(
    marketplace: Marketplace,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """The CLI pointed at the simulated store, with its own model registry."""
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_DATABASE_URL", marketplace.database_url)
    monkeypatch.setenv("TRUST_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_evaluate_prints_json_where_learning_from_a_tenth_of_labels_wins(tmp_path: Path) -> None:
    table = tmp_path / "never-seen.csv"
    synthetic_fraud_table().to_csv(table, index=False)
    result = runner.invoke(
        app,
        [
            "model",
            "evaluate",
            "--data",
            str(table),
            "--label",
            "IsBad?",
            "--id-column",
            "Customer Ref",
            "--label-fraction",
            "0.1",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 3000
    assert report["hidden"]["learned"]["roc_auc"] > report["hidden"]["unsupervised"]["roc_auc"]


def test_evaluate_reads_parquet_and_prints_a_metrics_table(tmp_path: Path) -> None:
    table = tmp_path / "t.parquet"
    synthetic_fraud_table(800).to_parquet(table)
    result = runner.invoke(app, ["model", "evaluate", "--data", str(table), "--label", "IsBad?"])
    assert result.exit_code == 0, result.output
    for text in ("ROC-AUC", "average precision", "precision at top 1%", "recall at top 5%"):
        assert text in result.stdout


def test_an_unknown_label_column_is_a_one_line_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    synthetic_fraud_table(200).to_csv(table, index=False)
    result = runner.invoke(app, ["model", "evaluate", "--data", str(table), "--label", "fraud"])
    assert result.exit_code == 1
    assert "column 'fraud' not in the table" in result.output


def test_train_list_activate_and_drift(cli_env: Path) -> None:
    first = runner.invoke(app, ["model", "train", "--kind", "profile_verification"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        app, ["model", "train", "--kind", "profile_verification", "--seed", "1", "--no-activate"]
    )
    assert second.exit_code == 0, second.output
    versions = sorted(p.name for p in (cli_env / "data" / "models").iterdir() if p.is_dir())
    assert len(versions) == 2
    listed = runner.invoke(app, ["model", "list"])
    assert all(v in listed.stdout for v in versions)
    inactive = next(v for v in versions if v not in first.stdout)
    activated = runner.invoke(app, ["model", "activate", inactive])
    assert activated.exit_code == 0 and "is now the active anomaly model" in activated.stdout
    drift = runner.invoke(app, ["model", "drift", "--kind", "profile_verification"])
    assert drift.exit_code == 0, drift.output
    assert "PSI" in drift.stdout and inactive in drift.stdout


def test_a_tampered_artefact_is_refused_with_a_clear_message(cli_env: Path) -> None:
    assert runner.invoke(app, ["model", "train", "--kind", "review"]).exit_code == 0
    [folder] = [p for p in (cli_env / "data" / "models").iterdir() if p.is_dir()]
    artefact = folder / "artefact.skops"
    data = bytearray(artefact.read_bytes())
    data[100] ^= 0xFF
    artefact.write_bytes(bytes(data))
    result = runner.invoke(app, ["model", "activate", folder.name])
    assert result.exit_code == 1
    assert "does not match the manifest" in result.output


def test_bench_model_prints_its_figures(cli_env: Path) -> None:
    result = runner.invoke(app, ["bench", "model", "--rows", "5000", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["training_rows"] == 5000
    assert figures["batch_rows_per_second"] > 0
    assert figures["single_event_p99_ms"] >= figures["single_event_p50_ms"] > 0


def _label_reviews(world: Marketplace) -> None:
    """Resolve a case per stored review of the marketplace, as staff would."""
    from trust.store import Store

    with Store.open(world.database_url) as store:
        world.label_reviews(store)


def test_learn_trains_the_confirm_probability_from_resolved_cases(
    cli_env: Path,
    marketplace: Marketplace,  # noqa: F811
) -> None:
    assert runner.invoke(app, ["model", "train", "--kind", "review"]).exit_code == 0
    _label_reviews(marketplace)
    result = runner.invoke(app, ["model", "learn", "--kind", "review"])
    assert result.exit_code == 0, result.output
    assert "review-learned-" in result.stdout and "confirmed" in result.stdout


def test_learn_text_registers_the_active_text_model_or_says_how_many_labels_it_needs(
    cli_env: Path,
    marketplace: Marketplace,  # noqa: F811
) -> None:
    from models.registry import ModelRegistry

    _label_reviews(marketplace)
    result = runner.invoke(app, ["model", "learn-text", "--kind", "review"])
    assert result.exit_code == 0, result.output
    assert "review-text-" in result.stdout and "(active)" in result.stdout
    registry = ModelRegistry(cli_env / "data" / "models")
    active = registry.active_version("review", "text")
    assert active is not None and active in result.stdout

    refused = runner.invoke(app, ["model", "learn-text", "--kind", "complaint"])
    assert refused.exit_code == 1
    assert "needs at least 10 confirmed and 10 dismissed" in refused.output


def test_evaluate_scores_with_the_configured_detector_settings_or_the_named_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "t.csv"
    synthetic_fraud_table(600).to_csv(table, index=False)
    command = [
        "model",
        "evaluate",
        "--data",
        str(table),
        "--label",
        "IsBad?",
        "--id-column",
        "Customer Ref",
        "--json",
    ]

    def run(*extra: str) -> dict:
        get_settings.cache_clear()
        result = runner.invoke(app, [*command, *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    monkeypatch.setenv("TRUST_MODEL__DETECTOR", "isolation_forest")
    monkeypatch.setenv("TRUST_MODEL__N_ESTIMATORS", "1")
    monkeypatch.setenv("TRUST_MODEL__MAX_SAMPLES", "16")
    one_tree = run()
    assert one_tree["detector"] == "isolation_forest"
    assert one_tree["detector_params"] == {"n_estimators": 1, "max_samples": 16}
    monkeypatch.setenv("TRUST_MODEL__N_ESTIMATORS", "200")
    many = run()
    assert many["unsupervised"]["roc_auc"] != one_tree["unsupervised"]["roc_auc"]
    named = run("--detector", "ecod")
    assert (named["detector"], named["detector_params"]) == ("ecod", {})
    get_settings.cache_clear()


def test_evaluate_sim_prints_the_budget_used_and_what_the_model_adds(
    cli_env: Path,
    marketplace: Marketplace,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUST_DECISION__MODEL_DAILY_CASES", "2")
    monkeypatch.setenv("COLUMNS", "400")  # the queue table's headers unwrapped
    get_settings.cache_clear()
    truth = ["--truth", str(marketplace.truth_path), "--kind", "review"]
    shown = runner.invoke(app, ["model", "evaluate-sim", *truth])
    assert shown.exit_code == 0, shown.output
    assert "model review budget 2 cases/day per kind" in shown.output
    assert "frauds / honest/day the model adds" in shown.output
    as_json = runner.invoke(app, ["model", "evaluate-sim", *truth, "--json"])
    assert as_json.exit_code == 0, as_json.output
    [review] = json.loads(as_json.stdout)
    assert review["daily_cases"] == 2.0
    added = review["model_added"]
    assert added["honest_per_day"] == pytest.approx(added["honest"] / review["days"])
    rules, both = review["queue_rules"]["flagged"], review["queue_combined"]["flagged"]
    assert added["frauds"] + added["honest"] == both - rules
    # The text model learns from a share of the reviews' labels and is measured on the rest.
    text = review["text"]
    assert text["learned_from"] + text["hidden"] == review["events"]
    assert text["flagged_with"] >= text["flagged_without"]  # its hit only adds points
    assert "the text model: learned from a share of the labels" in shown.output

"""The registry stores safe artefacts and refuses tampered or mismatched ones loudly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from models.anomaly import AnomalyModel
from models.registry import ARTEFACT, MANIFEST, ModelRegistry
from tests.models.helpers import trained_review_model
from trust.errors import ArtefactIntegrityError, ModelError


@pytest.fixture
def registry(tmp_path):
    return ModelRegistry(tmp_path / "models")


def _register(registry, detector="isolation_forest"):
    model = trained_review_model(detector)
    manifest = registry.register(
        "review", "anomaly", model.to_artefact(), {"features": model.spec.names}
    )
    return model, manifest


@pytest.mark.parametrize("detector", ["isolation_forest", "hbos", "local_outlier_factor"])
def test_a_registered_model_loads_back_and_scores_identically(registry, detector):
    model, manifest = _register(registry, detector)
    artefact, loaded_manifest = registry.load(manifest["version"])
    loaded = AnomalyModel.from_artefact("review", artefact)
    matrix = np.random.default_rng(0).normal(size=(5, len(model.spec.names)))
    np.testing.assert_allclose(loaded.percentiles(matrix), model.percentiles(matrix))
    assert loaded_manifest["libraries"]["scikit-learn"]
    assert loaded_manifest["features"] == model.spec.names


def test_the_manifest_records_a_sha256_and_library_versions(registry):
    _, manifest = _register(registry)
    assert len(manifest["sha256"]) == 64
    assert set(manifest["libraries"]) >= {"scikit-learn", "numpy", "skops", "pandas"}


def test_one_changed_byte_in_the_artefact_is_refused(registry):
    _, manifest = _register(registry)
    path = registry.root / manifest["version"] / ARTEFACT
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtefactIntegrityError, match=r"SHA-256 .* does not match the manifest"):
        registry.load(manifest["version"])


def test_an_artefact_from_another_scikit_learn_version_is_refused(registry):
    _, manifest = _register(registry)
    path = registry.root / manifest["version"] / MANIFEST
    recorded = json.loads(path.read_text())
    recorded["libraries"]["scikit-learn"] = "1.2.0"
    path.write_text(json.dumps(recorded))
    with pytest.raises(ArtefactIntegrityError, match=r"trained with scikit-learn 1\.2\.0 but"):
        registry.load(manifest["version"])


def test_an_artefact_holding_a_type_outside_the_allow_list_is_refused(registry):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    manifest = registry.register(
        "review", "anomaly", {"detector": FunctionTransformer(func=print)}, {}
    )
    assert "builtins.print" in sio.get_untrusted_types(
        data=(registry.root / manifest["version"] / ARTEFACT).read_bytes()
    )
    with pytest.raises(ArtefactIntegrityError, match=r"outside the allow-list: builtins\.print"):
        registry.load(manifest["version"])


def test_activating_a_version_makes_it_the_one_in_force_for_its_kind(registry):
    _, first = _register(registry)
    _, second = _register(registry)
    registry.activate(first["version"])
    registry.activate(second["version"])
    assert registry.active_version("review") == second["version"]
    listed = {m["version"]: m["active"] for m in registry.versions("review")}
    assert listed == {first["version"]: False, second["version"]: True}


def test_activating_an_unknown_version_is_refused(registry):
    with pytest.raises(ModelError, match="no model version 'nope'"):
        registry.activate("nope")

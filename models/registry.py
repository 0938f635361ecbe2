"""The registry of trained models: safe artefacts, manifests that vouch for them, one active each.

Layout under ``settings.data_dir / "models"``::

    <version>/artefact.skops   the fitted estimators and arrays, in skops format
    <version>/manifest.json    SHA-256 of the artefact, library versions, features, data, metrics
    active.json                {"review": "<version>", "review:learned": "<version>",
                                "review:text": "<version>", ...}

Loading never unpickles: skops rebuilds objects from a schema and refuses any type outside
:data:`TRUSTED_TYPES` (skops' own safe set plus this explicit list). A SHA-256 or library
version that differs from the manifest raises :class:`~trust.errors.ArtefactIntegrityError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import skops.io as sio

from trust.errors import ArtefactIntegrityError, ModelError
from trust.settings import Settings

ARTEFACT = "artefact.skops"
MANIFEST = "manifest.json"
ACTIVE = "active.json"
ROLES = ("anomaly", "learned", "text")

# Types beyond skops' built-in safe set that our artefacts legitimately contain.
TRUSTED_TYPES = (
    "models.detectors.HistogramOutlierDetector",
    "models.detectors.EmpiricalTailOutlierDetector",
    "models.detectors.RankEnsembleOutlierDetector",
    "models.detectors.EventNoveltyOutlierDetector",
    "sklearn.tree._tree.Tree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
# Fitted estimators are only guaranteed to behave the same under the same library release.
EXACT_LIBRARIES = ("scikit-learn", "skops")
SAME_MAJOR_LIBRARIES = ("numpy",)
RECORDED_LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "pandas")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries an artefact depends on."""
    return {name: installed_version(name) for name in RECORDED_LIBRARIES}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slot(kind: str, role: str) -> str:
    return kind if role == "anomaly" else f"{kind}:{role}"


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


def check_libraries(manifest: dict[str, Any]) -> None:
    """Refuse an artefact built with library versions that may not rebuild it faithfully."""
    recorded: dict[str, str] = manifest.get("libraries", {})
    installed = library_versions()
    version = manifest.get("version", "?")
    for name in EXACT_LIBRARIES:
        if recorded.get(name) != installed[name]:
            raise ArtefactIntegrityError(
                f"model {version} was trained with {name} {recorded.get(name)} but "
                f"{installed[name]} is installed; retrain it with `trust model train`"
            )
    for name in SAME_MAJOR_LIBRARIES:
        if str(recorded.get(name, "")).split(".")[0] != installed[name].split(".")[0]:
            raise ArtefactIntegrityError(
                f"model {version} was trained with {name} {recorded.get(name)} but "
                f"{installed[name]} is installed (different major version); retrain it"
            )


class ModelRegistry:
    """Versions on disk, the manifest of each, and which one is active per kind and role."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelRegistry:
        """The registry in the configured data folder."""
        return cls(settings.data_dir / "models")

    def register(
        self, kind: str, role: str, artefact: dict[str, Any], details: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a new version (inactive) and return its manifest."""
        if role not in ROLES:
            raise ModelError(f"unknown model role '{role}'; expected one of {ROLES}")
        data = sio.dumps(artefact)
        digest = _sha256(data)
        created = datetime.now(UTC)
        version = f"{kind}-{role}-{created:%Y%m%dT%H%M%S}-{digest[:8]}"
        # The same model retrained within the same second is still a distinct version.
        suffix = 1
        while (self.root / version).exists():
            suffix += 1
            version = f"{kind}-{role}-{created:%Y%m%dT%H%M%S}-{digest[:8]}-{suffix}"
        manifest = {
            "version": version,
            "kind": kind,
            "role": role,
            "created_at": created.isoformat(),
            "sha256": digest,
            "libraries": library_versions(),
            **details,
        }
        folder = self.root / version
        folder.mkdir(parents=True, exist_ok=False)
        (folder / ARTEFACT).write_bytes(data)
        _write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2, default=str))
        return manifest

    def manifest(self, version: str) -> dict[str, Any]:
        """The manifest of one version."""
        path = self.root / version / MANIFEST
        if not path.is_file():
            raise ModelError(f"no model version '{version}' in {self.root}")
        return json.loads(path.read_text())  # type: ignore[no-any-return]

    def versions(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every manifest (newest first), each with an ``active`` flag."""
        if not self.root.is_dir():
            return []
        active = set(self._active().values())
        found = []
        for path in self.root.glob(f"*/{MANIFEST}"):
            manifest = json.loads(path.read_text())
            if kind is None or manifest.get("kind") == kind:
                found.append({**manifest, "active": manifest["version"] in active})
        return sorted(found, key=lambda m: m["created_at"], reverse=True)

    def _active(self) -> dict[str, str]:
        path = self.root / ACTIVE
        return json.loads(path.read_text()) if path.is_file() else {}

    def active_stamp(self) -> tuple[int, int]:
        """Identifies the current active index; it changes with every activation."""
        try:
            found = (self.root / ACTIVE).stat()
        except FileNotFoundError:
            return (0, 0)
        # Each activation replaces the file, so the inode changes even within one clock tick.
        return (found.st_mtime_ns, found.st_ino)

    def active_version(self, kind: str, role: str = "anomaly") -> str | None:
        """The version in force for ``kind`` and ``role``, if any."""
        return self._active().get(_slot(kind, role))

    def activate(self, version: str) -> dict[str, Any]:
        """Make ``version`` the one in force for its kind and role (after checking it loads)."""
        manifest = self.manifest(version)
        self.load(version)
        active = self._active()
        active[_slot(manifest["kind"], manifest["role"])] = version
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / ACTIVE, json.dumps(active, indent=2, sort_keys=True))
        return manifest

    def load(self, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The artefact and its manifest, after the hash, library and type checks."""
        manifest = self.manifest(version)
        data = (self.root / version / ARTEFACT).read_bytes()
        digest = _sha256(data)
        if digest != manifest.get("sha256"):
            raise ArtefactIntegrityError(
                f"model {version}: artefact SHA-256 {digest[:16]}… does not match the manifest "
                f"({str(manifest.get('sha256'))[:16]}…); the file was modified or corrupted"
            )
        check_libraries(manifest)
        untrusted = sio.get_untrusted_types(data=data)
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise ArtefactIntegrityError(
                f"model {version} contains types outside the allow-list: {', '.join(refused)}"
            )
        artefact = sio.loads(data, trusted=untrusted)
        if not isinstance(artefact, dict):
            raise ArtefactIntegrityError(f"model {version}: artefact is not a model bundle")
        return artefact, manifest

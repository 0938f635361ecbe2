"""Typed configuration for every part of the pipeline, read from ``TRUST_*`` variables."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from trust.datadir import make_private
from trust.errors import ConfigurationError
from trust.events.kinds import EventKind

# Kinds of case with a service-level agreement: one per scored kind, appeals, rings.
CaseKind = Literal[EventKind, "appeal", "ring"]
SECRET_KEY_FILE = "secret.key"


class Thresholds(BaseModel):
    """Risk-score cut-offs (0-100) that turn a score into an outcome for one event kind."""

    review: float = Field(40.0, ge=0, le=100)
    block: float = Field(90.0, ge=0, le=100)


def merged_per_kind(defaults: Mapping[Any, Any], given: Any) -> Any:
    """``given`` laid over ``defaults`` kind by kind (and field by field within a kind).

    Setting one kind's value leaves every other kind at its default; anything but a mapping
    is returned as it came, for the field's own validation to refuse.
    """
    if not isinstance(given, Mapping):
        return given
    merged = dict(defaults)
    for kind, value in given.items():
        default = defaults.get(kind)
        if isinstance(value, Mapping) and isinstance(default, BaseModel):
            value = {**default.model_dump(), **value}
        merged[kind] = value
    return merged


# Cut-offs that differ from ``Thresholds()``'s; a kind not named here gets those.
_THRESHOLDS: dict[EventKind, Thresholds] = {
    "review": Thresholds(review=40, block=95),
    "reference_check": Thresholds(review=40, block=95),
    "complaint": Thresholds(review=30, block=95),
    "sign_in": Thresholds(review=40, block=95),
    "credential_change": Thresholds(review=40, block=95),
    "payout_method_change": Thresholds(review=40, block=95),
    # A withdrawal waits for the answer: review holds it, block refuses it (the default 90).
}


def default_thresholds() -> dict[EventKind, Thresholds]:
    """The cut-offs of every scored kind when nothing is configured."""
    return {kind: _THRESHOLDS.get(kind, Thresholds()) for kind in get_args(EventKind)}


def _model_alone_excluded() -> list[EventKind]:
    return ["sign_in", "credential_change"]


class DecisionSettings(BaseModel):
    """How rule hits and the model score combine into an outcome."""

    # Keyed by the kind type: an unknown kind is refused with its name; configuring one
    # kind keeps the defaults of the others (see ``merged_per_kind``).
    thresholds: dict[EventKind, Thresholds] = Field(default_factory=default_thresholds)
    # Weight of the anomaly model's 0-1 percentile in the 0-100 risk score: at most this many
    # points, which tip a rule score near a threshold. 15 rather than 25: on six simulated
    # worlds (seeds 404, 505, 606, 707; adversarial 404, 808) the points tipped one fraud
    # in all at 25 and at 15 (none at 10), while at 25 they sent 0.6-1.0 honest verifications
    # a day to review (queue precision 0.49-0.74); at 15 that is 0.2-0.4 a day (0.83-0.89 on
    # the four plain worlds, 0.62-0.76 on the adversarial ones).
    model_weight: float = Field(15.0, ge=0, le=100)
    # Model percentile above which the model alone sends an event to review.
    model_review_percentile: float = Field(0.995, ge=0, le=1)
    # Cases a day per kind the model alone may open: its most unusual events go to review
    # even when no rule fired (the cutoff is set from the kind's daily volume; 0 turns it off
    # and leaves ``model_review_percentile``). Off by default: on the same six worlds the
    # budget caught, in all kinds together, 0 frauds the rules missed at 0.5 a day, 1 at 1
    # and 7 at 3, while adding 0.1, 0.8 and 6.6 honest cases a day per world (up to 0.4 and
    # 2.1 in one kind), taking review, verification, reference-check, withdrawal and payment
    # queues below 0.8 precision. A rule-score floor (alone only when the rules gave >= 10
    # or 20 points) caught none either.
    # `trust model evaluate-sim` prints what it adds, per kind, before turning it on.
    model_daily_cases: float = Field(0.0, ge=0)
    # Kinds the model alone never sends to review (its points still count): sign-ins come by
    # the thousand and their commonest outliers are travellers -- on simulated worlds the
    # budget spent on sign-ins flagged 10% of honest travellers at 17% precision. Credential
    # changes are a few a day, so the budget's floor (the top decile) sends every tenth
    # forgotten password to review: on fresh worlds (seeds 101, 202, 303) it cut their
    # precision from 0.94-1.00 to 0.62-0.67 and caught 1 of 48 takeover changes the rules
    # missed (the takeover's withdrawal, held anyway, is the step money leaves on).
    model_alone_excluded_kinds: list[EventKind] = Field(default_factory=_model_alone_excluded)
    # The text model (`trust model learn-text`) on reviews and complaints: above
    # ``text_model_floor`` its probability that staff confirm the text adds up to
    # ``text_model_weight`` points (linear from the floor to 1) and a reason naming the terms.
    # 25 stays below every review threshold (complaints' 30), so it tips a rule score and
    # never decides alone. Seed 505 decided with models learned on seed 404's labels (plain
    # and adversarial): 25 at floor 0.8 tipped 10 frauds and no honest event; 15 tipped 1;
    # floor 0.7 at 40 sent 1-3 honest reviews to review, floor 0.5 at 25-40 up to 9.
    text_model_weight: float = Field(25.0, ge=0, le=100)
    text_model_floor: float = Field(0.8, ge=0, lt=1)

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds_per_kind(cls, given: Any) -> Any:
        return merged_per_kind(default_thresholds(), given)


# Hours to SLA breach per case kind; a scored kind not named here gets DEFAULT_SLA_HOURS.
DEFAULT_SLA_HOURS = 72.0
_SLA_HOURS: dict[CaseKind, float] = {
    "profile_verification": 24.0,
    "review": 72.0,
    "reference_check": 48.0,
    "complaint": 120.0,
    # Money waits on these: a held withdrawal or payout change is looked at within hours,
    # a held client within a working day.
    "sign_in": 24.0,
    "credential_change": 24.0,
    "payout_method_change": 8.0,
    "withdrawal_request": 4.0,
    "client_payment": 24.0,
    "appeal": 48.0,
    "ring": 72.0,
}


_BUSINESS_DAY_KINDS: list[CaseKind] = ["profile_verification", "appeal"]


def is_case_kind(kind: str) -> TypeGuard[CaseKind]:
    """True when ``kind`` is a kind of case the SLA settings name."""
    return kind in get_args(CaseKind)


def default_sla_hours() -> dict[CaseKind, float]:
    """Hours to SLA breach of every kind of case when nothing is configured."""
    return {kind: _SLA_HOURS.get(kind, DEFAULT_SLA_HOURS) for kind in get_args(CaseKind)}


class SlaSettings(BaseModel):
    """Hours until a case of each kind breaches its service-level agreement."""

    hours: dict[CaseKind, float] = Field(default_factory=default_sla_hours)
    lease_seconds: int = Field(900, gt=0)
    # For how long a bulk resolution may be undone (its cases reopened as they were); 0: never.
    bulk_undo_minutes: float = Field(15.0, ge=0)
    # Kinds whose SLA hours count Monday-Friday only ("a human within 1 business day").
    business_day_kinds: list[CaseKind] = Field(default_factory=lambda: list(_BUSINESS_DAY_KINDS))
    # A case with less than this many hours left is shown as due soon.
    due_soon_hours: float = Field(4.0, ge=0)

    @field_validator("hours", mode="before")
    @classmethod
    def _hours_per_kind(cls, given: Any) -> Any:
        return merged_per_kind(default_sla_hours(), given)


class QaSettings(BaseModel):
    """Which resolved cases a second reviewer re-reviews blind (``trust.qa``)."""

    # Share of resolved cases sampled (deterministically, by a hash of the case id).
    sample_rate: float = Field(0.05, ge=0, le=1)
    # Every case an analyst resolves alone (no four-eyes) at or above this risk is sampled.
    solo_risk_threshold: float = Field(80.0, ge=0, le=100)


class AttachmentSettings(BaseModel):
    """Where the files an event names in ``evidence_refs`` are found (``trust.attachments``)."""

    # A folder holding one file per reference, named ``<ref>.<extension>``; None: the
    # ``attachments`` folder inside the data folder.
    dir: Path | None = None
    # The marketplace's address of a reference, e.g. ``https://files.example.com/{ref}``;
    # when set it is used instead of the folder.
    url_template: str | None = None
    # Largest file the dashboard shows inline.
    max_bytes: int = Field(20_000_000, gt=0)

    @field_validator("url_template")
    @classmethod
    def _names_the_reference(cls, value: str | None) -> str | None:
        if value is not None and ("{ref}" not in value or not value.startswith("https://")):
            raise ValueError(
                "TRUST_ATTACHMENTS__URL_TEMPLATE must be an https:// address containing {ref}"
            )
        return value


class GraphSettings(BaseModel):
    """The clustering pass that turns suspicious clusters into cluster cases (``trust.graph``)."""

    # Seconds between passes of ``trust graph watch`` (started by ``trust up``); 0 turns it off.
    interval_s: float = Field(300.0, ge=0)
    # A pass sends cluster members' events to review only once the graph holds this many days
    # of history: before that every reviewer looks single-purpose and every small group of
    # traders an island (cases are still opened for staff).
    revise_after_days: float = Field(14.0, ge=0)


class WorkerSettings(BaseModel):
    """Batching and retry knobs for the dramatiq workers."""

    batch_size: int = Field(250, gt=0, le=5000)
    queue_name: str = "trust-events"
    redis_namespace: str = "trust"
    max_retries: int = Field(8, ge=0)
    processes: int = Field(2, gt=0)
    # One thread per process: the work is CPU-bound Python, so a second thread only shares
    # the process's GIL; measured on 2 cores (trust bench pipeline, 2 processes), 1 thread
    # decided ~3,400 events/s with p99 ~0.5 s at 2,000/s, 2 threads ~2,300/s and p99 ~1.3 s.
    threads: int = Field(1, gt=0)
    # A worker silent this long is presumed dead and its batches go back to the queue.
    heartbeat_timeout_ms: int = Field(15_000, ge=2_000)
    # How often each worker process looks for batches held by dead workers.
    sweep_interval_s: float = Field(5.0, gt=0)
    min_backoff_ms: int = Field(500, gt=0)
    max_backoff_ms: int = Field(30_000, gt=0)
    # The rule engine holds the GIL, so rules using this much CPU on one event end their
    # worker process (workers/watchdog.py) before its heartbeat lapses; crash_retries
    # then isolates the event.
    rules_hard_limit_ms: int = Field(5_000, gt=0)
    # Deliveries of a batch that ended with its worker dead before it is decided one event
    # at a time; an event in flight when a worker dies then is dead-lettered.
    crash_retries: int = Field(2, ge=1, le=10)
    # Between batches, each worker looks at the rules folder at most this often and loads a
    # changed pack; a refused one leaves the running pack in force. 0 turns it off.
    rules_reload_s: float = Field(5.0, ge=0)

    @model_validator(mode="after")
    def _hard_limit_before_heartbeat(self) -> WorkerSettings:
        if self.rules_hard_limit_ms >= self.heartbeat_timeout_ms:
            raise ValueError(
                f"rules_hard_limit_ms ({self.rules_hard_limit_ms}) must be below "
                f"heartbeat_timeout_ms ({self.heartbeat_timeout_ms}), or a slow rule makes "
                "the queue deliver its batch again while it still runs"
            )
        return self


class DisputeSettings(BaseModel):
    """The dispute timer (``TRUST_DISPUTES__*``)."""

    # How often each worker process enqueues a check for missed dispute deadlines (at most
    # one check per interval is queued for the whole fleet).
    timer_interval_s: float = Field(60.0, ge=1.0, le=3600.0)


class ModelSettings(BaseModel):
    """How anomaly models are trained and explained (see ``models/detectors.py`` to choose)."""

    # Chosen by validation across 18 tables (scikit-learn's bundled sets, heavy-tailed
    # synthetic ones, three simulator seeds): see models/detectors.py.
    detector: Literal["ensemble", "isolation_forest", "ecod", "hbos", "local_outlier_factor"] = (
        "ensemble"
    )
    n_estimators: int = Field(100, gt=0, le=1000)
    max_samples: int = Field(4096, ge=16)
    # Newest events of a kind used for training; older ones add little and cost time.
    max_training_events: int = Field(500_000, gt=0)
    explanation_features: int = Field(3, ge=0, le=10)
    # Event kinds: a second detector over the event's own facts (not its history signals)
    # overrules the whole one for the rarest share of events it sees, so an event unlike
    # any before reaches the review cutoff (models/detectors.py, EventNoveltyOutlierDetector).
    # 0 turns it off.
    event_novelty_share: float = Field(0.002, ge=0.0, lt=0.5)
    # That second detector. Local outlier factor (robustly scaled distances to the nearest
    # events) ranks an event by how FAR beyond the crowd its facts lie; the forest and
    # tail-probability members of ``ensemble`` only see that it lies beyond, so a profile
    # listing 25 skills where nobody lists over 7 tied with any rarely-set flag, and
    # identity-document frauds the rules already catch filled the novelty share ahead of it.
    # Subtle anomalies caught on the four tuning worlds: 17 of 31 -> 30 of 31, honest events
    # the model adds 0.44-0.51 -> 0.44-0.57 a day (README, "how far, not only whether").
    event_novelty_detector: Literal[
        "ensemble", "isolation_forest", "ecod", "hbos", "local_outlier_factor"
    ] = "local_outlier_factor"


class EncryptionSettings(BaseModel):
    """Keys that seal personal data at rest (see ``trust/encryption.py`` for rotation)."""

    # Key material for new seals; unset means derived from the secret key.
    key: str | None = Field(None, min_length=32)
    # Older key materials, kept only to open what they sealed until ``trust encryption reseal``.
    previous_keys: list[str] = Field(default_factory=list)


class DashboardSettings(BaseModel):
    """Sessions and sign-in of the staff dashboard."""

    # A signed-in session with no activity for this long is signed out.
    idle_timeout_minutes: float = Field(30.0, gt=0)
    # Failed sign-ins one client may make per window before it must wait.
    max_failed_sign_ins: int = Field(5, gt=0)
    sign_in_window_seconds: int = Field(300, gt=0)


class ApiSettings(BaseModel):
    """The HTTP API (``trust serve``): where it listens, how much it takes, how fast."""

    port: int = Field(8600, gt=0, lt=65536)
    # uvicorn worker processes; each builds the pipeline once. One process decides on one
    # core (the GIL); two use both cores of a small machine: POST /v1/decisions 610-930 ->
    # 1,030-1,270 requests/s and POST /v1/events 8-10k -> 16-25k events/s (trust bench api,
    # SQLite, 2 cores; README "HTTP API").
    processes: int = Field(2, gt=0, le=64)
    # Requests per second each key may make (per API process), and the burst above it.
    rate_per_second: float = Field(2_000.0, gt=0)
    burst: int = Field(4_000, gt=0)
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_batch: int = Field(1_000, gt=0, le=10_000)
    # Concurrent POST /v1/decisions requests decided together in one transaction, at most.
    decision_batch: int = Field(64, gt=0, le=1_000)
    # How long a group waits for as many requests as were in flight while the last one ran
    # (the clients it answered, and those that waited for it; trust.api.batcher); 0 decides
    # whatever is waiting at once.
    decision_linger_ms: float = Field(2.0, ge=0, le=100)
    # A process of a multi-process ``trust serve`` whose event loop stops turning, or whose
    # group of decisions runs, for longer than this is killed and started again
    # (workers.heartbeat). Above the longest a healthy group can wait for a SQLite store
    # (the writers' turn, then the busy timeout: 30 s each) plus its own work.
    stall_seconds: float = Field(90.0, ge=1.0, le=3_600.0)


class WebhookSettings(BaseModel):
    """Delivery of webhooks out: retries, back-off, when a subscription is switched off."""

    timeout_s: float = Field(5.0, gt=0)
    max_attempts: int = Field(8, ge=1, le=30)
    min_backoff_ms: int = Field(1_000, gt=0)
    max_backoff_ms: int = Field(600_000, gt=0)
    # A subscription whose deliveries fail this many times in a row is disabled.
    disable_after: int = Field(20, ge=1)
    poll_interval_s: float = Field(1.0, gt=0)


class Settings(BaseSettings):
    """Everything the pipeline reads from its environment (prefix ``TRUST_``)."""

    model_config = SettingsConfigDict(
        env_prefix="TRUST_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    bind_host: str = "127.0.0.1"
    dashboard_port: int = Field(8501, gt=0, lt=65536)
    metrics_port: int = Field(9191, gt=0, lt=65536)
    rules_dir: Path = Path(__file__).resolve().parent.parent / "rules"
    # A rule that takes longer than this on one event is left out of that event's decision
    # and recorded as a rule error on it (rules take microseconds; see trust/rules/bounds.py).
    rule_budget_ms: float = Field(50.0, gt=0)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    qa: QaSettings = Field(default_factory=QaSettings)
    encryption: EncryptionSettings = Field(default_factory=EncryptionSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    disputes: DisputeSettings = Field(default_factory=DisputeSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)

    _generated_key: tuple[Path, bytes] | None = PrivateAttr(default=None)

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("TRUST_SECRET_KEY must be at least 32 characters")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured database URL, or a SQLite file inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'trust.db').resolve()}"

    @property
    def uses_embedded_redis(self) -> bool:
        """True when no external Redis is configured and the command must start its own."""
        return not self.redis_url

    def resolved_secret_key(self) -> bytes:
        """The key for hashing personal data: configured, or generated once into the data folder."""
        if self.secret_key:
            return self.secret_key.encode()
        # Read the key file once per settings object and data folder, not once per batch.
        path = self.data_dir / SECRET_KEY_FILE
        if self._generated_key is None or self._generated_key[0] != path:
            self._generated_key = (path, self._generated_secret_key(path))
        return self._generated_key[1]

    def encryption_key_materials(self) -> list[bytes]:
        """Key materials for sealing personal data: the current one first, then older ones."""
        key = self.encryption.key
        current = key.encode() if key else self.resolved_secret_key()
        return [current, *(key.encode() for key in self.encryption.previous_keys)]

    def _generated_secret_key(self, path: Path) -> bytes:
        if self.environment == "production":
            raise ConfigurationError(
                "TRUST_SECRET_KEY must be set in production; a generated key is for development"
            )
        if path.exists():
            return path.read_text().strip().encode()
        make_private(self.data_dir)
        key = secrets.token_hex(32)
        # Exclusive create: two processes starting together must agree on one key.
        try:
            with path.open("x") as handle:
                handle.write(key)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip().encode()
        return key.encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

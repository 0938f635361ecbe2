"""The one error tree of the pipeline.

::

    TrustError
    ├── ConfigurationError
    ├── InputFileError
    ├── StoreError
    │   └── TransientStoreError
    ├── RulePackError
    ├── ModelError
    │   └── ArtefactIntegrityError
    ├── CaseError
    │   ├── ClaimConflictError
    │   └── DisputeError
    ├── PermissionDeniedError
    │   └── FourEyesError
    ├── AuthenticationError
    ├── StaffError
    ├── PoisonEventError
    ├── QueueUnavailableError
    │   └── QueueInterruptedError
    ├── EnforcementError
    ├── ApiKeyError
    ├── WebhookError
    └── WebhookVerificationError

The CLI turns each into one line, a hint and an exit code (``trust.cli.boundary``).
"""

from __future__ import annotations


class TrustError(Exception):
    """Raised as the base of every error the pipeline raises on purpose."""


class ConfigurationError(TrustError):
    """Raised when settings are missing, contradictory or unsafe."""


class InputFileError(TrustError):
    """Raised when an input file cannot be read as asked (missing, a folder, unreadable)."""

    def __init__(self, path: str, problem: str, hint: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        super().__init__(f"cannot read {path}: {problem}")


class StoreError(TrustError):
    """Raised when the store cannot be reached or refuses a write."""


class TransientStoreError(StoreError):
    """Raised when a store failure is worth retrying (locked, unreachable, serialization)."""


class RulePackError(TrustError):
    """Raised when a rule pack is refused; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("rule pack refused:\n" + "\n".join(f"  - {p}" for p in problems))


class ModelError(TrustError):
    """Raised when a model artefact cannot be trained, loaded or trusted."""


class ArtefactIntegrityError(ModelError):
    """Raised when a model artefact's hash or library versions do not match its manifest."""


class CaseError(TrustError):
    """Raised when a case action is not allowed in the case's current state."""


class ClaimConflictError(CaseError):
    """Raised when a case is already claimed by someone else."""


class PermissionDeniedError(TrustError):
    """Raised when a staff member's role does not allow an action."""


class AuthenticationError(TrustError):
    """Raised when a login fails or is throttled."""


class FourEyesError(PermissionDeniedError):
    """Raised when the proposer of a severe action tries to approve it themselves."""


class StaffError(TrustError):
    """Raised when a staff account cannot be created or changed as asked."""


class PoisonEventError(TrustError):
    """Raised when one event keeps failing for a reason that is not transient (dead-lettered)."""

    def __init__(self, event_id: str | None, cause: str) -> None:
        self.event_id = event_id
        self.cause = cause
        super().__init__(f"event {event_id or '(no id)'} cannot be processed: {cause}")


class QueueUnavailableError(TrustError):
    """Raised when events cannot be enqueued because no queue is configured or reachable."""


class QueueInterruptedError(QueueUnavailableError):
    """Raised when the queue stayed unreachable in the middle of an ingest batch.

    ``done`` is what the sink did with the batch before it stopped (a
    ``trust.intake.sinks.BatchOutcome``: its queued events, its quarantined records);
    ``not_queued`` counts the batch's new events that were not queued, the first of them
    read from line ``from_line``.
    """

    def __init__(
        self, message: str, *, done: object, not_queued: int, from_line: int | None
    ) -> None:
        super().__init__(message)
        self.done = done
        self.not_queued = not_queued
        self.from_line = from_line


class EnforcementError(TrustError):
    """Raised when an enforcement change is one the rules do not allow (e.g. lifting nothing)."""


class DisputeError(CaseError):
    """Raised when a fact or action does not fit the dispute's stage (or it is over)."""


class WebhookVerificationError(TrustError):
    """Raised by ``trust.webhooks.verify`` when a webhook is forged, altered or replayed."""


class ApiKeyError(TrustError):
    """Raised when an API key asked for does not exist or is already revoked."""


class WebhookError(TrustError):
    """Raised when a webhook subscription asked for does not exist."""

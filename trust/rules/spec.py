"""The YAML schema of a rule file: rules, their reasons and their example events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from trust.events.kinds import EventKind

RuleState = Literal["live", "shadow", "disabled"]
# The id prefix says the kind at a glance and keeps ids unique across folders.
KIND_PREFIXES = {
    "profile_verification": "pv",
    "review": "rv",
    "reference_check": "rc",
    "complaint": "cp",
    "sign_in": "si",
    "credential_change": "cc",
    "payout_method_change": "po",
    "withdrawal_request": "wd",
    "client_payment": "pm",
}
RuleId = Annotated[
    str, StringConstraints(pattern=r"^(pv|rv|rc|cp|si|cc|po|wd|pm)_[a-z0-9]+(_[a-z0-9]+)*_v[0-9]+$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Strict):
    """Why a rule fired: a stable code for statistics and a sentence for staff."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
    text: Text


class Example(_Strict):
    """An example event (overrides of the kind's baseline) with the expected hit or miss."""

    name: Text
    expect: Literal["hit", "miss"]
    event: dict[str, Any] = Field(default_factory=dict)
    signals: dict[str, Any] = Field(default_factory=dict)


class RuleSpec(_Strict):
    """One rule as written in YAML (SPEC section 5)."""

    id: RuleId
    kind: EventKind
    description: Text
    when: Text
    score: Annotated[float, Field(ge=0, le=100)]
    severity: Annotated[int, Field(ge=1, le=5)]
    reason: Reason
    policy: Text
    outcome: Literal["review", "block"] | None = None
    state: RuleState
    owner: Text
    examples: list[Example] = Field(default_factory=list)

    @model_validator(mode="after")
    def _id_names_kind(self) -> RuleSpec:
        prefix = KIND_PREFIXES[self.kind]
        if not self.id.startswith(prefix + "_"):
            raise ValueError(f"id {self.id!r} must start with '{prefix}_' for kind {self.kind}")
        return self


class RuleFile(_Strict):
    """A rule file: a list of rules of one kind."""

    rules: list[dict[str, Any]]


class Baseline(_Strict):
    """A kind's neutral example event and signals, which examples override."""

    event: dict[str, Any]
    signals: dict[str, Any] = Field(default_factory=dict)


FIELD_HINTS = {
    "id": "ids look like rv_reciprocal_review_v1: kind prefix, words, version",
    "state": "use live, shadow or disabled",
    "score": "a number from 0 to 100",
    "severity": "an integer from 1 (minor) to 5 (critical)",
    "outcome": "leave it out, or force 'review' or 'block'",
    "reason": "reason: {code: snake_case_code, text: a sentence staff can read}",
    "kind": "one of " + ", ".join(KIND_PREFIXES),
    "when": "a CEL condition over event and signals that returns true or false",
}

"""The statement of reasons (EU DSA Art. 17) written for every restriction we decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # decisions.py imports this module to write the statement
    from trust.decisions import FeatureContribution, RuleHit

APPEAL_MONTHS = 6
# What each outcome restricts, per kind: the first thing Art. 17 asks us to state.
RESTRICTIONS: dict[str, dict[str, str]] = {
    "profile_verification": {
        "review": "Your identity verification is on hold until a member of staff checks it.",
        "block": "Your identity verification was rejected and the account is restricted.",
    },
    "review": {
        "review": "Your feedback is hidden from the public profile until staff check it.",
        "block": "Your feedback was removed and will not be shown.",
    },
    "reference_check": {
        "review": "The reference is not shown on the profile until staff check it.",
        "block": "The reference was rejected and will not be shown.",
    },
    "complaint": {
        "review": "The complaint has been routed to our trust and safety team for handling.",
        "block": "The account named in the complaint is restricted while the case is handled.",
    },
    "sign_in": {
        "review": "The sign-in is being checked by staff; the account's payouts may wait.",
        "block": "The sign-in was refused and the session ended.",
    },
    "credential_change": {
        "review": "The change of sign-in details is being checked by staff.",
        "block": "The change of sign-in details was refused.",
    },
    "payout_method_change": {
        "review": "The new payout method is not used until staff check it.",
        "block": "The payout method was refused.",
    },
    "withdrawal_request": {
        "review": "Withdrawals from the account are on hold until staff check this one.",
        "block": "The withdrawal was refused and withdrawals from the account are on hold.",
    },
    "client_payment": {
        "review": "The payment is being checked by staff.",
        "block": "New contracts of the account are suspended until the reversed payment is repaid.",
    },
}


def statement_of_reasons(
    kind: str,
    outcome: str,
    hits: Sequence[RuleHit],
    explanation: Sequence[FeatureContribution],
    *,
    pack_version: str,
    model_version: str | None,
) -> str:
    """What was restricted, the facts, whether automation decided, the ground, how to appeal."""
    if outcome == "allow":
        return "No restriction was applied. The event was checked automatically and accepted."
    facts = [h.reason for h in hits] + [c.sentence for c in explanation]
    if not facts:
        facts = ["The event was selected for a routine check."]
    grounds = sorted({h.policy for h in hits}) or ["Terms of Service: trust and safety checks"]
    tools = f"rule pack {pack_version[:12]}" + (
        f" and anomaly model {model_version}" if model_version else ""
    )
    human = (
        "A member of staff will review it before any further action."
        if outcome == "review"
        else "It takes effect now; a member of staff will confirm it (four-eyes) and you "
        "can ask for human review at any time."
    )
    return "\n".join(
        [
            f"What: {RESTRICTIONS.get(kind, {}).get(outcome, 'A restriction was applied.')}",
            "Facts: " + " ".join(f if f.endswith(".") else f + "." for f in facts),
            f"Automation: this decision was taken by automated means ({tools}). {human}",
            "Ground: " + "; ".join(grounds) + ".",
            f"Appeal: you can appeal within {APPEAL_MONTHS} months from the help centre "
            "(Appeals). Appeals succeed with new information, a policy change or a proven error.",
        ]
    )

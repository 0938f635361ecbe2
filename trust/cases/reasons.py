"""Reason codes a resolution must carry, in words staff pick from a list.

The code is stored on the case (``resolution.reason_code``) and in the audit log; the text
is what the form shows. ``SUGGESTED`` narrows the list to the codes that fit an action.
"""

from __future__ import annotations

RESOLUTION_REASONS: dict[str, str] = {
    "false_positive": "The flag was wrong: nothing suspicious on a closer look",
    "legitimate_activity": "Unusual but legitimate (explained by context)",
    "insufficient_evidence": "Not enough evidence to act",
    "verified_identity": "Identity and documents check out",
    "document_tampered": "The document was edited or forged",
    "identity_mismatch": "Name, photo or country do not match the account",
    "duplicate_account": "A second account of a person who already has one",
    "ban_evasion": "A new account of someone who was blocked",
    "fake_review": "Feedback building: self-dealing, bought or ring review",
    "coerced_review": "Review obtained by threats, payment or refund",
    "fake_reference": "The reference is not a real, independent client",
    "off_platform_payment": "Asked to pay or be paid outside the platform",
    "account_takeover": "Someone else is using the account",
    "non_payment": "The client did not pay for delivered work",
    "work_not_delivered": "The freelancer did not deliver what was agreed",
    "partial_delivery": "Part of the work was delivered",
    "abusive_behaviour": "Harassment, threats or serial bad-faith complaints",
    "needs_documents": "More documents are needed from the user",
    "needs_senior_review": "Needs a lead or a specialist",
    "policy_violation": "Another breach of the terms of service",
}

_DISMISS = ("false_positive", "legitimate_activity", "insufficient_evidence")
_FRAUD = (
    "document_tampered",
    "identity_mismatch",
    "duplicate_account",
    "ban_evasion",
    "fake_review",
    "coerced_review",
    "fake_reference",
    "off_platform_payment",
    "account_takeover",
    "abusive_behaviour",
    "policy_violation",
)
_DISPUTE = ("non_payment", "work_not_delivered", "partial_delivery", "insufficient_evidence")

SUGGESTED: dict[str, tuple[str, ...]] = {
    "approve": ("verified_identity", *_DISMISS),
    "dismiss": _DISMISS,
    "remove_review": ("fake_review", "coerced_review", "policy_violation"),
    "reject_verification": (
        "document_tampered",
        "identity_mismatch",
        "duplicate_account",
        "ban_evasion",
    ),
    "request_documents": ("needs_documents", "identity_mismatch"),
    "hold_account": _FRAUD,
    "block_account": _FRAUD,
    "escalate": ("needs_senior_review", *_FRAUD),
    "release": _DISPUTE,
    "refund": _DISPUTE,
    "split": _DISPUTE,
}

"""Text signals: name similarity, off-platform contact, coercion language, near-duplicates."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

_NON_LETTER = re.compile(r"[^a-z0-9 ]+")

# Each channel a user can be pulled to outside the platform, with how it shows up in text.
OFF_PLATFORM_CHANNELS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone": re.compile(r"(?<![\w])\+?\d[\d ()-]{7,}\d"),
    "telegram": re.compile(r"\btelegram\b|\bt\.me/|\btg\b", re.I),
    "whatsapp": re.compile(r"\bwhats ?app\b|\bwa\.me/", re.I),
    "paypal": re.compile(r"\bpay ?pal\b", re.I),
    "crypto": re.compile(
        r"\b(bitcoin|btc|usdt|tether|ethereum|eth|crypto|wallet)\b|\b0x[0-9a-f]{40}\b"
        r"|\bbc1[0-9a-z]{20,}\b",
        re.I,
    ),
    "bank_transfer": re.compile(r"\b(bank|wire) transfer\b|\bwestern union\b", re.I),
    "outside_platform": re.compile(
        r"\b(outside|off) (of )?the (platform|site)\b|\bavoid(ing)? the fees?\b", re.I
    ),
}

# Threats and trades around feedback, written as vocabulary rather than quoted sentences: a
# sentence that names the feedback (a review, a rating, stars) and some leverage over it (a
# condition, a threat of dispute or chargeback, money asked or offered for it). Phrasings
# copied from the simulator would only measure the simulator (tests/trust/rules/
# test_rules_do_not_quote_simulator.py keeps them apart).
FEEDBACK_TERMS = re.compile(
    r"\b(reviews?|feedback|ratings?|rated|rate|stars?|scores?|marks?|grades?|reputation"
    r"|job success)\b",
    re.I,
)
LEVERAGE_TERMS = re.compile(
    r"\b(unless|otherwise|or else|else|until|till|once|in (exchange|return)|as long as"
    r"|provided|as promised)\b"
    r"|\bor (i|we|the|he|she|they)\b|\bif (you|i|we)\b"
    r"|\b(refund\w*|chargebacks?|disput\w*|bonus\w*|compensat\w*|reimburs\w*|"
    r"money back|paid|pay(s|ing)?|discount\w*|cash|invoices?|waiv\w*|revers\w*"
    r"|(send|sent|give|gave|hand|pay) back)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")
# Kept as a tuple so tools listing rule vocabularies (and the meta-test) see every pattern.
COERCION_PATTERNS: tuple[re.Pattern[str], ...] = (FEEDBACK_TERMS, LEVERAGE_TERMS)


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'José Núñez-Pérez' -> 'jose nunez perez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_LETTER.sub(" ", ascii_text).split())


def _expand_initials(tokens: list[str], other: list[str]) -> list[str]:
    """Replace an initial ('j') by the other name's token starting with it ('john')."""
    out = []
    for token in tokens:
        if len(token) == 1:
            match = next((o for o in other if len(o) > 1 and o.startswith(token)), token)
            out.append(match)
        else:
            out.append(token)
    return out


@lru_cache(maxsize=8192)
def name_similarity(a: str, b: str) -> float:
    """0-100 similarity of two person names, blind to order, accents, case and initials."""
    ta, tb = fold(a).split(), fold(b).split()
    if not ta or not tb:
        return 0.0
    ta, tb = _expand_initials(ta, tb), _expand_initials(tb, ta)
    left, right = " ".join(ta), " ".join(tb)
    # token_set tolerates a middle name present on one side only; slightly discounted.
    return round(
        max(fuzz.token_sort_ratio(left, right), 0.95 * fuzz.token_set_ratio(left, right)), 1
    )


def off_platform_channels(text: str | None) -> list[str]:
    """The off-platform channels a text mentions, in a stable order."""
    if not text:
        return []
    return [name for name, pattern in OFF_PLATFORM_CHANNELS.items() if pattern.search(text)]


def has_coercion_language(text: str | None) -> bool:
    """True when a text threatens or trades feedback for money."""
    if not text:
        return False
    return any(
        FEEDBACK_TERMS.search(sentence) is not None and LEVERAGE_TERMS.search(sentence) is not None
        for sentence in _SENTENCE.split(text)
    )


@lru_cache(maxsize=65536)
def text_fingerprint(text: str | None) -> str | None:
    """A normalised form for near-duplicate detection (None for short or empty text)."""
    if not text:
        return None
    folded = fold(text)
    return folded if len(folded) >= 20 else None


def near_duplicate(text: str, others: list[str], threshold: float = 90.0, fuzzy: int = 20) -> bool:
    """True when fingerprint ``text`` equals one of ``others`` or nearly matches a recent one.

    Exact matches are checked against all of ``others``; the fuzzy comparison only against
    the last ``fuzzy`` of them, so a popular account's history does not make it quadratic.
    """
    if text in set(others):
        return True
    return any(fuzz.ratio(text, t) >= threshold for t in others[-fuzzy:])

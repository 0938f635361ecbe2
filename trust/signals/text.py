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

# Threats and trades around feedback: "5 stars or I dispute", "refund and I change the review".
COERCION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"\b(5|five) stars? or\b",
        r"\bor (i|we)('ll| will)? (dispute|open a dispute|charge ?back|leave)",
        r"\bunless (you|i) (refund|pay|give)",
        r"\b(1|one) star (until|unless)\b",
        r"\b(change|update|remove) (this|the|my) (review|feedback|rating)\b",
        r"\bin exchange for\b.*\b(review|stars?|feedback|bonus)\b",
        r"\b(review|stars?|feedback)\b.*\bin exchange for\b",
        r"\b(paid|pay|bonus|refund)\w* for (a |the |my )?(good |positive |5.star )?"
        r"(review|feedback)",
        r"\b(perfect|good|positive) review or\b",
        r"\botherwise a bad review\b",
        r"\bgive me my money back\b",
        r"\bagreed to refund\b",
    )
)


# One alternation scans a text once instead of once per phrasing.
_ANY_COERCION = re.compile("|".join(f"(?:{p.pattern})" for p in COERCION_PATTERNS), re.I)


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
    return _ANY_COERCION.search(text) is not None


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

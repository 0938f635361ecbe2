"""How long masking a refused record takes, for shapes that once made it quadratic."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from trust.refused import masked_raw

SHAPES: dict[str, Callable[[int], str]] = {
    "one long word": lambda n: "a" * n,
    "letters and digits": lambda n: "a1" * (n // 2),
    "digits and spaces": lambda n: "1 " * (n // 2),
    "JSON with a long text": lambda n: json.dumps({"text": "x." * (n // 2)}),
    "e-mails in text": lambda n: "write to jane.doe@mail.com, " * (n // 28),
}


@dataclass(frozen=True, slots=True)
class MaskingTiming:
    """Seconds to mask one record of a shape and size."""

    shape: str
    size: int
    seconds: float


def bench_masking(largest: int) -> list[MaskingTiming]:
    """Each shape at a hundredth, a tenth and all of ``largest`` characters."""
    out = []
    for name, build in SHAPES.items():
        for size in (largest // 100, largest // 10, largest):
            text = build(size)
            began = time.perf_counter()
            masked_raw(text)
            out.append(MaskingTiming(name, len(text), time.perf_counter() - began))
    return out

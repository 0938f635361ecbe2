"""The vocabulary of signals: their value types and the names each event kind produces."""

from __future__ import annotations

from typing import Literal

from trust.decisions import Signals, SignalValue

SignalType = Literal["bool", "int", "float", "string"]

# A representative value of each type, used to type-check rule expressions at load time.
SAMPLE_VALUES: dict[SignalType, SignalValue] = {
    "bool": False,
    "int": 0,
    "float": 0.0,
    "string": "",
}

__all__ = ["SAMPLE_VALUES", "SignalType", "SignalValue", "Signals"]

"""The shapes cost data takes between the sources, the store and the reports: a cost line
handed in directly (`LineRow`), a day's cost per group and service (`DailyCost`), and what
loading reports its progress to (`Progress`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class Progress(Protocol):
    """What loading reports to: a phase with an optional total, then steps."""

    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


@dataclass(frozen=True)
class DailyCost:
    """Cost of one provider, group (tag value, '' when untagged), day, service, currency."""

    provider: str
    group: str
    day: date
    service: str
    currency: str
    billed: float
    effective: float | None


@dataclass(frozen=True)
class LineRow:
    """A cost line handed in directly (the Usage API's items)."""

    day: date
    service: str
    currency: str
    billed: float
    tags: str
    """JSON object text."""

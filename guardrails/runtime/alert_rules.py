"""Budget alert rules: what `CostCenterBudgets` declares on each OCI budget and what
`guardrails cost enforce` acts on, in one place both can import without the Pulumi SDKs
(`cost enforce` would otherwise load them, 0.34 s, for these few lines)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertRule:
    """Alert when actual or forecast spend reaches `threshold` percent of the budget."""

    type: str
    threshold: float

    @property
    def slug(self) -> str:
        return f"{self.type.lower()}-{self.threshold:g}".replace(".", "_")


DEFAULT_ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("ACTUAL", 80),
    AlertRule("ACTUAL", 100),
    AlertRule("FORECAST", 100),
)
"""The rules a budget gets when the stack declares none."""

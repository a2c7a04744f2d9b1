"""`MqlQuery`: the text of an OCI Monitoring alarm query, built from checked parts.

OCI Monitoring alarms are written in MQL, for example
`CpuUtilization[5m]{resourceId = "ocid1..."}.mean() > 80`. Building the text from parts (and
refusing malformed parts) avoids alarms that OCI accepts but that never fire, such as a
dimension value with a stray quote or an interval the service does not support.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from guardrails.runtime.validation import ComponentArgumentError

_METRIC = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


_DIMENSION_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


_INTERVAL = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<unit>[mhd])$")


_INTERVAL_MINUTES = {"m": 1, "h": 60, "d": 1440}


STATISTICS = ("mean", "sum", "max", "min", "count", "rate", "last")


OPERATORS = (">", ">=", "<", "<=", "==", "!=")


_PERCENTILE = re.compile(r"^percentile\((0?\.[0-9]+)\)$")


class MqlError(ComponentArgumentError):
    def __init__(self, argument: str, problem: str) -> None:
        super().__init__("MqlQuery", argument, problem)


def _check_dimension_value(key: str, value: str) -> None:
    if not value or any(c in value for c in '"\\\n'):
        raise MqlError(
            f"dimensions[{key!r}]", f"must be a non-empty value without quotes (got {value!r})"
        )


@dataclass(frozen=True)
class MqlQuery:
    """One MQL alarm query: `metric[interval]{dimensions}.statistic() op threshold`.

    With `absent=True` the query is `metric[interval]{dimensions}.absent()` and fires when the
    metric stops arriving. Dimension values may be Outputs (a resource's id).
    """

    metric: str
    interval: str = "5m"
    statistic: str = "mean"
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    operator: str | None = None
    threshold: float | None = None
    absent: bool = False

    def __post_init__(self) -> None:
        if not _METRIC.match(self.metric):
            raise MqlError(
                "metric", f"must be a metric name such as CpuUtilization (got {self.metric!r})"
            )
        match = _INTERVAL.match(self.interval)
        if not match:
            raise MqlError("interval", f"must look like 1m, 5m, 1h or 1d (got {self.interval!r})")
        minutes = int(match["n"]) * _INTERVAL_MINUTES[match["unit"]]
        if not 1 <= minutes <= 1440:
            raise MqlError("interval", f"must be between 1m and 1d (got {self.interval!r})")
        for key, value in self.dimensions.items():
            if not _DIMENSION_KEY.match(key):
                raise MqlError("dimensions", f"has an invalid dimension name {key!r}")
            if isinstance(value, str):
                _check_dimension_value(key, value)
        if self.absent:
            if self.operator is not None or self.threshold is not None:
                raise MqlError("absent", "takes no operator or threshold")
            return
        if self.statistic not in STATISTICS and not _PERCENTILE.match(self.statistic):
            raise MqlError(
                "statistic",
                f"must be one of {', '.join(STATISTICS)} or percentile(0.9) "
                f"(got {self.statistic!r})",
            )
        if self.operator is None or self.threshold is None:
            raise MqlError("operator", "and threshold are both required unless absent=True")
        if self.operator not in OPERATORS:
            raise MqlError(
                "operator", f"must be one of {', '.join(OPERATORS)} (got {self.operator!r})"
            )
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int | float):
            raise MqlError("threshold", f"must be a number (got {self.threshold!r})")

    def _text(self, dimensions: Mapping[str, str]) -> str:
        dims = ""
        if dimensions:
            parts = []
            for key in sorted(dimensions):
                _check_dimension_value(key, dimensions[key])
                parts.append(f'{key} = "{dimensions[key]}"')
            dims = "{" + ", ".join(parts) + "}"
        head = f"{self.metric}[{self.interval}]{dims}"
        if self.absent:
            return f"{head}.absent()"
        statistic = self.statistic if "(" in self.statistic else f"{self.statistic}()"
        return f"{head}.{statistic} {self.operator} {self.threshold:g}"

    def render(self) -> pulumi.Output[str]:
        """The query text; an Output because dimension values may be Outputs."""
        return pulumi.Output.all(**dict(self.dimensions)).apply(self._text)

    def render_plain(self) -> str:
        """The query text when every dimension value is a plain string."""
        plain = {k: v for k, v in self.dimensions.items() if isinstance(v, str)}
        if len(plain) != len(self.dimensions):
            raise MqlError("dimensions", "hold Outputs; use render()")
        return self._text(plain)

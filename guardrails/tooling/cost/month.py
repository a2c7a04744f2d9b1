"""The report month: parsing `--month`, the days it spans and the days with data so far.

Cost data lags up to 24 hours, so the month to date of a running month ends with yesterday
(UTC): today's partial day would read as a drop in spend and skew the forecast.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from guardrails.runtime.errors import GuardrailsError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_MONTH = (2000, 1)
"""The earliest month a report may ask for: cloud billing data is younger, and the history
a report reads before its month must stay a real date."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def last(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def end(self) -> date:
        """The first day after the month (exclusive bound)."""
        return self.last + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def day(self, number: int) -> date:
        return date(self.year, self.month, number)

    def contains(self, when: date) -> bool:
        return (when.year, when.month) == (self.year, self.month)


def month_of(text: object) -> Month | None:
    """`YYYY-MM` as a Month, or None when it is not one (no error: callers word their own)."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return Month(int(match[1]), int(match[2]))


def today_utc() -> date:
    return datetime.now(UTC).date()


def parse_month(text: str | None, today: date) -> Month:
    """`YYYY-MM`, not in the future; None means the current month (UTC)."""
    if text is None:
        return Month(today.year, today.month)
    month = month_of(text)
    if month is None:
        raise GuardrailsError(f"--month {text!r}: expected YYYY-MM, e.g. {today:%Y-%m}")
    if month < Month(*FIRST_MONTH):
        raise GuardrailsError(
            f"--month {text}: before {FIRST_MONTH[0]}-{FIRST_MONTH[1]:02d}; there is no cloud "
            "spend to report that early"
        )
    if month > Month(today.year, today.month):
        raise GuardrailsError(
            f"--month {text}: is in the future (today is {today.isoformat()}, UTC); "
            "there is no spend to report yet"
        )
    return month


def data_through(month: Month, today: date) -> date:
    """The last complete day of data: yesterday for the running month, else its last day."""
    if month.contains(today):
        return today - timedelta(days=1)
    return month.last

"""The OCI Usage API source: `UsageapiClient.request_summarized_usages`, DAILY, grouped by
service and by one tag (`group_by_tag`, the governance namespace's `cost_center` by default).

Times are midnight UTC (the service refuses anything else with 400 InvalidParameter);
the window starts 28 days before the month (history for the forecast's weekday factors and
the anomaly baseline) and ends after the last complete day. Every page is followed
(`opc-next-page`). With `forecast`, the same request asks for the API's own forecast to the
month's end (`is_forecast` items), which the report shows next to ours.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import oci
from oci.usage_api.models import Forecast, RequestSummarizedUsagesDetails, Tag

from guardrails.tooling.cost.lines import LineRow, Progress
from guardrails.tooling.cost.month import Month
from guardrails.tooling.oci_auth import service_error


@dataclass(frozen=True)
class UsageFetch:
    lines: list[LineRow]
    forecast: dict[str, float]
    """Tag value ('' untagged) -> the API's forecast for the rest of the month."""
    pages: int


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def fetch_month(
    client: oci.usage_api.UsageapiClient,
    tenancy: str,
    month: Month,
    through: date,
    tag: tuple[str, str],
    *,
    history_days: int,
    forecast: bool = False,
    progress: Progress | None = None,
) -> UsageFetch:
    namespace, key = tag
    start = month.first - timedelta(days=history_days)
    end = min(through, month.last) + timedelta(days=1)
    details = RequestSummarizedUsagesDetails(
        tenant_id=tenancy,
        time_usage_started=_midnight(start),
        time_usage_ended=_midnight(end),
        granularity="DAILY",
        query_type="COST",
        is_aggregate_by_time=False,
        group_by=["service"],
        group_by_tag=[Tag(namespace=namespace, key=key)],
    )
    if forecast and end < month.end:
        details.forecast = Forecast(
            forecast_type="BASIC",
            time_forecast_started=_midnight(end),
            time_forecast_ended=_midnight(month.end),
        )
    if progress is not None:
        progress.phase("reading the Usage API", total=None)
    lines: list[LineRow] = []
    predicted: dict[str, float] = defaultdict(float)
    page: str | None = None
    pages = 0
    while True:
        try:
            response = (
                client.request_summarized_usages(details, page=page)
                if page
                else (client.request_summarized_usages(details))
            )
        except (oci.exceptions.ServiceError, oci.exceptions.RequestException) as exc:
            raise service_error("Usage API request_summarized_usages", exc) from None
        pages += 1
        for item in response.data.items or []:
            value = next(
                (
                    t.value or ""
                    for t in item.tags or []
                    if t.namespace == namespace and t.key == key
                ),
                "",
            )
            amount = float(item.computed_amount or 0.0)
            if item.is_forecast:
                predicted[value] += amount
                continue
            tags = json.dumps({f"{namespace}.{key}": value} if value else {})
            lines.append(
                LineRow(
                    day=item.time_usage_started.astimezone(UTC).date(),
                    service=item.service or "",
                    currency=item.currency or "",
                    billed=amount,
                    tags=tags,
                )
            )
        if progress is not None:
            progress.advance()
        page = response.next_page
        if not page:
            break
    return UsageFetch(lines, dict(predicted), pages)

"""``oci.usage_api.UsageapiClient.request_summarized_usages``: ``POST /20200107/usage``.

Seed daily cost lines, then query them as the Usage API does::

    fake_oci.usage.add([
        {"day": "2026-11-03", "service": "Database", "cost": 12.5,
         "compartment_id": COMPARTMENT, "compartment_name": "workloads",
         "resource_id": ADB, "tags": {"Governance.cost_center": "cc-1"}},
    ])                                   # dicts or UsageLine objects; currency USD by default
    fake_oci.usage.page_size = 10        # force several pages (default 500)

Request rules enforced (400 InvalidParameter, OCI's message where OCI documents one):
``tenantId``, ``timeUsageStarted``, ``timeUsageEnded`` and ``granularity`` are required;
``tenantId`` must be the fake's tenancy (else 404 NotAuthorizedOrNotFound); granularity
HOURLY|DAILY|MONTHLY (TOTAL is "not yet supported"); DAILY and MONTHLY times must be midnight
UTC and HOURLY times whole hours, else "Passed UTC date does not have the right precision";
start before end; ``queryType`` COST (default) or USAGE (the credit types are accepted and
return no items: the fake has no credits); ``groupBy`` keys only from GROUP_BY_KEYS (so
``tag.cost_center`` is refused: use ``groupByTag``); at most one ``groupByTag`` entry, with
``namespace`` and ``key``; ``filter`` shaped as ``Filter`` (``operator`` AND|OR|NOT, ``dimensions``
``[{key, value}]`` with a key from FILTER_DIMENSIONS, ``tags`` ``[{namespace, key, value}]``
where a tag without a value matches any line that carries the tag, nested ``filters``; NOT
matches the lines that match none of its conditions); ``forecast`` needs ``timeForecastEnded``.

Answer: ``UsageAggregation {groupBy, items: [UsageSummary]}``, one item per time bucket
(day, calendar month or hour; the whole window with ``isAggregateByTime``) and group (the
``groupBy`` dimensions, the ``groupByTag`` value, the currency), summed ``computedAmount``
(COST) or ``computedQuantity`` (USAGE). Grouping by ``tagNamespace``/``tagKey``/``tagValue``
puts a line in one group per tag it carries (as OCI, which then counts it more than once).
With ``groupByTag``, an item's ``tags`` is ``[{namespace, key, value}]``; lines without the tag
give the item whose ``value`` is absent (None in the SDK). Items are sorted by time, then group;
paged with ``page``/``limit`` and ``opc-next-page``. A line is one day's cost, or one hour's
when it has ``hour`` (0..23); HOURLY buckets spread a whole-day line evenly over its 24 hours.

Forecast (``forecast``, DAILY or MONTHLY): the fake's method, simple and documented, not
OCI's ETS model: the history is the days with data in [timeUsageStarted, forecast start); at
least 3 are needed (else 400 InvalidParameter "Not enough data to forecast: ..."); each group's
forecast per day is its mean daily amount over the last 7 history days (fewer if there are
fewer), for every day in [timeForecastStarted (default: timeUsageEnded), timeForecastEnded),
items marked ``isForecast: true`` after the actual items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
    parse_oci_time,
)
from tests.fake_oci.state import FakeOciState

PRECISION = "Passed UTC date does not have the right precision"
GROUP_BY_KEYS = (
    "tagNamespace",
    "tagKey",
    "tagValue",
    "service",
    "skuName",
    "skuPartNumber",
    "unit",
    "compartmentName",
    "compartmentPath",
    "compartmentId",
    "platform",
    "region",
    "logicalAd",
    "resourceId",
    "tenantId",
    "tenantName",
)
TAG_KEYS = ("tagNamespace", "tagKey", "tagValue")
FILTER_DIMENSIONS = tuple(k for k in GROUP_BY_KEYS if k not in TAG_KEYS)
GRANULARITIES = ("HOURLY", "DAILY", "MONTHLY", "TOTAL")
QUERY_TYPES = ("USAGE", "COST", "CREDIT", "EXPIREDCREDIT", "ALLCREDIT", "USAGE_ONLY")
OPERATORS = ("AND", "OR", "NOT")
FORECAST_MIN_DAYS = 3
FORECAST_WINDOW_DAYS = 7


@dataclass
class UsageLine:
    """One day of cost of one resource (what a cost report line sums to per day)."""

    day: date
    service: str
    cost: float
    currency: str = "USD"
    compartment_id: str = ""
    compartment_name: str = ""
    compartment_path: str = ""
    resource_id: str = ""
    resource_name: str = ""
    region: str = "eu-frankfurt-1"
    sku_name: str = ""
    sku_part_number: str = ""
    unit: str = ""
    platform: str = ""
    logical_ad: str = ""
    quantity: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)  # {"Namespace.key": "value"}
    hour: int | None = None  # an hourly line (0..23); None: the whole day

    def dimension(self, key: str, state: FakeOciState) -> str:
        if key == "tenantId":
            return state.tenancy
        if key == "tenantName":
            return "fake-tenancy"
        if key == "compartmentPath":
            return self.compartment_path or self.compartment_name
        if key == "logicalAd":
            return self.logical_ad
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
        value: str = getattr(self, snake)
        return value


_LINE_FIELDS = {f.name for f in fields(UsageLine)}


def usage_line(values: UsageLine | Mapping[str, Any]) -> UsageLine:
    """A UsageLine from itself or a dict of its field names (``day`` may be ``YYYY-MM-DD``)."""
    if isinstance(values, UsageLine):
        return values
    unknown = set(values) - _LINE_FIELDS
    if unknown:
        raise ValueError(f"unknown usage line fields: {sorted(unknown)}")
    data = dict(values)
    if isinstance(data.get("day"), str):
        data["day"] = date.fromisoformat(data["day"])
    if isinstance(data.get("day"), datetime):
        data["day"] = data["day"].date()
    data["tags"] = dict(data.get("tags") or {})
    return UsageLine(**data)


class UsageState:
    """The seeded cost lines and the page size of answers."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.lines: list[UsageLine] = []
        self.page_size = 500

    def add(self, lines: Iterable[UsageLine | Mapping[str, Any]]) -> None:
        with self.state.lock:
            self.lines.extend(usage_line(line) for line in lines)


@dataclass(frozen=True)
class _Query:
    tenant_id: str
    start: datetime
    end: datetime
    granularity: str
    query_type: str
    aggregate_by_time: bool
    group_by: tuple[str, ...]
    group_by_tag: tuple[str, str] | None
    filter: dict[str, Any] | None
    forecast_start: datetime | None
    forecast_end: datetime | None


def _require(body: Mapping[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise invalid_parameter(f"{name} is required.")
    return value


def _check_precision(value: datetime, granularity: str) -> None:
    if granularity == "HOURLY":
        exact = value.minute == value.second == value.microsecond == 0
    else:
        exact = value.hour == value.minute == value.second == value.microsecond == 0
    if not exact:
        raise invalid_parameter(PRECISION)


def _check_filter(value: Any, depth: int = 0) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter("filter must be an object.")
    unknown = set(value) - {"operator", "dimensions", "tags", "filters"}
    if unknown:
        raise invalid_parameter(f"filter has unknown fields: {', '.join(sorted(unknown))}.")
    operator = value.get("operator")
    if operator not in OPERATORS:
        raise invalid_parameter(f"filter.operator must be one of AND, OR, NOT, got {operator!r}.")
    for dimension in value.get("dimensions") or []:
        if not isinstance(dimension, dict) or not all(
            isinstance(dimension.get(k), str) for k in ("key", "value")
        ):
            raise invalid_parameter("filter.dimensions items must have a string key and value.")
        if dimension["key"] not in FILTER_DIMENSIONS:
            raise invalid_parameter(f"Invalid filter dimension key {dimension['key']!r}.")
    for tag in value.get("tags") or []:
        if not isinstance(tag, dict) or not all(
            isinstance(tag.get(k), str) and tag.get(k) for k in ("namespace", "key")
        ):
            raise invalid_parameter("filter.tags items must have a namespace and a key.")
        if not isinstance(tag.get("value", ""), str):
            raise invalid_parameter("filter.tags values must be strings.")
    nested = value.get("filters") or []
    if not isinstance(nested, list):
        raise invalid_parameter("filter.filters must be a list of filters.")
    for inner in nested:
        _check_filter(inner, depth + 1)
    return value


def parse_query(body: Mapping[str, Any], state: FakeOciState) -> _Query:
    """Validate a RequestSummarizedUsagesDetails body as the service does."""
    tenant_id = _require(body, "tenantId")
    start = parse_oci_time(_require(body, "timeUsageStarted"), "timeUsageStarted")
    end = parse_oci_time(_require(body, "timeUsageEnded"), "timeUsageEnded")
    granularity = _require(body, "granularity")
    if granularity not in GRANULARITIES:
        raise invalid_parameter(
            f"granularity must be one of HOURLY, DAILY, MONTHLY, TOTAL, got {granularity!r}."
        )
    if granularity == "TOTAL":
        raise invalid_parameter("granularity TOTAL is not yet supported.")
    query_type = body.get("queryType") or "COST"
    if query_type not in QUERY_TYPES:
        raise invalid_parameter(f"Invalid queryType {query_type!r}.")
    for value in (start, end):
        _check_precision(value, granularity)
    if start >= end:
        raise invalid_parameter("timeUsageStarted must be before timeUsageEnded.")
    group_by = body.get("groupBy") or []
    if not isinstance(group_by, list) or not all(isinstance(k, str) for k in group_by):
        raise invalid_parameter("groupBy must be a list of strings.")
    for key in group_by:
        if key not in GROUP_BY_KEYS:
            raise invalid_parameter(
                f"Invalid groupBy {key!r}; allowed: {', '.join(GROUP_BY_KEYS)}."
            )
    tags = body.get("groupByTag") or []
    if not isinstance(tags, list):
        raise invalid_parameter("groupByTag must be a list of tags.")
    if len(tags) > 1:
        raise invalid_parameter("groupByTag supports only one tag.")
    group_by_tag = None
    if tags:
        tag = tags[0]
        if not isinstance(tag, dict) or not tag.get("namespace") or not tag.get("key"):
            raise invalid_parameter("groupByTag needs a tag with a namespace and a key.")
        group_by_tag = (str(tag["namespace"]), str(tag["key"]))
    raw_filter = body.get("filter")
    forecast_start = forecast_end = None
    forecast = body.get("forecast")
    if forecast is not None:
        if not isinstance(forecast, dict):
            raise invalid_parameter("forecast must be an object.")
        if forecast.get("forecastType", "BASIC") != "BASIC":
            raise invalid_parameter(f"Invalid forecastType {forecast.get('forecastType')!r}.")
        if granularity == "HOURLY":
            raise invalid_parameter("Forecast is supported for DAILY and MONTHLY granularity.")
        forecast_end = parse_oci_time(_require(forecast, "timeForecastEnded"), "timeForecastEnded")
        started = forecast.get("timeForecastStarted")
        forecast_start = (
            parse_oci_time(started, "timeForecastStarted") if started is not None else end
        )
        for value in (forecast_start, forecast_end):
            _check_precision(value, granularity)
        if forecast_start >= forecast_end:
            raise invalid_parameter("timeForecastStarted must be before timeForecastEnded.")
    query_filter = _check_filter(raw_filter) if raw_filter is not None else None
    if tenant_id != state.tenancy:
        raise not_found()
    return _Query(
        tenant_id=tenant_id,
        start=start,
        end=end,
        granularity=granularity,
        query_type=query_type,
        aggregate_by_time=bool(body.get("isAggregateByTime")),
        group_by=tuple(group_by),
        group_by_tag=group_by_tag,
        filter=query_filter,
        forecast_start=forecast_start,
        forecast_end=forecast_end,
    )


def _matches(line: UsageLine, spec: Mapping[str, Any], state: FakeOciState) -> bool:
    results = [line.dimension(d["key"], state) == d["value"] for d in spec.get("dimensions") or []]
    for tag in spec.get("tags") or []:
        name = f"{tag['namespace']}.{tag['key']}"
        wanted = tag.get("value")
        results.append(name in line.tags if wanted is None else line.tags.get(name) == wanted)
    results += [_matches(line, inner, state) for inner in spec.get("filters") or []]
    if not results:
        return True
    if spec["operator"] == "AND":
        return all(results)
    if spec["operator"] == "OR":
        return any(results)
    return not any(results)


_GroupKey = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, str | None], ...], str]


def _group_keys(line: UsageLine, query: _Query, state: FakeOciState) -> list[_GroupKey]:
    """The groups a line counts in: (dimension values, tags, currency)."""
    dims = tuple((key, line.dimension(key, state)) for key in query.group_by if key not in TAG_KEYS)
    tag_sets: list[tuple[tuple[str, str, str | None], ...]] = [()]
    if query.group_by_tag:
        namespace, key = query.group_by_tag
        tag_sets = [((namespace, key, line.tags.get(f"{namespace}.{key}")),)]
    elif any(k in TAG_KEYS for k in query.group_by):
        tag_sets = [(_tag_of(name, value),) for name, value in sorted(line.tags.items())] or [()]
    return [(dims, tags, line.currency) for tags in tag_sets]


def _tag_of(name: str, value: str) -> tuple[str, str, str | None]:
    namespace, _, key = name.partition(".")
    return (namespace, key, value)


def _buckets(line: UsageLine, query: _Query) -> list[tuple[datetime, datetime, float]]:
    """The (start, end, share of the line) buckets of a line inside the query window."""
    day_start = datetime(line.day.year, line.day.month, line.day.day, tzinfo=UTC)
    if query.granularity == "HOURLY":
        spread = range(24) if line.hour is None else [line.hour]
        hours = [
            hour
            for hour in (day_start + timedelta(hours=h) for h in spread)
            if query.start <= hour < query.end
        ]
        share = 1 / len(spread)
        if query.aggregate_by_time:
            return [(query.start, query.end, len(hours) * share)] if hours else []
        return [(h, h + timedelta(hours=1), share) for h in hours]
    if not query.start <= day_start < query.end:
        return []
    if query.aggregate_by_time:
        return [(query.start, query.end, 1.0)]
    if query.granularity == "MONTHLY":
        month = day_start.replace(day=1)
        following = (month + timedelta(days=32)).replace(day=1)
        return [(month, following, 1.0)]
    return [(day_start, day_start + timedelta(days=1), 1.0)]


def _item(
    query: _Query,
    state: FakeOciState,
    key: _GroupKey,
    start: datetime,
    end: datetime,
    amount: float,
    quantity: float,
    unit: str | None,
    forecast: bool,
) -> dict[str, Any]:
    dims, tags, currency = key
    item: dict[str, Any] = {
        "tenantId": state.tenancy,
        "timeUsageStarted": oci_time(start),
        "timeUsageEnded": oci_time(end),
        "currency": currency,
        "isForecast": forecast,
    }
    for name, value in dims:
        item["ad" if name == "logicalAd" else name] = value
    if query.query_type == "USAGE":
        item["computedQuantity"] = round(quantity, 10)
        if unit:
            item["unit"] = unit
    else:
        item["computedAmount"] = round(amount, 10)
    if query.group_by_tag or any(k in TAG_KEYS for k in query.group_by):
        item["tags"] = [
            {"namespace": ns, "key": k} | ({"value": v} if v is not None else {})
            for ns, k, v in tags
        ]
    return item


def summarize(
    query: _Query, state: FakeOciState, lines: Iterable[UsageLine]
) -> list[dict[str, Any]]:
    """The UsageSummary items of a validated query, actual then forecast."""
    if query.query_type not in ("COST", "USAGE"):
        return []
    selected = [
        line for line in lines if query.filter is None or _matches(line, query.filter, state)
    ]
    sums: dict[tuple[datetime, datetime, _GroupKey], list[float]] = defaultdict(lambda: [0.0, 0.0])
    units: dict[_GroupKey, str] = {}
    for line in selected:
        for key in _group_keys(line, query, state):
            units.setdefault(key, line.unit)
            for start, end, share in _buckets(line, query):
                total = sums[(start, end, key)]
                total[0] += line.cost * share
                total[1] += line.quantity * share
    items = [
        _item(query, state, key, start, end, amount, quantity, units.get(key), False)
        for (start, end, key), (amount, quantity) in sorted(sums.items(), key=_order)
    ]
    if query.forecast_start is not None and query.forecast_end is not None:
        items += _forecast(query, state, selected, units)
    return items


def _order(entry: tuple[tuple[datetime, datetime, _GroupKey], list[float]]) -> tuple[Any, ...]:
    (start, _end, key), _ = entry
    dims, tags, currency = key
    return (start, dims, tuple((ns, k, v or "") for ns, k, v in tags), currency)


def _forecast(
    query: _Query, state: FakeOciState, lines: list[UsageLine], units: dict[_GroupKey, str]
) -> list[dict[str, Any]]:
    assert query.forecast_start is not None and query.forecast_end is not None
    history_end = min(query.forecast_start, query.end)
    history = sorted(
        {
            line.day
            for line in lines
            if query.start
            <= datetime(line.day.year, line.day.month, line.day.day, tzinfo=UTC)
            < history_end
        }
    )
    if len(history) < FORECAST_MIN_DAYS:
        raise invalid_parameter(
            f"Not enough data to forecast: at least {FORECAST_MIN_DAYS} days of usage are "
            f"needed before the forecast start, found {len(history)}."
        )
    window = set(history[-FORECAST_WINDOW_DAYS:])
    per_day: dict[_GroupKey, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for line in lines:
        if line.day in window:
            for key in _group_keys(line, query, state):
                per_day[key][0] += line.cost / len(window)
                per_day[key][1] += line.quantity / len(window)
    buckets: dict[tuple[datetime, datetime, _GroupKey], list[float]] = defaultdict(
        lambda: [0.0, 0.0]
    )
    day = query.forecast_start
    while day < query.forecast_end:
        start, end = day, day + timedelta(days=1)
        if query.granularity == "MONTHLY":
            start = day.replace(day=1)
            end = (start + timedelta(days=32)).replace(day=1)
        for key, (amount, quantity) in per_day.items():
            total = buckets[(start, end, key)]
            total[0] += amount
            total[1] += quantity
        day += timedelta(days=1)
    return [
        _item(query, state, key, start, end, amount, quantity, units.get(key), True)
        for (start, end, key), (amount, quantity) in sorted(buckets.items(), key=_order)
    ]


def request_summarized_usages(request: FakeRequest) -> FakeResponse:
    usage = request.state.service(UsageState)
    query = parse_query(request.json_object(), request.state)
    items = summarize(query, request.state, usage.lines)
    page, headers = page_of(request, items, default_limit=usage.page_size)
    group_by = list(query.group_by)
    return FakeResponse({"groupBy": group_by, "items": page}, headers=headers)


def register(router: Router) -> None:
    router.add("POST", "/20200107/usage", "RequestSummarizedUsages", request_summarized_usages)

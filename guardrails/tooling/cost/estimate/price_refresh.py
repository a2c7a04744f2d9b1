"""`guardrails cost prices --refresh`: update the OCI price book from Oracle's public price list
API (`.../cetools/api/v1/products/?currencyCode=USD`).

The answer is `{"items": [{partNumber, displayName, metricName, serviceCategory,
currencyCodeLocalizations: [{currencyCode, prices: [{model, value, rangeMin, rangeMax}]}]}]}`,
followed through `links[rel=next]` while `hasMore` is true. Every part of the book is looked
up by number; the book is replaced only when everything worked (written to a temporary file,
then renamed), so a network error or a bad answer leaves it unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.estimate.run import read_oci_book
from guardrails.tooling.inputs import decode_text, parse_json, read_json
from guardrails.tooling.outputs import write_report
from policies.pricing.prices import PAY_AS_YOU_GO, PriceBookError, tiers_from_prices

PRICE_LIST_URL = "https://apexapps.oracle.com/pls/apex/cetools/api/v1/products/"
TIMEOUT_SECONDS = 30
MAX_PAGES = 200
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class RefreshResult:
    path: Path
    currency: str
    updated: list[str] = field(default_factory=list)
    changed: dict[str, tuple[float, float]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    items_read: int = 0


def _get(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise GuardrailsError(f"the price list API answered HTTP {exc.code} for {url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GuardrailsError(
            f"cannot reach the price list API at {url} ({reason}); the price book is unchanged"
        ) from exc
    doc = parse_json(decode_text(body, f"the price list API's answer from {url}"), url)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise GuardrailsError(f"the price list API's answer from {url} has no items list")
    return doc


def fetch_items(base_url: str, currency: str) -> list[Mapping[str, Any]]:
    """Every item of the price list in `currency`, following the pages."""
    query = urllib.parse.urlencode({"currencyCode": currency})
    url: str | None = f"{base_url}{'&' if '?' in base_url else '?'}{query}"
    items: list[Mapping[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return items
        doc = _get(url)
        items.extend(i for i in doc["items"] if isinstance(i, Mapping))
        following = [
            link.get("href")
            for link in doc.get("links", [])
            if isinstance(link, Mapping) and link.get("rel") == "next"
        ]
        url = (
            urllib.parse.urljoin(url, str(following[0]))
            if doc.get("hasMore") and following
            else None
        )
    raise GuardrailsError(f"the price list API gave more than {MAX_PAGES} pages")


def _localized(item: Mapping[str, Any], currency: str) -> list[Any] | None:
    for loc in item.get("currencyCodeLocalizations", []) or []:
        if isinstance(loc, Mapping) and loc.get("currencyCode") == currency:
            prices = loc.get("prices")
            return prices if isinstance(prices, list) else None
    return None


def refresh_price_book(
    path: Path, currency: str = "USD", base_url: str = PRICE_LIST_URL, today: dt.date | None = None
) -> RefreshResult:
    """Update the book at `path` from the API. Raises GuardrailsError; writes only on success."""
    currency = currency.upper()
    if not _CURRENCY.match(currency):
        raise GuardrailsError(f"--currency {currency!r}: not an ISO 4217 code such as USD or EUR")
    book = read_oci_book(path)
    doc = read_json(path, "price book")
    items = fetch_items(base_url, currency)
    offered = {
        str(loc.get("currencyCode"))
        for item in items
        for loc in item.get("currencyCodeLocalizations", []) or []
        if isinstance(loc, Mapping)
    }
    if items and currency not in offered:
        raise GuardrailsError(
            f"--currency {currency}: the price list has no prices in {currency} "
            f"(it offers {', '.join(sorted(offered)[:12])}...)"
        )
    by_number = {str(i.get("partNumber")): i for i in items}
    result = RefreshResult(path, currency, items_read=len(items))
    for number, part in doc["parts"].items():
        item = by_number.get(number)
        prices = _localized(item, currency) if item is not None else None
        if item is None or not prices:
            result.missing.append(number)
            continue
        payg = [
            p
            for p in prices
            if isinstance(p, Mapping) and p.get("model", PAY_AS_YOU_GO) == PAY_AS_YOU_GO
        ]
        try:
            tiers_from_prices(payg, f"{number}.prices")
        except PriceBookError as exc:
            raise GuardrailsError(f"the price list API's {exc}") from exc
        old = book.parts[number].unit_price
        part.update(
            displayName=item.get("displayName", part.get("displayName")),
            metricName=item.get("metricName", part.get("metricName")),
            serviceCategory=item.get("serviceCategory", part.get("serviceCategory")),
            prices=[
                {k: p.get(k) for k in ("model", "value", "rangeMin", "rangeMax")} for p in payg
            ],
            basis=f"price list API, {(today or dt.date.today()).isoformat()}",
        )
        result.updated.append(number)
        new = tiers_from_prices(payg, number)[-1].value
        if new != old:
            result.changed[number] = (old, new)
    if result.missing and currency != book.currency:
        raise GuardrailsError(
            f"parts {', '.join(result.missing)} have no {currency} price in the price list: "
            f"a {currency} book cannot keep their {book.currency} prices; nothing was written"
        )
    stamp = (today or dt.date.today()).isoformat()
    doc.update(
        currency=currency,
        date=stamp,
        source=f"{base_url}?currencyCode={currency}",
        retrievedFromApi=True,
        missingFromApi=result.missing,
    )
    write_report(path, json.dumps(doc, indent=2) + "\n", "--price-book")
    return result

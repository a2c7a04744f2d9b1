"""Price books: dated snapshots of list prices by part number, with tiered prices.

A book is a JSON file (`data/oci_prices.json`, `data/aws_prices.json`) whose parts keep the
price list API's own field names (`displayName`, `metricName`, `serviceCategory`,
`prices[]` with `model`, `value`, `rangeMin`, `rangeMax`), so a refresh copies the API's
answer in. A tier's range is in the part's metric units per month; a tier with value 0 is a
free tier, which the estimator applies once per stack (tenancy or account), not per resource.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
OCI_BOOK = DATA / "oci_prices.json"
AWS_BOOK = DATA / "aws_prices.json"
PAY_AS_YOU_GO = "PAY_AS_YOU_GO"


class DataFileError(ValueError):
    """A JSON data file that cannot be read."""


class PriceBookError(DataFileError):
    """A price book file that cannot be read or does not have the expected shape."""


def read_json(path: Path, what: str) -> Any:
    """The parsed JSON file, or DataFileError naming `what` it should have been."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read {what} ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: {what} is not JSON (line {exc.lineno}: {exc.msg})") from exc


@dataclass(frozen=True)
class Tier:
    """`value` per unit for the quantity between `lower` and `upper` (None: no upper end)."""

    lower: float
    upper: float | None
    value: float


@dataclass(frozen=True)
class Part:
    number: str
    display_name: str
    metric: str
    service: str
    tiers: tuple[Tier, ...]
    basis: str = ""
    """Where the figure comes from (the API, a dated capture, or 'unconfirmed: ...')."""

    @property
    def unit_price(self) -> float:
        """The paid (last) tier's price: what one more unit costs once free tiers are used."""
        return self.tiers[-1].value

    def charge(self, used_before: float, quantity: float) -> tuple[float, float]:
        """(cost, quantity in free tiers) of `quantity` more units after `used_before` units."""
        cost = free = 0.0
        start, end = used_before, used_before + quantity
        for tier in self.tiers:
            upper = end if tier.upper is None else min(end, tier.upper)
            span = upper - max(start, tier.lower)
            if span <= 0:
                continue
            cost += span * tier.value
            if tier.value == 0:
                free += span
        return cost, free


@dataclass(frozen=True)
class PriceBook:
    provider: str
    currency: str
    date: str
    source: str
    notes: tuple[str, ...]
    parts: Mapping[str, Part]
    hours_per_month: float = 730.0

    def part(self, number: str) -> Part:
        try:
            return self.parts[number]
        except KeyError:
            raise PriceBookError(
                f"part {number} is not in the {self.provider} price book"
            ) from None


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PriceBookError(f"{where}: expected a number, got {value!r}")
    return float(value)


def tiers_from_prices(prices: Any, where: str) -> tuple[Tier, ...]:
    """Pay-as-you-go tiers from an API `prices[]` list, sorted by `rangeMin`."""
    if not isinstance(prices, list) or not prices:
        raise PriceBookError(f"{where}: no prices")
    payg = [
        p
        for p in prices
        if isinstance(p, Mapping) and p.get("model", PAY_AS_YOU_GO) == PAY_AS_YOU_GO
    ]
    if not payg:
        raise PriceBookError(f"{where}: no {PAY_AS_YOU_GO} price")
    tiers = []
    for index, price in enumerate(sorted(payg, key=lambda p: float(p.get("rangeMin") or 0))):
        upper = price.get("rangeMax")
        tiers.append(
            Tier(
                lower=_number(price.get("rangeMin") or 0, f"{where}[{index}].rangeMin"),
                # the API writes "no upper end" as a very large rangeMax
                upper=None
                if upper is None or float(upper) >= 1e12
                else _number(upper, f"{where}[{index}].rangeMax"),
                value=_number(price.get("value"), f"{where}[{index}].value"),
            )
        )
    if len(tiers) > 1:
        tiers[-1] = Tier(tiers[-1].lower, None, tiers[-1].value)
    return tuple(tiers)


def parse_price_book(doc: Any, name: str = "price book") -> PriceBook:
    if not isinstance(doc, Mapping):
        raise PriceBookError(f"{name}: expected a JSON object")
    for key in ("provider", "currency", "date", "source", "parts"):
        if key not in doc:
            raise PriceBookError(f"{name}: missing {key!r}")
    parts_doc = doc["parts"]
    if not isinstance(parts_doc, Mapping):
        raise PriceBookError(f"{name}: 'parts' must be an object keyed by part number")
    parts = {}
    for number, part in parts_doc.items():
        where = f"{name}: parts.{number}"
        if not isinstance(part, Mapping):
            raise PriceBookError(f"{where}: expected an object")
        parts[number] = Part(
            number=number,
            display_name=str(part.get("displayName", number)),
            metric=str(part.get("metricName", "")),
            service=str(part.get("serviceCategory", "")),
            tiers=tiers_from_prices(part.get("prices"), f"{where}.prices"),
            basis=str(part.get("basis", "")),
        )
    return PriceBook(
        provider=str(doc["provider"]),
        currency=str(doc["currency"]),
        date=str(doc["date"]),
        source=str(doc["source"]),
        notes=tuple(str(n) for n in doc.get("notes", [])),
        parts=parts,
        hours_per_month=_number(doc.get("hoursPerMonth", 730), f"{name}: hoursPerMonth"),
    )


def read_price_book(path: Path) -> PriceBook:
    try:
        doc = read_json(path, "the price book")
    except DataFileError as exc:
        raise PriceBookError(str(exc)) from exc
    return parse_price_book(doc, str(path))


@cache
def default_books() -> tuple[PriceBook, PriceBook]:
    """The packaged OCI and AWS books, read once per process."""
    return read_price_book(OCI_BOOK), read_price_book(AWS_BOOK)

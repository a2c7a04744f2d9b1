"""`guardrails cost prices --refresh` against a local fake of Oracle's price list API.

The fake answers `GET /products/?currencyCode=XXX` in the API's layout (items with
partNumber, displayName, metricName, serviceCategory, currencyCodeLocalizations[].prices[]
with model, value, rangeMin, rangeMax), two items a page, with `hasMore` and a `next` link.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from guardrails.tooling.cli import main
from policies.pricing.prices import OCI_BOOK, read_price_book

PAGE = 2


def _item(number: str, name: str, metric: str, prices: dict[str, list[dict[str, Any]]]) -> dict:
    return {
        "partNumber": number,
        "displayName": name,
        "metricName": metric,
        "serviceCategory": "Test",
        "currencyCodeLocalizations": [
            {"currencyCode": code, "prices": values} for code, values in prices.items()
        ],
    }


def _payg(value: float, low: float = 0, high: float | None = None) -> dict[str, Any]:
    return {"model": "PAY_AS_YOU_GO", "value": value, "rangeMin": low, "rangeMax": high}


class FakePriceList:
    """The items the fake serves, and which requests it saw."""

    def __init__(self, book: Path) -> None:
        parts = json.loads(book.read_text())["parts"]
        self.items = [
            _item(
                number,
                part["displayName"],
                part["metricName"],
                {
                    "USD": [
                        _payg(p["value"], p["rangeMin"], p["rangeMax"]) for p in part["prices"]
                    ],
                    "EUR": [
                        _payg(round(p["value"] * 0.9, 6), p["rangeMin"], p["rangeMax"])
                        for p in part["prices"]
                    ],
                },
            )
            for number, part in parts.items()
        ]
        self.requests: list[str] = []

    def replace(self, number: str, item: dict | None) -> None:
        self.items = [i for i in self.items if i["partNumber"] != number]
        if item is not None:
            self.items.append(item)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "oci_prices.json"
    shutil.copy(OCI_BOOK, path)
    return path


@pytest.fixture
def price_list(book: Path) -> Iterator[tuple[FakePriceList, str]]:
    fake = FakePriceList(book)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append(self.path)
            url = urllib.parse.urlparse(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            offset = int(query.get("offset", 0))
            page = fake.items[offset : offset + PAGE]
            more = offset + PAGE < len(fake.items)
            body: dict[str, Any] = {"items": page, "hasMore": more, "limit": PAGE, "offset": offset}
            if more:
                following = urllib.parse.urlencode({**query, "offset": offset + PAGE})
                body["links"] = [{"rel": "next", "href": f"{url.path}?{following}"}]
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/products/"
    finally:
        server.shutdown()
        server.server_close()


def refresh(book: Path, url: str, *extra: str) -> int:
    return main(
        ["cost", "prices", "--refresh", "--price-book", str(book), "--api-url", url, *extra]
    )


def test_refresh_follows_pages_and_reads_tiers(book, price_list, capsys):
    fake, url = price_list
    fake.replace(
        "B91628",
        _item(
            "B91628",
            "Object Storage - Storage",
            "Gigabyte Storage Capacity Per Month",
            {"USD": [_payg(0.0, 0, 10), _payg(0.03, 10, 999999999999999)]},
        ),
    )
    assert refresh(book, url) == 0
    pages = -(-len(fake.items) // PAGE)
    assert len(fake.requests) == pages and all("currencyCode=USD" in r for r in fake.requests)
    updated = read_price_book(book)
    tiers = updated.part("B91628").tiers
    assert [(t.lower, t.upper, t.value) for t in tiers] == [(0, 10, 0.0), (10, None, 0.03)]
    assert updated.part("B91628").charge(0, 50) == (pytest.approx(40 * 0.03), 10)
    doc = json.loads(book.read_text())
    assert doc["retrievedFromApi"] is True and doc["missingFromApi"] == []
    assert doc["source"] == f"{url}?currencyCode=USD"
    err = capsys.readouterr().err  # the summary; stdout holds the book alone
    assert "B91628: 0.0255 -> 0.03" in err


def test_missing_part_keeps_its_old_price_and_warns(book, price_list, capsys):
    fake, url = price_list
    fake.replace("B90939", None)
    assert refresh(book, url) == 0
    assert read_price_book(book).part("B90939").unit_price == 0.0022
    assert json.loads(book.read_text())["missingFromApi"] == ["B90939"]
    assert "part B90939 is not in the price list; its old price is kept" in capsys.readouterr().err


def test_other_currency_from_the_api(book, price_list):
    _, url = price_list
    assert refresh(book, url, "--currency", "EUR") == 0
    updated = read_price_book(book)
    assert updated.currency == "EUR"
    assert updated.part("B95702").unit_price == pytest.approx(round(0.336 * 0.9, 6))


def test_unknown_currency_is_refused_and_nothing_is_written(book, price_list, capsys):
    _, url = price_list
    before = book.read_bytes()
    assert refresh(book, url, "--currency", "XYZ") == 2
    assert "--currency XYZ: the price list has no prices in XYZ" in capsys.readouterr().err
    assert refresh(book, url, "--currency", "euro") == 2
    assert "--currency 'EURO': not an ISO 4217 code" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_missing_part_in_another_currency_writes_nothing(book, price_list, capsys):
    fake, url = price_list
    fake.replace("B95702", None)
    before = book.read_bytes()
    assert refresh(book, url, "--currency", "EUR") == 2
    assert "parts B95702 have no EUR price" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_network_error_is_a_clear_error_and_the_book_is_unchanged(book, capsys):
    before = book.read_bytes()
    # a port nothing listens on
    assert refresh(book, "http://127.0.0.1:9/products/") == 2
    err = capsys.readouterr().err
    assert "cannot reach the price list API at http://127.0.0.1:9/products/" in err
    assert "the price book is unchanged" in err and "Traceback" not in err
    assert book.read_bytes() == before
    assert not list(book.parent.glob(".oci_prices.json.*"))


def test_bad_answer_is_refused(book, price_list, capsys):
    fake, url = price_list
    fake.replace(
        "B95702", _item("B95702", "x", "ECPU Per Hour", {"USD": [{"model": "PAY_AS_YOU_GO"}]})
    )
    before = book.read_bytes()
    assert refresh(book, url) == 2
    assert "B95702.prices[0].value: expected a number, got None" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_show_the_book(capsys):
    assert main(["cost", "prices", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["parts"]["B95702"]["prices"][0]["value"] == 0.336
    assert main(["cost", "prices", "--currency", "EUR"]) == 2
    assert "--currency applies to --refresh" in capsys.readouterr().err

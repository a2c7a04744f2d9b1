"""The prices fleet recommendations cost their changes with, from the one price book.

They come from the dated OCI price-book snapshot the cost estimate uses
(`policies/pricing/data/oci_prices.json`, refreshable with `guardrails cost prices
--refresh`): Autonomous Database ECPU per hour, License Included and BYOL (the Transaction
Processing parts), and storage per GB-month (the same workload's storage part, used for every
workload: a recommendation's effect is a difference, not an invoice). A month is 730 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.pricing.estimate import ADB_COMPUTE_PARTS, ADB_STORAGE_PARTS
from policies.pricing.prices import OCI_BOOK, read_price_book

HOURS_PER_MONTH = 730
GB_PER_TB = 1024


@dataclass(frozen=True)
class FleetPrices:
    ecpu_hour_license_included: float
    ecpu_hour_byol: float
    storage_gb_month: float
    currency: str = "USD"
    source: str = ""

    def ecpu_month(self, license_model: str | None) -> float:
        """Monthly price of one ECPU running all month under `license_model`."""
        hourly = (
            self.ecpu_hour_byol
            if license_model == "BRING_YOUR_OWN_LICENSE"
            else self.ecpu_hour_license_included
        )
        return hourly * HOURS_PER_MONTH

    def storage_tb_month(self) -> float:
        return self.storage_gb_month * GB_PER_TB


def _from_price_book() -> FleetPrices:
    book = read_price_book(OCI_BOOK)
    return FleetPrices(
        ecpu_hour_license_included=book.part(ADB_COMPUTE_PARTS["ECPU", "ATP", False]).unit_price,
        ecpu_hour_byol=book.part(ADB_COMPUTE_PARTS["ECPU", "ATP", True]).unit_price,
        storage_gb_month=book.part(ADB_STORAGE_PARTS["ATP"]).unit_price,
        currency=book.currency,
        source=f"{book.source}, {book.date} (policies/pricing/data/oci_prices.json)",
    )


LIST_PRICES = _from_price_book()


def fleet_prices() -> FleetPrices:
    """The prices recommendations use: the OCI price book's."""
    return LIST_PRICES

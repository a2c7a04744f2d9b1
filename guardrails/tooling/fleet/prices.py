"""List prices the fleet recommendations cost their changes with: the one place they live.

Snapshot of Oracle's public price list (`https://apexapps.oracle.com/pls/apex/cetools/api/v1/
products/?currencyCode=USD`), USD, taken 2026-11 for this module:

- Autonomous Database ECPU, License Included: 0.336 per ECPU-hour (ATP, ADW, AJD, APEX alike)
- Autonomous Database ECPU, Bring Your Own License: 0.0807 per ECPU-hour
- Autonomous Database storage: 0.1156 per GB-month (118.40 per TB-month; design.md names the
  unit but not the figure, so this is the list price of the Transaction Processing storage
  part, used for every workload)

A month is 730 hours (Infracost's rule). The cost-estimate work keeps a dated, refreshable
price book under `policies/pricing/`; once it is merged, `fleet_prices()` is the one function
to point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730
GB_PER_TB = 1024


@dataclass(frozen=True)
class FleetPrices:
    ecpu_hour_license_included: float
    ecpu_hour_byol: float
    storage_gb_month: float
    currency: str = "USD"
    source: str = "Oracle list prices, snapshot 2026-11 (guardrails/tooling/fleet/prices.py)"

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


LIST_PRICES = FleetPrices(
    ecpu_hour_license_included=0.336,
    ecpu_hour_byol=0.0807,
    storage_gb_month=0.1156,
)


def fleet_prices() -> FleetPrices:
    """The prices recommendations use (the list prices until a price book is wired in)."""
    return LIST_PRICES

"""The one retry policy for every OCI and AWS call the tooling makes.

- Every client is built without the SDK's own retries (`oci.retry.NoneRetryStrategy`,
  botocore `max_attempts=1`) and with connect and read timeouts, so that no two layers of
  retry stack up (the `oci` SDK's default strategy under its pagination helper's held an
  unreachable endpoint for 16 x 60 s).
- `Budget.call` retries with jittered exponential back-off on throttling (429), on 5xx and
  on connection failures, for reads and for writes that carry an idempotency key
  (`opc-retry-token`, an AWS client token); a write without one is sent once. Attempts are
  bounded, and all calls of one run share one deadline (`--timeout`).
- When the budget runs out the run stops with one line naming the endpoint and what it
  last said (exit 2 when nothing was changed yet; the caller decides otherwise).

    budget = Budget(seconds=60, progress=lambda line: status.update(line))
    search = oci_client(oci.resource_search.ResourceSearchClient, auth, creds, budget)
    items = budget.pages(search.search_resources, details, what="Resource Search", limit=1000)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from guardrails.runtime.errors import GuardrailsError

T = TypeVar("T")
C = TypeVar("C")

DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_ATTEMPTS = 5
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
_AWS_THROTTLING = {
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "SlowDown", "RequestThrottled", "RequestThrottledException",
}  # fmt: skip


class BudgetExhausted(GuardrailsError):
    """The retry budget ran out: the endpoint did not answer usefully in time."""


def retryable(exc: BaseException) -> str | None:
    """Why `exc` is worth another attempt (throttled, a server error, no connection), or
    None for an answer that will not change (4xx, a bug)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):  # oci.exceptions.ServiceError
        return (
            f"{status} {getattr(exc, 'code', '')}".strip() if status in _RETRYABLE_STATUS else None
        )
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        error = response.get("Error", {})
        http = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error.get("Code") in _AWS_THROTTLING or http in _RETRYABLE_STATUS:
            return f"{http} {error.get('Code', '')}".strip()
        return None
    name = type(exc).__name__
    if name in (
        "RequestException",  # oci: connection refused, DNS, reset
        "ConnectTimeout", "ReadTimeout", "ConnectionError", "Timeout",
        "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
        "ConnectionClosedError",
        "ResponseParserError",  # botocore: a 5xx answered with a body it cannot parse
    ):  # fmt: skip
        return f"{name}: {exc}"
    return None


@dataclass
class Budget:
    """One run's time and attempts for cloud calls (see the module docstring)."""

    seconds: float = DEFAULT_TIMEOUT_SECONDS
    attempts: int = MAX_ATTEMPTS
    progress: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._deadline = self.clock() + self.seconds

    @property
    def remaining(self) -> float:
        return max(0.0, self._deadline - self.clock())

    def read_timeout(self) -> float:
        """The read timeout for the next call: never past the run's deadline."""
        return max(1.0, min(READ_TIMEOUT_SECONDS, self.remaining))

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        what: str,
        endpoint: str = "",
        idempotent: bool = True,
        **kwargs: Any,
    ) -> T:
        """`fn(*args, **kwargs)`, retried as the module docstring says."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                reason = retryable(exc)
                if reason is None or not idempotent:
                    raise
                wait = min(2.0 ** (attempt - 1), 20.0) * random.uniform(0.5, 1.0)
                if attempt >= self.attempts or wait >= self.remaining:
                    where = f" at {endpoint}" if endpoint else ""
                    raise BudgetExhausted(
                        f"{what}{where}: no useful answer in {attempt} attempt(s) within the "
                        f"{self.seconds:g} s budget (last: {reason}); nothing more was tried"
                    ) from exc
                if self.progress is not None:
                    self.progress(f"{what}: {reason}; retrying in {wait:.1f} s")
                self.sleep(wait)

    def pages(
        self,
        list_fn: Callable[..., Any],
        *args: Any,
        what: str,
        endpoint: str = "",
        on_page: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Every item of an OCI list call, page by page, each page through `call`
        (`on_page` is told of each page asked for: the audit counts its API calls)."""
        items: list[Any] = []
        page: str | None = None
        while True:
            if on_page is not None:
                on_page()
            call_kwargs: dict[str, Any] = {**kwargs, **({"page": page} if page else {})}
            response = self.call(list_fn, *args, what=what, endpoint=endpoint, **call_kwargs)
            data = response.data
            items += list(getattr(data, "items", data) or [])
            page = response.headers.get("opc-next-page") if response.headers else None
            if not page:
                return items


def oci_client_kwargs(budget: Budget | None = None) -> dict[str, Any]:
    """Keyword arguments that make an `oci` client retry nothing itself and time out."""
    import oci

    read = budget.read_timeout() if budget is not None else READ_TIMEOUT_SECONDS
    return {
        "retry_strategy": oci.retry.NoneRetryStrategy(),
        "timeout": (CONNECT_TIMEOUT_SECONDS, read),
    }


def oci_retry_strategy(seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Any:
    """The same policy as an `oci` SDK retry strategy, for code that calls the SDK's composite
    operations and waiters itself (`fleet`): at most `MAX_ATTEMPTS` attempts, jittered
    exponential back-off on throttling (429) and 5xx and on connection failures, all within
    `seconds`. Give it to reads and to writes that carry an `opc-retry-token`; a write
    without one takes `oci.retry.NoneRetryStrategy()` for that call (it is sent once)."""
    import oci

    return oci.retry.RetryStrategyBuilder(
        max_attempts_check=True,
        max_attempts=MAX_ATTEMPTS,
        total_elapsed_time_check=True,
        total_elapsed_time_seconds=max(1, int(seconds)),
        service_error_check=True,
        service_error_retry_config={429: []},
        service_error_retry_on_any_5xx=True,
        retry_max_wait_between_calls_seconds=20,
        backoff_type=oci.retry.BACKOFF_FULL_JITTER_VALUE,
    ).get_retry_strategy()


def botocore_config(budget: Budget | None = None) -> Any:
    """A botocore Config that retries nothing itself and times out."""
    from botocore.config import Config

    read = budget.read_timeout() if budget is not None else READ_TIMEOUT_SECONDS
    return Config(
        # `total_max_attempts`: one attempt in all (botocore reads `max_attempts` as retries)
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read,
    )

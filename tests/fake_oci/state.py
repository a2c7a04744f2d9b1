"""The fake's state: identities, the call log, injected faults and one state object per service.

A fresh FakeOciState is made for every test (the server stays up for the session). Service
modules keep their data in their own state class, created on first use with
``state.service(UsageState)``; tests seed it through the fixture handle
(``fake_oci.usage``, ``fake_oci.database``, ...). Everything is guarded by one re-entrant
lock: the server runs each handler with it held, and tests seeding from another thread take it
with ``with fake_oci.state.lock:`` (seeding before the code under test runs needs no lock).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

_ID_COUNTER = itertools.count(1)


def ocid(kind: str, word: str = "fake", region: str = "") -> str:
    """A well-formed OCID (``ocid1.<kind>.oc1.<region>.<60 chars>``), unique when ``word`` is."""
    return f"ocid1.{kind}.oc1.{region}." + ("aaaaaaaa" + word).ljust(60, "0")[:60]


def new_ocid(kind: str, region: str = "") -> str:
    """A fresh, never repeated OCID of ``kind``."""
    return ocid(kind, f"{kind}{next(_ID_COUNTER):06d}", region)


@dataclass
class Call:
    """One request the fake answered (after authentication)."""

    operation: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class Fault:
    """An error to answer instead of running an operation (``times`` left, -1 = always)."""

    status: int
    code: str
    message: str
    times: int = 1


@dataclass
class FakeOciState:
    """Everything the fake knows; replaced by a fresh one before every test."""

    tenancy: str
    user: str
    region: str = "eu-frankfurt-1"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    calls: list[Call] = field(default_factory=list)
    auth_failures: list[str] = field(default_factory=list)
    unrouted: list[str] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    hooks: dict[tuple[str, str], Callable[[], None]] = field(default_factory=dict)
    """(operation, "before" | "after") -> a function run once at that point of the next call
    (fault-injection tests kill the client there: before the change, or after it and before
    its answer)."""
    services: dict[type[Any], Any] = field(default_factory=dict)
    retried: dict[tuple[str, str], tuple[bytes, Any]] = field(default_factory=dict)
    """(operation, opc-retry-token) -> the request body and the answer it got: a POST sent
    again with the same token gets that answer (OCI keeps tokens 24 hours), another body 409."""
    request_counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def service(self, cls: type[T]) -> T:
        """The state object of one service, made with ``cls(self)`` on first use."""
        with self.lock:
            if cls not in self.services:
                self.services[cls] = cls(self)  # type: ignore[call-arg]
            result: T = self.services[cls]
            return result

    def inject_fault(
        self, operation: str, status: int, code: str, message: str, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` (the SDK operation name, e.g.
        ``StopAutonomousDatabase``) with this OCI error instead of running it (-1: always)."""
        with self.lock:
            self.faults.setdefault(operation, []).append(Fault(status, code, message, times))

    def on_call(self, operation: str, when: str, action: Callable[[], None]) -> None:
        """Run `action` once, `when` ("before" or "after") the next call of `operation` is
        carried out: "before" runs instead of the operation (the request never reached the
        service: nothing changes), "after" once the change is made, before the answer."""
        if when not in ("before", "after"):
            raise ValueError(when)
        with self.lock:
            self.hooks[(operation, when)] = action

    def take_hook(self, operation: str, when: str) -> Callable[[], None] | None:
        with self.lock:
            return self.hooks.pop((operation, when), None)

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(operation)
            if not queue:
                return None
            fault = queue[0]
            if fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    queue.pop(0)
            return fault

    def calls_of(self, operation: str) -> list[Call]:
        """The calls of one operation, in order."""
        with self.lock:
            return [c for c in self.calls if c.operation == operation]

    def next_request_id(self) -> str:
        return f"fake-{next(self.request_counter):08d}"

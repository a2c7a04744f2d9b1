"""Error translation: pydantic's errors and the components' argument errors as one
`key.path: problem` line each, in the words of `guardrails.runtime.limits`.

A problem found by the schema reads `guardrails:databases.orders.computeCount: must be >= 2
(got 1)`; the same limit broken by a direct component call reads `AutonomousDatabaseFleet:
databases['orders'].compute_count must be >= 2 (got 1)`, and `config_problem` turns the
latter into the former, so a component error raised while a stack program runs still names
the stack setting to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.validation import ComponentArgumentError

NAMESPACE = "guardrails"


class StackConfigError(GuardrailsError):
    """The stack config is invalid; `problems` holds one `key.path: message` line each."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = problems
        where = f" ({source})" if source else ""
        super().__init__(f"invalid stack config{where}:\n" + "\n".join(f"  {p}" for p in problems))


class KeyedProblems(ValueError):
    """Problems found across fields of a model, each with its path below that model."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{where}: {problem}" for where, problem in self.problems))


_TYPES = {
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date such as 2027-03-31",
    "date_parsing": "a date such as 2027-03-31",
    "date_from_datetime_parsing": "a date such as 2027-03-31",
}
"""What a value of the wrong type must be, by pydantic's error type."""


def _limit(value: Any) -> Any:
    """A bound as written in a message: 0 rather than 0.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as a problem phrase ("must be >= 2 (got 1)")."""
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "greater_than_equal":
        return f"must be >= {_limit(ctx['ge'])} (got {got})"
    if kind == "greater_than":
        return f"must be > {_limit(ctx['gt'])} (got {got})"
    if kind == "less_than_equal":
        return f"must be <= {_limit(ctx['le'])} (got {got})"
    if kind == "literal_error":
        allowed = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        return f"must be one of {allowed} (got {got!r})"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known setting"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {got!r})"
    if kind == "string_pattern_mismatch":
        return f"has an invalid format (got {got!r})"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_short":
        return f"must be at least {ctx['min_length']} characters long (got {got!r})"
    if kind in ("too_short", "too_long"):
        return str(error["msg"]).replace("List", "list").replace("Dictionary", "map").lower()
    if kind in _TYPES:
        return f"must be {_TYPES[kind]} (got {got!r})"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']} (got {got!r})"


def key_path(loc: Sequence[Any]) -> str:
    """`("databases", "orders", "computeCount")` -> `databases.orders.computeCount`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


Locate = Callable[[tuple[Any, ...]], str]
"""Where a key path is written (` (line L, column C)`), or "" when that is not known."""


def validation_problems(exc: ValidationError, locate: Locate | None = None) -> list[str]:
    """Every pydantic error as `guardrails:key.path: problem`, and where the file says it
    when `locate` knows."""
    prefix = f"{NAMESPACE}:"
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = key_path(loc)
        place = locate(loc) if locate is not None else ""
        keyed = (error.get("ctx") or {}).get("error")
        if isinstance(keyed, KeyedProblems):
            for sub, problem in keyed.problems:
                problems.append(f"{prefix}{where + '.' if where else ''}{sub}: {problem}{place}")
            continue
        message = describe(error)
        problems.append(
            f"{prefix}{where}: {message}{place}" if where else f"{prefix} {message}{place}"
        )
    return problems


# The config block each component's arguments come from in the stack program.
_BLOCKS = {
    "AutonomousDatabaseFleet": "",
    "EventStreams": "streams.",
    "CostCenterBudgets": "budgets.",
    "GovernanceTags": "governance.",
    "AlarmTopic": "alarms.",
    "governance tags": "",
}
# Arguments whose config key is more than the camelCase of their name, as (pattern, key).
_RENAMED = (
    (r"^budgets\[(?P<k>[^\]]+)\]\.cost_center$", r"costCenters.\g<k>"),
    (r"^budgets\[(?P<k>[^\]]+)\]\.monthly_amount$", r"costCenters.\g<k>.monthly"),
    (r"^budgets\[(?P<k>[^\]]+)\]\.aws_monthly_amount$", r"costCenters.\g<k>.awsMonthly"),
    (r"^budgets\[(?P<k>[^\]]+)\]\.recipients", r"costCenters.\g<k>.recipients"),
    (r"^tenancy_monthly_amount$", "tenancyMonthly"),
    (r"^required_in\[", "requiredTagCompartments["),
    (r"^backup_bucket\.name$", "backups.bucketName"),
    (r"\.vault_secret_id$", ".vaultSecretOcid"),
    (r"^cost_center$", "governance.defaultCostCenter"),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def config_path(component: str, argument: str) -> str | None:
    """The stack config key an argument of `component` comes from, or None if none does.

    `("AutonomousDatabaseFleet", "databases['orders'].compute_count")` ->
    `databases.orders.computeCount`.
    """
    block = _BLOCKS.get(component)
    if block is None:
        return None
    path = argument
    for pattern, key in _RENAMED:
        path, count = re.subn(pattern, key, path)
        if count:
            break
    path = re.sub(r"\[['\"]?([^\]'\"]*[^\]'\"0-9][^\]'\"]*)['\"]?\]", r".\1", path)
    path = ".".join(_camel(part) if "-" not in part else part for part in path.split("."))
    return f"{block}{path}" if not path.startswith(("backups.", "governance.")) else path


def config_problem(exc: ComponentArgumentError) -> str:
    """A component's argument error as the stack config problem it stands for."""
    where = config_path(exc.component, exc.argument)
    if where is None:
        return str(exc)
    return f"{NAMESPACE}:{where}: {exc.problem}"

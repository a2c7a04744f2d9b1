"""The one production guard of every acting command (`cost enforce`, `cost unfreeze`,
`fleet ...`, `layer rollout|prune|share`).

Production is a property of the resource, under one setting for the whole organisation, not
something a single stack can switch off:

- its environment tag says production: a value in the organisation's production
  environments (`guardrails.runtime.limits.PRODUCTION_ENVIRONMENTS`, plus
  `productionEnvironments` of `guardrails-org.yaml` next to `Pulumi.yaml`, plus any a stack
  adds; a stack can add values, never remove one). No environment tag at all counts as
  production: nobody said it is not;
- it lives in a production compartment (OCI) or account (AWS): `productionCompartments` /
  `productionAccounts` of `guardrails-org.yaml`, and the compartments of every stack of the
  project whose environment is production (its own and those its databases name); what a
  production stack declares lives there.

    guardrails-org.yaml
      productionEnvironments: [prod, production, live]
      productionCompartments: [ocid1.compartment.oc1..aaaa...]
      productionAccounts: ["123456789012"]

An empty or missing `productionEnvironments` anywhere never makes a production resource fair
game: the built-in values always count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.limits import PRODUCTION_ENVIRONMENTS
from guardrails.runtime.validation import is_ocid
from guardrails.tooling.documents import load_document
from guardrails.tooling.project import load_project, load_stack_settings

ORG_SETTINGS = "guardrails-org.yaml"


@dataclass(frozen=True)
class ProductionPolicy:
    """What counts as production for the organisation (see the module docstring)."""

    environments: frozenset[str] = frozenset(PRODUCTION_ENVIRONMENTS)
    compartments: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()

    def with_environments(self, extra: Iterable[str]) -> ProductionPolicy:
        """The policy with more production environments (a stack may add, never remove)."""
        return ProductionPolicy(self.environments | set(extra), self.compartments, self.accounts)

    def is_production_environment(self, environment: str | None) -> bool:
        return environment is None or environment in self.environments

    def reason(
        self,
        *,
        environment: str | None,
        compartment: str | None = None,
        account: str | None = None,
        tag: str = "environment",
    ) -> str | None:
        """Why a resource is production, or None when it is not."""
        if environment is None:
            return f"no {tag} tag: treated as production"
        if environment in self.environments:
            return f"{tag} {environment}"
        if compartment is not None and compartment in self.compartments:
            return f"in production compartment {compartment}"
        if account is not None and account in self.accounts:
            return f"in production account {account}"
        return None


def refuse_production_account(
    policy: ProductionPolicy, account: str | None, what: str, allow_prod: bool
) -> None:
    """GuardrailsError (exit 2, nothing changed) when `what` lives in a production account
    and `--allow-prod` was not given (resources without tags: layers, their permissions)."""
    if allow_prod or account is None or account not in policy.accounts:
        return
    raise GuardrailsError(
        f"{what} is in production account {account} (guardrails-org.yaml "
        "productionAccounts); nothing was changed: add --allow-prod to act on it"
    )


def _compartment(ocid: str) -> str:
    if not is_ocid(ocid, "compartment", "tenancy"):
        raise ValueError(f"{ocid!r} is not a compartment OCID")
    return ocid


def _account(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"write account ids in quotes: YAML read this one as the number {value} (and reads "
            "one with a leading zero and no 8 or 9 as an octal number)"
        )
    if isinstance(value, str) and not (len(value) == 12 and value.isdigit()):
        raise ValueError(f"{value!r} is not a 12-digit account id")
    return value


_Name = Annotated[str, Field(min_length=1)]


class _OrgSettings(BaseModel):
    """`guardrails-org.yaml` (an empty file: the built-in policy)."""

    model_config = ConfigDict(extra="forbid")

    productionEnvironments: list[_Name] = []
    productionCompartments: list[Annotated[str, AfterValidator(_compartment)]] = []
    productionAccounts: list[Annotated[str, BeforeValidator(_account)]] = []

    @model_validator(mode="before")
    @classmethod
    def _empty(cls, doc: Any) -> Any:
        if doc is None:
            return {}
        if isinstance(doc, dict):  # `key:` with nothing after it is an empty list
            return {k: [] if v is None else v for k, v in doc.items()}
        return doc


def read_org_settings(path: Path) -> ProductionPolicy:
    """`guardrails-org.yaml` (missing: the built-in policy). GuardrailsError (exit 2) for a
    malformed file."""
    if not path.is_file():
        return ProductionPolicy()
    org = load_document(path, _OrgSettings, "organisation settings")
    return ProductionPolicy(
        frozenset(PRODUCTION_ENVIRONMENTS) | set(org.productionEnvironments),
        frozenset(org.productionCompartments),
        frozenset(org.productionAccounts),
    )


def production_policy(program_dir: Path) -> ProductionPolicy:
    """The organisation's policy for a project: `guardrails-org.yaml`, plus the compartments
    of every stack of the project whose environment is production."""
    project = load_project(program_dir)
    base = read_org_settings(project.root / ORG_SETTINGS)
    compartments = set(base.compartments)
    for stack in project.stacks():
        try:
            config = load_stack_settings(project, stack).config
        except GuardrailsError:
            continue  # a broken stack file is reported by the command that reads it
        if config.get("guardrails:environment") not in base.environments:
            continue
        if config.get("guardrails:compartmentOcid"):
            compartments.add(config["guardrails:compartmentOcid"])
        compartments |= _database_compartments(config.get("guardrails:databases"))
    return ProductionPolicy(base.environments, frozenset(compartments), base.accounts)


def policy_for(directory: Path) -> ProductionPolicy:
    """The policy where a command runs: the project's (`production_policy`) in a Pulumi
    project, else `guardrails-org.yaml` in `directory` (missing: the built-in policy)."""
    if (directory / "Pulumi.yaml").is_file():
        return production_policy(directory)
    return read_org_settings(directory / ORG_SETTINGS)


def _database_compartments(databases: str | None) -> set[str]:
    """Compartments a stack's `guardrails:databases` entries name (JSON text, as config
    passes it)."""
    try:
        doc = json.loads(databases) if databases else {}
    except ValueError:
        return set()
    return {
        str(db["compartmentOcid"])
        for db in (doc.values() if isinstance(doc, dict) else [])
        if isinstance(db, dict) and db.get("compartmentOcid")
    }

"""Declared against deployed: what a stack declares and what its account holds.

These stack rules judge only a live audit run with a stack (`guardrails audit --stack S`):
the audit adds one `DECLARATION` resource to what it read, carrying the stack's governed
resources (type and name, from a capture of the stack's program) and the compartments or
regions the stack owns. Without that resource (a program, a plan, an audit without a stack)
they have nothing to judge and say nothing.

- `<vendor>-stack-resource-deployed`: each declared resource exists in the account (same type
  and name);
- `<vendor>-stack-resource-declared`: each live resource of a type the stack declares, in the
  stack's compartments (OCI) or regions (AWS), is declared by the stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule, many

DECLARATION = "guardrails:audit/declaration:Declaration"
"""The resource a live audit with a stack adds: inputs `stack`, `vendor`, `declared`
([{type, name}]), `scopes` (compartment OCIDs or regions) and `nameOf` ({type: input name})."""


def _declaration(resources: Sequence[Resource], vendor: str) -> Resource | None:
    return next((r for r in resources if r.type == DECLARATION and r.get("vendor") == vendor), None)


def _in_scope(resource: Resource, scopes: set[str]) -> bool:
    where = resource.get("compartmentId") or resource.get("region")
    return not scopes or where in scopes


def _deployed(vendor: str) -> Any:
    def check(
        resources: Sequence[Resource], _: Mapping[str, Any]
    ) -> Iterable[tuple[str | None, str]]:
        declaration = _declaration(resources, vendor)
        if declaration is None:
            return
        live = {(r.type, r.name) for r in resources if r.type != DECLARATION}
        stack = declaration.get("stack")
        for item in many(declaration.get("declared")):
            if item.get("name") is None:
                continue  # named at create time: cannot be matched by name
            key = (str(item.get("type")), str(item.get("name")))
            if key not in live:
                short = key[0].rsplit(":", 1)[-1]
                yield (
                    str(item.get("urn") or "") or None,
                    f"stack {stack} declares {short} {key[1]!r} but the account has none by that "
                    "name: deleted or renamed outside Pulumi (run `pulumi refresh`), or never "
                    "deployed",
                )

    return check


def _declared(vendor: str) -> Any:
    def check(
        resources: Sequence[Resource], _: Mapping[str, Any]
    ) -> Iterable[tuple[str | None, str]]:
        declaration = _declaration(resources, vendor)
        if declaration is None:
            return
        stack = declaration.get("stack")
        items = many(declaration.get("declared"))
        names = {(str(i.get("type")), str(i.get("name"))) for i in items}
        unnamed = {str(i.get("type")) for i in items if i.get("name") is None}
        types = {t for t, _ in names} - unnamed
        scopes = {str(s) for s in declaration.get("scopes") or []}
        for r in resources:
            if r.type in types and _in_scope(r, scopes) and (r.type, r.name) not in names:
                yield (
                    r.urn,
                    f"{r.type.rsplit(':', 1)[-1]} {r.name!r} is in stack {stack}'s "
                    f"{'compartments' if vendor == 'oci' else 'regions'} but the stack does not "
                    "declare it: made in the console or by a script; import it (`pulumi import`) "
                    "or remove it",
                )

    return check


def _rules(vendor: str, where: str) -> tuple[Rule, Rule]:
    return (
        Rule(
            id=f"{vendor}-stack-resource-deployed",
            description=f"Every governed resource the stack declares exists in the {where} "
            "(live audit with a stack).",
            severity="medium",
            enforcement="mandatory",
            check_stack=_deployed(vendor),
        ),
        Rule(
            id=f"{vendor}-stack-resource-declared",
            description="Every live resource of a governed type in the stack's "
            f"{'compartments' if vendor == 'oci' else 'regions'} is declared by the stack "
            "(live audit with a stack).",
            severity="medium",
            enforcement="advisory",
            check_stack=_declared(vendor),
        ),
    )


RULES: tuple[Rule, ...] = (*_rules("oci", "tenancy"), *_rules("aws", "account"))

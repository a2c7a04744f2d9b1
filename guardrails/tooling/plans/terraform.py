"""Read a `terraform show -json` plan into the capture record.

- Resources: every managed resource instance of `planned_values` (root module and child
  modules, with count and for_each addresses), valued from `resource_changes[].change.after`
  with the `after_unknown` leaves set to Pulumi's unknown sentinel (Terraform leaves them out
  of `after`); instances the plan deletes are gone, data sources are not resources.
- Types: Terraform type -> Pulumi token through the providers' own naming table
  (`policies.naming`, `policies/data/terraform_types.json`). Types without a token are
  counted and named, not judged by the catalog (checkov still judges them).
- Tags as Terraform computes them: AWS `tags_all` is `tags` over the provider block's
  `default_tags`; an OCI `defined_tags`/`freeform_tags` the configuration does not set is
  empty, not "known after apply".
- Names: the Terraform address is the resource's URN and name (reports, suppressions).
- Dependencies: from the plan's `configuration` (expression references and depends_on),
  followed through module variables and outputs, so stack rules see subnet -> route table ->
  gateway links that only exist as references until apply.
- Sensitive values (`after_sensitive`) become the secret placeholder.

`lifecycle { prevent_destroy }` is not part of the JSON plan, so `protect` is always false.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.plans import UNKNOWN, PlanFile
from guardrails.tooling.program.record import Capture, CapturedResource
from guardrails.tooling.project import SECRET_PLACEHOLDER
from policies.naming import camel, from_terraform, pulumi_token

_MODULE = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?')
_NOT_RESOURCES = frozenset({"local", "count", "each", "path", "terraform", "self", "data"})
FORMATS = ("0.1", "0.2", "1.")
"""`format_version`s Terraform has written: 0.1 (0.12-0.15), 0.2 (1.0.x), 1.x (1.1 on)."""
OCI_TAG_ATTRIBUTES = ("defined_tags", "freeform_tags")


@dataclass(frozen=True)
class _Instance:
    address: str
    module: str  # module instance address, "" for the root module
    type: str
    name: str
    values: dict[str, Any]
    secret: tuple[str, ...]


def _modules(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield module
    for child in module.get("child_modules") or []:
        yield from _modules(child)


def _calls(module_address: str) -> tuple[str, ...]:
    """`module.net["a"].module.sub[0]` -> ("net", "sub")."""
    return tuple(m.group(1) for m in _MODULE.finditer(module_address))


def _parent_module(module_address: str) -> str:
    segments = [m.group(0) for m in _MODULE.finditer(module_address)]
    return ".".join(segments[:-1])


def _with_unknowns(after: Any, unknown: Any) -> Any:
    """`after` with each `true` leaf of `after_unknown` set to the unknown sentinel."""
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, dict):
        merged = dict(after) if isinstance(after, dict) else {}
        for key, mark in unknown.items():
            merged[key] = _with_unknowns(merged.get(key), mark)
        return merged
    if isinstance(unknown, list):
        items = list(after) if isinstance(after, list) else []
        for index, mark in enumerate(unknown):
            if index < len(items):
                items[index] = _with_unknowns(items[index], mark)
            elif mark:
                items.append(_with_unknowns(None, mark))
        return items
    return after


def _masked(value: Any, sensitive: Any) -> tuple[Any, bool]:
    if sensitive is True:
        return SECRET_PLACEHOLDER, True
    if isinstance(sensitive, dict) and isinstance(value, dict):
        out, hit = dict(value), False
        for key, mark in sensitive.items():
            if key in out:
                out[key], found = _masked(out[key], mark)
                hit = hit or found
        return out, hit
    if isinstance(sensitive, list) and isinstance(value, list):
        items, hit = list(value), False
        for index, mark in enumerate(sensitive[: len(items)]):
            items[index], found = _masked(items[index], mark)
            hit = hit or found
        return items, hit
    return value, False


def _mask_sensitive(values: dict[str, Any], sensitive: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(sensitive, dict):
        return values, []
    out = dict(values)
    secret = []
    for key, mark in sensitive.items():
        if key in out:
            out[key], hit = _masked(out[key], mark)
            if hit:
                secret.append(key)
    return out, sorted(secret)


def _references(node: Any) -> list[str]:
    """Every reference in a block-expressions representation (nested blocks included)."""
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    if not isinstance(node, dict):
        return []
    refs = [r for r in node.get("references") or [] if isinstance(r, str)]
    for key, value in node.items():
        if key not in ("references", "constant_value"):
            refs += _references(value)
    return refs


class _Graph:
    """Resolves configuration references to resource instance addresses."""

    def __init__(self, configuration: Mapping[str, Any], instances: list[_Instance]) -> None:
        self.configs: dict[tuple[str, ...], Mapping[str, Any]] = {}
        self.providers: Mapping[str, Any] = configuration.get("provider_config") or {}
        self._index(configuration.get("root_module") or {}, ())
        self.by_name: dict[tuple[str, str, str], list[str]] = {}
        self.module_instances: set[str] = set()
        for inst in instances:
            self.by_name.setdefault((inst.module, inst.type, inst.name), []).append(inst.address)
            self.module_instances.add(inst.module)

    def _index(self, module: Mapping[str, Any], calls: tuple[str, ...]) -> None:
        self.configs[calls] = module
        for name, call in (module.get("module_calls") or {}).items():
            self._index(call.get("module") or {}, (*calls, name))

    def config_of(self, inst: _Instance) -> Mapping[str, Any] | None:
        """The resource block behind an instance in the plan's `configuration`."""
        wanted = f"{inst.type}.{inst.name}"
        for resource in self.configs.get(_calls(inst.module), {}).get("resources") or []:
            if resource.get("address") == wanted and resource.get("mode", "managed") == "managed":
                return resource  # type: ignore[no-any-return]
        return None

    def provider_of(self, inst: _Instance) -> Mapping[str, Any] | None:
        """The provider block an instance uses: its `provider_config_key` (a module's own
        block, else the one passed down: the key without its module part), else the
        default block of its provider."""
        config = self.config_of(inst) or {}
        key = str(config.get("provider_config_key") or inst.type.split("_", 1)[0])
        for candidate in (key, key.rsplit(":", 1)[-1], inst.type.split("_", 1)[0]):
            if candidate in self.providers:
                return self.providers[candidate]  # type: ignore[no-any-return]
        return None

    def dependencies(self, inst: _Instance) -> list[str]:
        config = self.config_of(inst)
        refs: list[str] = []
        if config is not None:
            refs += _references(config.get("expressions"))
            refs += [d for d in config.get("depends_on") or [] if isinstance(d, str)]
        # Terraform lists `a.b` next to `a.b.id` ("implied by the previous"); keep the longest.
        unique = set(refs)
        longest = [r for r in unique if not any(o.startswith((r + ".", r + "[")) for o in unique)]
        found: set[str] = set()
        for ref in longest:
            found |= self._resolve(ref, inst.module, set())
        found.discard(inst.address)
        return sorted(found)

    def _resolve(self, ref: str, module: str, seen: set[tuple[str, str]]) -> set[str]:
        if (ref, module) in seen:
            return set()
        seen.add((ref, module))
        parts = ref.split(".")
        head = parts[0]
        if head in _NOT_RESOURCES or len(parts) < 2:
            return set()
        calls = _calls(module)
        if head == "var":
            if not calls:
                return set()  # a root variable is an input, not a resource
            parent = _parent_module(module)
            call = (self.configs.get(calls[:-1], {}).get("module_calls") or {}).get(calls[-1], {})
            expression = (call.get("expressions") or {}).get(parts[1].split("[")[0])
            return self._resolve_all(_references(expression), parent, seen)
        if head == "module":
            return self._module_output(parts, module, calls, seen)
        name = parts[1].split("[")[0]
        return set(self.by_name.get((module, head, name), []))

    def _resolve_all(self, refs: list[str], module: str, seen: set[tuple[str, str]]) -> set[str]:
        out: set[str] = set()
        for ref in refs:
            out |= self._resolve(ref, module, seen)
        return out

    def _module_output(
        self, parts: list[str], module: str, calls: tuple[str, ...], seen: set[tuple[str, str]]
    ) -> set[str]:
        call = parts[1]
        child = call.split("[")[0]
        base = f"{module}.module." if module else "module."
        if "[" in call:  # one instance of the module: module.net["web"]
            children = {m for m in self.module_instances if m == base + call}
        else:
            children = {
                m
                for m in self.module_instances
                if (m == base + child or m.startswith(f"{base}{child}["))
                and len(_calls(m)) == len(calls) + 1
            }
        config = self.configs.get((*calls, child), {})
        if len(parts) > 2:
            output = (config.get("outputs") or {}).get(parts[2].split("[")[0], {})
            refs = _references(output.get("expression"))
            return {a for m in children for a in self._resolve_all(refs, m, seen)}
        return {a for (m, _, _), addrs in self.by_name.items() if m in children for a in addrs}


def _check_version(doc: Mapping[str, Any], path: Path) -> None:
    version = str(doc.get("format_version", "1.0"))
    if not version.startswith(FORMATS):
        raise GuardrailsError(
            f"{path}: Terraform plan format {version} is not one guardrails reads (0.1 from "
            "Terraform 0.12-0.15, 0.2 from 1.0, 1.x from 1.1 on)"
        )


def _default_tags(graph: _Graph, inst: _Instance, variables: Mapping[str, Any]) -> Any:
    """The `default_tags` of the AWS provider block the instance uses: {} without one, the
    map when the configuration gives it literally or as one root variable (whose value the
    plan records), else UNKNOWN (Terraform computes it from something the plan does not
    know)."""
    provider = graph.provider_of(inst)
    blocks = ((provider or {}).get("expressions") or {}).get("default_tags")
    block = (blocks[0] if blocks else None) if isinstance(blocks, list) else blocks
    tags = block.get("tags") if isinstance(block, Mapping) else None
    if not isinstance(tags, Mapping):
        return {}
    if "constant_value" in tags:
        return dict(tags["constant_value"] or {})
    refs = [r for r in tags.get("references") or [] if isinstance(r, str)]
    if len(refs) == 1 and refs[0].startswith("var.") and not _calls(inst.module):
        value = (variables.get(refs[0].split(".")[1]) or {}).get("value")
        if isinstance(value, Mapping):
            return dict(value)
    return UNKNOWN


def _has_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())
    return False


def _tags_as_terraform_computes(
    inst: _Instance, graph: _Graph, variables: Mapping[str, Any]
) -> None:
    """Tags as they will be after apply, where the plan says "known after apply" for a value
    the configuration decides. AWS: `tags_all` is `tags` over the provider's `default_tags`
    (null `tags` is none). OCI has no default tags: a `defined_tags`/`freeform_tags` the
    configuration does not set is empty (OCI adds only its own Oracle-Tags namespace)."""
    values = inst.values
    if inst.type.startswith("aws_") and ("tags" in values or "tags_all" in values):
        if values.get("tags") is None:
            values["tags"] = {}
        if values.get("tags_all") in (None, UNKNOWN) and not _has_unknown(values["tags"]):
            defaults = _default_tags(graph, inst, variables)
            values["tags_all"] = UNKNOWN if defaults == UNKNOWN else {**defaults, **values["tags"]}
    elif inst.type.startswith("oci_"):
        config = graph.config_of(inst)
        if config is None:
            return
        expressions = config.get("expressions") or {}
        for attribute in OCI_TAG_ATTRIBUTES:
            if values.get(attribute) == UNKNOWN and attribute not in expressions:
                values[attribute] = {}


def read_terraform_plan(doc: Mapping[str, Any], path: Path) -> PlanFile:
    """The plan's managed resources as a capture (see the module docstring)."""
    _check_version(doc, path)
    changes = {
        c["address"]: c
        for c in doc.get("resource_changes") or []
        if isinstance(c, dict) and "address" in c
    }
    planned = (doc.get("planned_values") or {}).get("root_module") or {}
    instances: list[_Instance] = []
    unmapped: dict[str, int] = {}
    scanned = 0
    for module in _modules(planned):
        for r in module.get("resources") or []:
            if r.get("mode", "managed") != "managed":
                continue
            scanned += 1
            change = changes.get(r["address"], {}).get("change") or {}
            if "delete" in change.get("actions", []) and "create" not in change["actions"]:
                continue
            values = change.get("after") if change.get("after") is not None else r.get("values")
            values = _with_unknowns(values or {}, change.get("after_unknown"))
            values.pop("id", None)  # the provider's id of the object, not an argument
            values, secret = _mask_sensitive(
                values, change.get("after_sensitive", r.get("sensitive_values"))
            )
            if pulumi_token(r["type"]) is None:
                unmapped[r["type"]] = unmapped.get(r["type"], 0) + 1
                continue
            instances.append(
                _Instance(
                    address=r["address"],
                    module=str(module.get("address", "")),
                    type=r["type"],
                    name=r.get("name", ""),
                    values=values,
                    secret=tuple(secret),
                )
            )
    graph = _Graph(doc.get("configuration") or {}, instances)
    variables = doc.get("variables") or {}
    resources = []
    for inst in instances:
        _tags_as_terraform_computes(inst, graph, variables)
        resources.append(
            CapturedResource(
                urn=inst.address,
                type=pulumi_token(inst.type) or inst.type,
                name=inst.address,
                custom=True,
                parent=None,
                inputs=from_terraform(inst.values),
                dependencies=graph.dependencies(inst),
                secret_inputs=[camel(k) for k in inst.secret],
            )
        )
    capture = Capture(
        project="terraform",
        stack=path.stem,
        program=str(path),
        resources=sorted(resources, key=lambda r: r.urn),
    )
    notes = []
    if unmapped:
        notes.append(
            f"{sum(unmapped.values())} resources of {len(unmapped)} Terraform types have no "
            "Pulumi token in the providers' naming table and were not judged by the catalog "
            "(checkov still judges them with --checkov): "
            + ", ".join(f"{k} ({v})" for k, v in sorted(unmapped.items()))
        )
    return PlanFile(
        path=path,
        tool="terraform",
        capture=capture,
        unmapped=unmapped,
        notes=notes,
        checkov_plan=dict(doc),
        checkov_resources=scanned,
    )

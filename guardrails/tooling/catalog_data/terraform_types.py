"""Generate `policies/data/terraform_types.json`: the Terraform resource type of each Pulumi
type token, as the bridged providers themselves name them.

A bridged provider records the Terraform name behind every token it generates; the name
cannot be derived from the token's spelling (`aws:ec2/instance:Instance` is `aws_instance`,
`aws:rds/instance:Instance` is `aws_db_instance`). Two sources are read, each the provider's
own record:

- `bridge-metadata.json` (`renames.resources`: token -> Terraform name), shipped in every
  bridged provider's repository at `provider/cmd/pulumi-resource-<pkg>/`; give the file of the
  release tag that matches the installed SDK (`--metadata aws=FILE`);
- for pulumi-oci, `provider/resources.go` also works (`--resources-go oci=FILE`): its module
  map (Terraform prefix -> Pulumi module) and explicit tokens are the rule the bridge applies
  (`MappedModulesWithInferredFallback`: a module not in the map is the prefix camel-cased,
  a token of the package module `oci` has no prefix).

Only tokens of the installed SDKs are kept. A token the source does not name inherits the
name of a token it declares as an alias in the installed SDK (pulumi-aws 7 renamed
`s3.BucketV2` to `s3.Bucket`, which aliases the old token). Names the bridge keeps for its own
legacy resources (`*_legacy`) are not Terraform types and are dropped. The catalog reads the
JSON (it also runs where no provider SDK is installed: checkov's environment);
`tests/test_terraform_types.py` holds it against the installed SDKs and checkov.

    python -m guardrails.tooling.catalog_data.terraform_types \\
        --metadata aws=bridge-metadata.json --resources-go oci=resources.go
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import re
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata as distributions
from pathlib import Path

import policies
from guardrails.runtime.atomic_write import write_atomically
from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.pulumi_compat import provider_resource_tokens

OUTPUT = Path(policies.__file__).resolve().parent / "data" / "terraform_types.json"
PACKAGES = {"aws": "pulumi_aws", "oci": "pulumi_oci"}
DISTRIBUTIONS = {"aws": "pulumi-aws", "oci": "pulumi-oci"}
_TOKEN = re.compile(r"^(?P<pkg>[a-z0-9-]+):(?P<mod>[A-Za-z0-9]+)/(?P<member>\w+):(?P<name>\w+)$")
_ALIAS = re.compile(r'pulumi\.Alias\(type_="(?P<token>[^"]+)"\)')
_REGISTERED = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(?P<token>[^']+)'")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def from_bridge_metadata(doc: object, source: str) -> dict[str, str]:
    """`renames.resources` of a provider's bridge-metadata.json: token -> Terraform name."""
    renames = doc.get("renames") if isinstance(doc, Mapping) else None
    resources = renames.get("resources") if isinstance(renames, Mapping) else None
    if not isinstance(resources, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in resources.items()
    ):
        raise GuardrailsError(f"{source}: no renames.resources (token -> Terraform name) in it")
    return dict(resources)


def from_resources_go(text: str, tokens: Iterable[str], prefix: str = "oci") -> dict[str, str]:
    """The names pulumi-oci's `provider/resources.go` gives `tokens`: explicit `Tok:` entries
    first, then its module map (the longest Terraform prefix of a module), else the module
    camel-cased back (inferred modules), else no prefix (the package module)."""
    consts = dict(re.findall(r'^\s*(\w+)\s*=\s*"(\w+)"', text, re.M))
    start = text.find("var mappedMods = map[string]string{")
    if start < 0:
        raise GuardrailsError("resources.go: no `mappedMods` module map in it")
    block = text[start : text.index("\n}", start)]
    prefixes: dict[str, list[str]] = {}
    for tf_prefix, const in re.findall(r'"(\w+)":\s*(\w+),', block):
        prefixes.setdefault(consts.get(const, const), []).append(tf_prefix)
    explicit = {
        f"{prefix}:{consts.get(mod, mod)}/{name[:1].lower()}{name[1:]}:{name}": tf
        for tf, mod, name in re.findall(
            r'"(\w+)":\s*\{Tok:\s*tfbridge\.MakeResource\(mainPkg,\s*(\w+),\s*"(\w+)"\)', text
        )
    }
    names: dict[str, str] = {}
    for token in tokens:
        match = _TOKEN.match(token)
        if match is None:
            continue
        if token in explicit:
            names[token] = explicit[token]
            continue
        module, member = match["mod"], snake(match["member"])
        if module == prefix:
            names[token] = f"{prefix}_{member}"
            continue
        # Two prefixes name one module in a few places (data_labeling_service and
        # data_labelling_service); the first in sorted order is the Terraform one.
        tf_prefix = sorted(prefixes.get(module, [snake(module)]))[0]
        names[token] = f"{prefix}_{tf_prefix}_{member}"
    return names


def sdk_aliases(package: str) -> dict[str, list[str]]:
    """Token -> the older tokens it declares as aliases, read from the installed SDK's
    resource modules (`pulumi.Alias(type_=...)`)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise GuardrailsError(f"{package} is not installed")
    root = Path(spec.origin).resolve().parent
    aliases: dict[str, list[str]] = {}
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        registered = _REGISTERED.search(text)
        if registered is None or "pulumi.Alias(" not in text:
            continue
        found = sorted({m["token"] for m in _ALIAS.finditer(text)} - {registered["token"]})
        if found:
            aliases[registered["token"]] = found
    return aliases


def resolve(
    named: Mapping[str, str], installed: Iterable[str], aliases: Mapping[str, list[str]]
) -> dict[str, str]:
    """Installed tokens -> Terraform names: the source's name, else an alias's; legacy
    names dropped."""
    usable = {t: n for t, n in named.items() if not n.endswith("_legacy")}
    out: dict[str, str] = {}
    for token in sorted(installed):
        name = usable.get(token) or next(
            (usable[a] for a in aliases.get(token, ()) if a in usable), None
        )
        if name is not None:
            out[token] = name
    return out


def preferred_tokens(names: Mapping[str, str], aliases: Mapping[str, list[str]]) -> dict[str, str]:
    """Terraform name -> the token a plan's resource becomes: where several tokens carry one
    name, the one that declares the others as aliases (the current name), else the first."""
    by_name: dict[str, list[str]] = {}
    for token, name in names.items():
        by_name.setdefault(name, []).append(token)
    out = {}
    for name, tokens in sorted(by_name.items()):
        current = [t for t in tokens if set(aliases.get(t, ())) & set(tokens)]
        out[name] = sorted(current or tokens)[0]
    return out


def _read(source: str) -> str:
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise GuardrailsError(f"{source}: cannot be read: {exc.strerror}") from exc


def build(metadata: Mapping[str, str], resources_go: Mapping[str, str]) -> dict[str, object]:
    providers: dict[str, object] = {}
    for provider, package in PACKAGES.items():
        installed = provider_resource_tokens(package)
        aliases = sdk_aliases(package)
        if provider in metadata:
            source = metadata[provider]
            named = from_bridge_metadata(json.loads(_read(source)), source)
            kind = "bridge-metadata.json renames.resources"
        elif provider in resources_go:
            source = resources_go[provider]
            named = from_resources_go(_read(source), installed, provider)
            kind = "provider/resources.go module map and tokens"
        else:
            raise GuardrailsError(f"no source for {provider}: give --metadata or --resources-go")
        names = resolve(named, installed, aliases)
        providers[provider] = {
            "sdk": f"{DISTRIBUTIONS[provider]} {distributions.version(DISTRIBUTIONS[provider])}",
            "source": f"{kind}: {Path(source).name}",
            "tokens": len(installed),
            "resources": names,
            "terraform": preferred_tokens(names, aliases),
        }
    return {
        "generatedBy": "python -m guardrails.tooling.catalog_data.terraform_types",
        "generated": dt.date.today().isoformat(),
        "providers": providers,
    }


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        provider, sep, source = value.partition("=")
        if not sep or provider not in PACKAGES:
            raise GuardrailsError(f"{option} {value!r}: expected aws=FILE or oci=FILE")
        out[provider] = source
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m guardrails.tooling.catalog_data.terraform_types"
    )
    parser.add_argument("--metadata", action="append", default=[], metavar="PROVIDER=FILE")
    parser.add_argument("--resources-go", action="append", default=[], metavar="PROVIDER=FILE")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        doc = build(
            _pairs(args.metadata, "--metadata"), _pairs(args.resources_go, "--resources-go")
        )
    except GuardrailsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_atomically(args.output, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    for provider, data in doc["providers"].items():  # type: ignore[attr-defined]
        print(
            f"{provider}: {len(data['resources'])} of {data['tokens']} tokens named",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

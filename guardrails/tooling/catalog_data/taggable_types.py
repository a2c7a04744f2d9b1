"""Generate `policies/data/taggable_types.json`: the resource types that accept tags.

The list is read from the provider SDKs' own Args classes (every resource module the
package registers), so it follows provider releases instead of a hand-kept list. The rule
catalog reads the JSON file, because it also runs where the provider SDKs are not
installed (checkov's environment). `tests/test_policy_catalog.py` fails when the file is
out of date with the installed providers; regenerate it with
`python -m guardrails.tooling.catalog_data.taggable_types`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import policies
from guardrails.runtime.atomic_write import write_atomically
from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.pulumi_compat import provider_resource_tokens
from guardrails.tooling.program.provider_types import accepts_input

OUTPUT = Path(policies.__file__).resolve().parent / "data" / "taggable_types.json"
# (provider package, tag input the governance rules read)
PROVIDERS = (("pulumi_oci", "definedTags"), ("pulumi_aws", "tags"))


def build() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for package, tag_input in PROVIDERS:
        out[tag_input] = [
            t for t in provider_resource_tokens(package) if accepts_input(t, tag_input)
        ]
    return out


def main() -> int:
    try:
        doc = build()
    except GuardrailsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_atomically(OUTPUT, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`GovernanceTags`: the tag namespace, tags, required tag defaults and tag-based IAM grants.

What OCI can and cannot enforce with tags (and why this component is built this way):

- The only thing that forces a tag at create time is a `TagDefault` with `is_required=True`
  in the compartment, combined with an ENUM validator on the tag. This component creates
  both for `cost_center` and `environment`.
- IAM conditions on tags (`where target.resource.tag.governance.cost_center = 'CC-101'`) can
  scope *use* and *manage* of existing resources but cannot gate *create* or *list*: a create
  request has no target tags yet and list results are not filtered. Grants here are for
  day-2 access, never a substitute for the tag defaults.
- A tenancy has at most 10 cost-tracking tag keys; only `cost_center` is marked as one.
- OCI refuses a defined tag that does not exist, so the tags `guardrails cost enforce`
  writes (`cost_alerted`, the date a budget rule was crossed) and reads (`cost_exempt`,
  ENUM true/false) are created here with `enforcement_tags=True` (off by default: a stack
  without `guardrails:costEnforcement` does not need them; the stack program turns it on
  when the block is present).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_oci as oci

from components.tagging import GovernanceTagging, governance_defined_tags, merge_defined_tags
from guardrails.runtime.limits import (
    ENVIRONMENTS,
    IAM_RESOURCE_TYPE,
    IAM_VERB,
    TAG_NAMESPACE,
    TAG_VALUE,
    repeated_problem,
)
from guardrails.runtime.tag_keys import (
    COST_ALERTED_KEY,
    COST_CENTER_KEY,
    COST_EXEMPT_KEY,
    DEFAULT_NAMESPACE,
    ENVIRONMENT_KEY,
    OWNER_KEY,
)
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_limit,
    check_not_empty,
    check_ocid,
    check_one_of,
)

_COMPONENT = "GovernanceTags"
_IAM_GROUP = re.compile(r"^(?:'[^']+'/)?'?[A-Za-z0-9_.\-@ ]+'?$")


@dataclass(frozen=True)
class RequiredTagCompartment:
    """A compartment whose new resources must carry `cost_center` and `environment`.

    The tag defaults created for it pre-fill these values and refuse creates without them.
    """

    compartment_id: str
    cost_center: str
    environment: str


@dataclass(frozen=True)
class TagGrant:
    """`Allow group <group> to <verb> <resources> in tenancy where ...cost_center = '<cc>'`."""

    group: str
    verb: str
    resources: str
    cost_center: str

    def statement(self, namespace: str) -> str:
        return (
            f"Allow group {self.group} to {self.verb} {self.resources} in tenancy "
            f"where target.resource.tag.{namespace}.{COST_CENTER_KEY} = '{self.cost_center}'"
        )


@dataclass
class GovernanceTagsArgs:
    compartment_id: str
    """Where the namespace lives; usually the tenancy (root compartment) OCID."""
    cost_centers: Sequence[str]
    """The allowed values of `cost_center` (its ENUM validator)."""
    environments: Sequence[str] = ENVIRONMENTS
    namespace: str = DEFAULT_NAMESPACE
    required_in: Sequence[RequiredTagCompartment] = field(default_factory=list)
    grants: Sequence[TagGrant] = field(default_factory=list)
    description: str = "Cost and ownership governance tags"
    tagging: GovernanceTagging | None = None
    """Stamped on the IAM policy. The namespace and its tags cannot carry tags that do not
    exist yet, so they stay untagged."""
    existing_tag_ids: Mapping[str, str] | None = None
    """Tag definition OCIDs of `cost_center` and `environment` when another stack owns the
    namespace (it is tenancy-wide): no namespace or tags are created, only defaults and grants."""
    enforcement_tags: bool = False
    """Also create `cost_alerted` and `cost_exempt`, the tags `guardrails cost enforce` uses."""


class GovernanceTags(pulumi.ComponentResource):
    """Tag namespace with `cost_center`, `environment` and `owner`, plus tag defaults and grants."""

    namespace: oci.identity.TagNamespace | None
    tags: dict[str, oci.identity.Tag]
    tag_defaults: list[oci.identity.TagDefault]
    policy: oci.identity.Policy | None
    namespace_id: pulumi.Output[str] | None
    tag_ids: dict[str, pulumi.Input[str]]
    tag_default_ids: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: GovernanceTagsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("guardrails:oci:GovernanceTags", name, None, opts)
        self.args = args
        child = pulumi.ResourceOptions(parent=self)

        self.namespace, self.tags = None, {}
        tag_ids: dict[str, pulumi.Input[str]]
        if args.existing_tag_ids is None:
            self._create_namespace(name, args, child)
            tag_ids = {key: tag.id for key, tag in self.tags.items()}
        else:
            tag_ids = dict(args.existing_tag_ids)

        self.tag_defaults = []
        for index, target in enumerate(args.required_in):
            for key, value in (
                (COST_CENTER_KEY, target.cost_center),
                (ENVIRONMENT_KEY, target.environment),
            ):
                self.tag_defaults.append(
                    oci.identity.TagDefault(
                        f"{name}-default-{index}-{key.replace('_', '-')}",
                        compartment_id=target.compartment_id,
                        tag_definition_id=tag_ids[key],
                        value=value,
                        is_required=True,
                        opts=child,
                    )
                )

        self.policy = None
        if args.grants:
            self.policy = oci.identity.Policy(
                f"{name}-grants",
                compartment_id=args.compartment_id,
                name=f"{args.namespace}-cost-center-grants",
                description="Access scoped by the governance cost_center tag (not create/list)",
                statements=[grant.statement(args.namespace) for grant in args.grants],
                defined_tags=(
                    merge_defined_tags(args.tagging.defined_tags()) if args.tagging else None
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.tags.values())),
            )

        self.namespace_id = self.namespace.id if self.namespace else None
        self.tag_ids = tag_ids
        self.tag_default_ids = [d.id for d in self.tag_defaults]
        self.register_outputs(
            {
                "namespace_id": self.namespace_id,
                "tag_ids": self.tag_ids,
                "tag_default_ids": self.tag_default_ids,
            }
        )

    def _create_namespace(
        self, name: str, args: GovernanceTagsArgs, child: pulumi.ResourceOptions
    ) -> None:
        self.namespace = oci.identity.TagNamespace(
            f"{name}-namespace",
            compartment_id=args.compartment_id,
            name=args.namespace,
            description=args.description,
            opts=child,
        )
        specs = {
            COST_CENTER_KEY: (
                "Cost center that pays for the resource",
                list(args.cost_centers),
                True,
            ),
            ENVIRONMENT_KEY: ("Deployment environment", list(args.environments), False),
            OWNER_KEY: ("Team or person accountable for the resource", None, False),
        }
        if args.enforcement_tags:
            specs[COST_ALERTED_KEY] = (
                "Date a budget alert rule of the resource's cost center was crossed",
                None,
                False,
            )
            specs[COST_EXEMPT_KEY] = (
                "true: guardrails cost enforce never stops the resource",
                ["true", "false"],
                False,
            )
        for key, (description, values, cost_tracking) in specs.items():
            self.tags[key] = oci.identity.Tag(
                f"{name}-{key.replace('_', '-')}",
                tag_namespace_id=self.namespace.id,
                name=key,
                description=description,
                is_cost_tracking=cost_tracking,
                validator=(
                    oci.identity.TagValidatorArgs(validator_type="ENUM", values=values)
                    if values is not None
                    else None
                ),
                opts=child,
            )

    def defined_tags(self, cost_center: str, environment: str, owner: str) -> dict[str, str]:
        """The defined-tag map for these values; values outside the ENUMs raise."""
        return governance_defined_tags(
            cost_center,
            environment,
            owner,
            cost_centers=self.args.cost_centers,
            namespace=self.args.namespace,
            environments=self.args.environments,
        )


def _validate(args: GovernanceTagsArgs) -> None:
    check_ocid(_COMPONENT, "compartment_id", args.compartment_id, "tenancy", "compartment")
    check_limit(_COMPONENT, "namespace", args.namespace, TAG_NAMESPACE)
    check_not_empty(_COMPONENT, "cost_centers", args.cost_centers)
    for label, values in (("cost_centers", args.cost_centers), ("environments", args.environments)):
        for index, value in enumerate(values):
            check_limit(_COMPONENT, f"{label}[{index}]", value, TAG_VALUE)
        repeated = repeated_problem(values, "value")
        if repeated:
            raise ComponentArgumentError(_COMPONENT, label, repeated)
    if args.existing_tag_ids is not None:
        if args.enforcement_tags:
            raise ComponentArgumentError(
                _COMPONENT,
                "enforcement_tags",
                "needs the namespace created here; with existing_tag_ids its owner creates "
                f"{COST_ALERTED_KEY} and {COST_EXEMPT_KEY}",
            )
        for key in (COST_CENTER_KEY, ENVIRONMENT_KEY):
            if key not in args.existing_tag_ids:
                raise ComponentArgumentError(
                    _COMPONENT, "existing_tag_ids", f"must name the {key} tag"
                )
            check_ocid(
                _COMPONENT,
                f"existing_tag_ids[{key!r}]",
                args.existing_tag_ids[key],
                "tagdefinition",
            )
    if args.tagging is not None:
        check_one_of(_COMPONENT, "tagging.namespace", args.tagging.namespace, (args.namespace,))
        check_one_of(_COMPONENT, "tagging.cost_center", args.tagging.cost_center, args.cost_centers)
    for index, target in enumerate(args.required_in):
        where = f"required_in[{index}]"
        check_ocid(
            _COMPONENT, f"{where}.compartment_id", target.compartment_id, "tenancy", "compartment"
        )
        check_one_of(_COMPONENT, f"{where}.cost_center", target.cost_center, args.cost_centers)
        check_one_of(_COMPONENT, f"{where}.environment", target.environment, args.environments)
    for index, grant in enumerate(args.grants):
        where = f"grants[{index}]"
        check_limit(_COMPONENT, f"{where}.verb", grant.verb, IAM_VERB)
        check_one_of(_COMPONENT, f"{where}.cost_center", grant.cost_center, args.cost_centers)
        if not _IAM_GROUP.match(grant.group):
            raise ComponentArgumentError(
                _COMPONENT, f"{where}.group", f"must be an IAM group name (got {grant.group!r})"
            )
        check_limit(_COMPONENT, f"{where}.resources", grant.resources, IAM_RESOURCE_TYPE)

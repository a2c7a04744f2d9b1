"""The schema of the guardrails stacks' config (`stacks/Pulumi.<env>.yaml`).

The whole config is validated before any resource is declared, and every problem is reported
with its key path, e.g. `guardrails:databases.orders.computeCount: must be >= 2 (got 1)`,
all problems at once. Plain-text secrets are refused: a key that looks like a password,
token or webhook must be set with `pulumi config set --secret`, or be an OCI Vault OCID.

- `base.py`: the base model and the field types (OCIDs, e-mail, URLs, tag values);
- `models.py`: the pydantic models, `StackConfig` the whole namespace (limits from
  `guardrails.runtime.limits`, shared with the components);
- `secret_scan.py`: the plain-text secret scan;
- `problems.py`: pydantic and component errors as `key.path: problem` lines;
- `parse.py`: `parse_stack_config` and `runtime_config`.
"""

from guardrails.runtime.stack_schema.models import (
    AlarmsConfig,
    AlertRuleConfig,
    BackupsConfig,
    BudgetsConfig,
    CostCenterBudgetConfig,
    DatabaseAccessConfig,
    DatabaseConfig,
    ExistingTagsConfig,
    GovernanceConfig,
    LayerAlarmsConfig,
    LayerConfig,
    LayerShareConfig,
    PrivateEndpointConfig,
    RequiredTagCompartmentConfig,
    StackConfig,
    StreamConfig,
    StreamPoolEndpointConfig,
    StreamsConfig,
    TagGrantConfig,
)
from guardrails.runtime.stack_schema.parse import parse_stack_config, runtime_config
from guardrails.runtime.stack_schema.problems import (
    NAMESPACE,
    StackConfigError,
    config_path,
    config_problem,
)
from guardrails.runtime.stack_schema.secret_scan import SECRET_KEYS

__all__ = [
    "NAMESPACE",
    "SECRET_KEYS",
    "AlarmsConfig",
    "AlertRuleConfig",
    "BackupsConfig",
    "BudgetsConfig",
    "CostCenterBudgetConfig",
    "DatabaseAccessConfig",
    "DatabaseConfig",
    "ExistingTagsConfig",
    "GovernanceConfig",
    "LayerAlarmsConfig",
    "LayerConfig",
    "LayerShareConfig",
    "PrivateEndpointConfig",
    "RequiredTagCompartmentConfig",
    "StackConfig",
    "StackConfigError",
    "StreamConfig",
    "StreamPoolEndpointConfig",
    "StreamsConfig",
    "TagGrantConfig",
    "config_path",
    "config_problem",
    "parse_stack_config",
    "runtime_config",
]

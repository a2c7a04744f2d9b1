"""`guardrails cost enforce` and `cost unfreeze`: acting on budget breaches."""

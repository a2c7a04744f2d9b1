"""`guardrails cost report`: spend against the budgets a stack declares."""

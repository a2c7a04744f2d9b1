"""Policy-as-code for guardrails: the rule catalog and its engines (CrossGuard, the offline
gate, checkov). The catalog arrives with the policy work; this package reserves the name.
"""

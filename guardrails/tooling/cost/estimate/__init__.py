"""`guardrails cost estimate`, `cost diff` and `cost prices`: what a stack will cost before
deploy.
"""

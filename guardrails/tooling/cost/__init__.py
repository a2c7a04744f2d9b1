"""Cost governance: spend against budgets at run time, and estimates before deploy."""

from pathlib import Path

DEFAULT_STORE = Path("~/.cache/guardrails/cost.duckdb")
"""The local cost store (a DuckDB file; `--store` overrides it). Defined here, not in
`store`, so that the command line shows it without importing DuckDB."""

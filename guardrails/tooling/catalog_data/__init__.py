"""Generators of the data files the rule catalog reads (kept as data because the catalog runs
where the provider SDKs are not installed).
"""

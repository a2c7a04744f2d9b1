"""The policy gate: the catalog judged through the real policy pack, on a program run offline
or a plan file, with checkov alongside, the ledger and the reports.
"""

"""Autonomous Database fleet operations: status, recommendations and safe lifecycle commands."""

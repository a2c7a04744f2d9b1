"""What every command that changes cloud resources shares: the audit trail."""

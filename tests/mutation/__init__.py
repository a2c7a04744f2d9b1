"""What `make mutation` ends with: the check of the survivors and the accepted ones."""

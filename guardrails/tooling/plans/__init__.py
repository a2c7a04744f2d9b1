"""Plans written by other tools (Terraform, Pulumi preview) read into the capture record."""

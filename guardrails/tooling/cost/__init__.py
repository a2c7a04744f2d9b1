"""Cost governance: spend against budgets at run time, and estimates before deploy."""

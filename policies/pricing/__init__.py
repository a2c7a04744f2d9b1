"""Cost before deploy: the price books and the estimator the `cost estimate` command, the gate
and the budget policy share. Plain standard library, like the rest of the catalog.
"""

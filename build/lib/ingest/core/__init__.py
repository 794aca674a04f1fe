"""The shared core of every loader: the warehouse, its migrations and grants, the batch ledger."""

"""The Orders table, split by responsibility: writes and reads, listing, dispatch ledger."""

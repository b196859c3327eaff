"""The wire contract: topic names, partition counts, keys and the one codec."""

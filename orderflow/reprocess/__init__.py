"""Reprocessing: rewind the workers' committed offsets on the topic a stage reads, so the
stages process its records again (idempotently). Used by `orderflow reprocess`."""

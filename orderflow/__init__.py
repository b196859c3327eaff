"""Composition root: the orderflow CLI and the local stack."""

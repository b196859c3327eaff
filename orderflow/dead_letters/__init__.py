"""Dead-letter tooling: list what the stages gave up on, grouped per original record, and
redrive it (put it back on its topic) once the cause is fixed. Used by `orderflow dlq`."""

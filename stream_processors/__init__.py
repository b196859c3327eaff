"""Faust stream processors: one agent per stage, all in one consumer group."""

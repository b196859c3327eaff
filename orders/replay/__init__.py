"""Rebuilding the status table from the order event log (`orderflow replay`).

- `until`: what `--until` means (a time or an offset);
- `build`: one table being built: how far it has read, what it counted; progress reports;
- `source`/`kafka_source`: the event log, read by partition from given offsets;
- `redis_tables`/`redis_writer`: the pointer, the freeze, switching and dropping tables, and
  writing changes into a table with the projection's own Lua compare-and-set;
- `builder`: reads the log from a build's positions to given end offsets;
- `replay`: rebuild and switch, build into a named table; `verify`: compare with the live one.
"""

"""Where the status table lives in Redis: table prefixes, the live-table pointer, the freeze.

The status table is a set of keys under a *table prefix*. A pointer key names the prefix of
the live table; without a pointer the live table is the namespace itself (the legacy layout, so
a Redis written before tables existed, or one that lost its data, still has a live table).

    {ns}:status-table           the pointer: the live table's prefix (absent: {ns})
    {ns}:status-freeze          while it exists, live writes wait (a replay is switching tables)
    {ns}:t:{name}               prefix of a table built by `orderflow replay`
    {prefix}:order:{order_id}   one order (hash); `...:history` its history (list)
    {prefix}:active             the unfinished orders (sorted set) the deadline job scans
    {prefix}:by-created         every order (sorted set by creation time, epoch seconds)
    {prefix}:by-status:{S}      the orders now in status S (same scores)
    {prefix}:by-customer:{C}    customer C's orders (same scores)
    {prefix}:placed:{second}    orders placed in that epoch second (expires after 2 minutes)
    {prefix}:moved:{start}      status changes in the 10 s from `start`, per move (hash
                                `PENDING>VALIDATED` -> count; expires 15 minutes after)
    {ns}:changes                pub/sub channel: every live status change (the change feed)
    {ns}:changes:log            stream: the recent notes of the change feed (the change log)
    {ns}:replay:{name}          how far the build of table `name` has read the event log

Idempotency keys (`{ns}:idem:*`) are not part of any table and never move.
"""

import re
from dataclasses import dataclass

from orders.errors import ReplayError

# Names end up inside keys and SCAN patterns: no ':' (a separator) and no glob characters.
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,80}$")


def check_table_name(name: str) -> str:
    """`name`, or ReplayError when it cannot name a table."""
    if not _NAME.match(name):
        raise ReplayError(f"not a table name: {name!r} (letters, digits, '.', '_', '-')")
    return name


def order_key(table: str, order_id: str) -> str:
    return f"{table}:order:{order_id}"


def history_key(table: str, order_id: str) -> str:
    return f"{order_key(table, order_id)}:history"


def active_key(table: str) -> str:
    return f"{table}:active"


def index_key(table: str, index: str) -> str:
    """A list index of `table`: 'by-created', 'by-status:{S}' or 'by-customer:{C}'."""
    return f"{table}:{index}"


def placed_key(table: str, second: int) -> str:
    return f"{table}:placed:{second}"


@dataclass(frozen=True)
class TableKeys:
    """The table-level keys of one namespace."""

    namespace: str

    @property
    def pointer(self) -> str:
        return f"{self.namespace}:status-table"

    @property
    def freeze(self) -> str:
        return f"{self.namespace}:status-freeze"

    @property
    def changes(self) -> str:
        """The change feed's pub/sub channel (per namespace: it outlives table switches)."""
        return f"{self.namespace}:changes"

    @property
    def change_log(self) -> str:
        """The change log: a capped stream of the feed's recent notes (change_log.py)."""
        return f"{self.changes}:log"

    @property
    def legacy(self) -> str:
        """The live table when there is no pointer."""
        return self.namespace

    def table(self, name: str) -> str:
        """The prefix of the table called `name`."""
        return f"{self.namespace}:t:{check_table_name(name)}"

    def name_of(self, table: str) -> str | None:
        """The name of a table prefix; None for the legacy table."""
        head = f"{self.namespace}:t:"
        if table == self.legacy:
            return None
        if not table.startswith(head):
            raise ReplayError(f"{table!r} is not a status table of namespace {self.namespace!r}")
        return check_table_name(table[len(head) :])

    def progress(self, name: str) -> str:
        return f"{self.namespace}:replay:{check_table_name(name)}"

    @property
    def progress_pattern(self) -> str:
        return f"{self.namespace}:replay:*"

    def patterns(self, table: str) -> list[str]:
        """SCAN patterns that match every key of `table` and nothing else."""
        if table == self.legacy:  # {ns}:idem:*, {ns}:t:* and the pointer stay
            return [
                f"{order_key(table, '*')}",
                active_key(table),
                f"{table}:by-*",
                f"{table}:placed:*",
                f"{table}:moved:*",
            ]
        self.name_of(table)  # a table prefix, never a namespace
        return [f"{table}:*"]

"""``db9 db dump``: a database as SQL (schema, then rows as INSERTs), within the product's
limits of 50,000 rows and 16 MB. Larger databases are exported with COPY over pgwire."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from control.registry import ControlError
from sql import layout
from sql.catalog import TableDef
from sql.database import Database
from sql.session import Session
from sql.types import format_value

MAX_ROWS = 50_000
MAX_BYTES = 16 << 20


class DumpTooLarge(ControlError):
    status = 413


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def table_ddl(t: TableDef) -> list[str]:
    cols = []
    for c in t.live_columns:
        line = f"    {_ident(c.name)} {c.type.display()}"
        if c.default is not None and not c.identity:
            line += f" DEFAULT {c.default}"
        if c.identity:
            line += f" GENERATED {c.identity.upper()} AS IDENTITY"
        if c.not_null:
            line += " NOT NULL"
        cols.append(line)
    if t.primary_key:
        cols.append(f"    PRIMARY KEY ({', '.join(_ident(c) for c in t.primary_key)})")
    for con in t.constraints:
        if con.kind == "u":
            cols.append(
                f"    CONSTRAINT {_ident(con.name)} UNIQUE "
                f"({', '.join(_ident(c) for c in con.columns)})"
            )
        elif con.kind == "c" and con.check:
            cols.append(f"    CONSTRAINT {_ident(con.name)} CHECK ({con.check})")
    name = f"{_ident(t.schema)}.{_ident(t.name)}"
    out = [f"CREATE TABLE {name} (\n" + ",\n".join(cols) + "\n);"]
    constrained = {con.index for con in t.constraints if con.index}
    for idx in t.indexes:
        if idx.primary or idx.name in constrained:
            continue
        unique = "UNIQUE " if idx.unique else ""
        out.append(
            f"CREATE {unique}INDEX {_ident(idx.name)} ON {name} "
            f"({', '.join(_ident(c) for c in idx.columns)});"
        )
    return out


def dump(database: Database, name: str) -> Iterator[str]:
    """The dump's lines; raises DumpTooLarge past the limits (before yielding past them)."""
    session = Session(database, user="admin")
    try:
        session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")  # one snapshot for it all
        catalog = session.catalog()
        tables = [t for t in catalog.all_tables() if t.kind == "table"]
        rows_left, size = MAX_ROWS, 0

        def emit(line: str) -> str:
            nonlocal size
            size += len(line) + 1
            if size > MAX_BYTES:
                raise DumpTooLarge(
                    f"database {name} is larger than the dump limit of 16 MB; "
                    "export it with COPY over pgwire"
                )
            return line

        yield emit(f"-- db9 dump of database {name}")
        sequences = [t for t in catalog.all_tables() if t.kind == "sequence"]
        for seq in sequences:
            o = seq.seq
            yield emit(
                f"CREATE SEQUENCE {_ident(seq.schema)}.{_ident(seq.name)} "
                f"INCREMENT BY {o.get('increment', 1)} START WITH {o.get('start', 1)};"
            )
        for t in tables:
            for line in table_ddl(t):
                yield emit(line)
        for t in tables:
            cols = t.live_columns
            select = ", ".join(_ident(c.name) for c in cols)
            result = session.execute(f"SELECT {select} FROM {_ident(t.schema)}.{_ident(t.name)}")
            rows = result[-1].rows or []
            rows_left -= len(rows)
            if rows_left < 0:
                raise DumpTooLarge(
                    f"database {name} has more than {MAX_ROWS:,} rows, the dump "
                    "limit; export it with COPY over pgwire"
                )
            target = f"INSERT INTO {_ident(t.schema)}.{_ident(t.name)} ({select}) VALUES"
            for row in rows:
                values = ", ".join(
                    _literal(format_value(v, c.type)) + f"::{c.type.display()}"
                    for v, c in zip(row, cols, strict=True)
                )
                yield emit(f"{target} ({values});")
        txn = session.current_txn()
        for seq in sequences:
            # The last value handed out in blocks: the copy continues after it (a gap at
            # most a block long, as PostgreSQL sequences may leave too).
            raw = txn.get(layout.sequence_key(database.db, seq.id))
            if raw is not None:
                (last,) = struct.unpack(">q", raw)
                yield emit(f"SELECT setval('{seq.schema}.{seq.name}', {last});")
    finally:
        session.close()

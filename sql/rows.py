"""Rows and index entries of one table: from Python values to KV keys and values and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kv.codec import decode_key, decode_prefix, encode, encode_fast, encode_key
from kv.kernels import decode_row, decode_rows
from sql import layout
from sql.catalog import IndexDef, TableDef
from sql.types import from_storage, stored_as_is, to_storage

ROWID = "ctid"  # the hidden key column of a table without a primary key
_ROWID_HEAD = b"\x09" + encode("rowid")  # the stored ("rowid", id) pair, less its id and end


# Compiles an expression or partial index's keys and predicate: set by sql.index_exprs, as
# the expression compiler sits above this module (which it reads rows through).
IndexCompiler = Callable[[TableDef, IndexDef], tuple[list[tuple[Any, Any]], Any]]
index_compiler: IndexCompiler | None = None


class RowCodec:
    """Knows one table's column order, key columns and indexes."""

    def __init__(self, db: bytes, table: TableDef) -> None:
        self.db = db
        self.table = table
        self.live = table.live_columns
        self.width = table.width
        self.positions = [c.attnum - 1 for c in self.live]
        self.types = [c.type for c in self.live]
        by_name = {c.name: i for i, c in enumerate(self.live)}
        self.by_name = by_name
        self.pk_idx = [by_name[c] for c in table.primary_key]
        self.prefix = layout.table_prefix(db, table.id)
        self.index_head = len(layout.index_prefix(db, table.id, 0))  # the same for every index
        # Columns whose stored form needs no conversion are copied straight out of a row.
        self.plain = (
            bool(table.primary_key)
            and all(stored_as_is(t) for t in self.types)
            and self.positions == list(range(len(self.positions)))
        )
        self.all_columns = self.stored_mask(None)
        self._masks: dict[bytes | None, bytes] = {None: self.all_columns}
        self._nothing = (None,) * len(self.positions)

        # Per stored slot: the live column whose value goes there (None: a dropped column),
        # and whether its value is stored as it is (no ``to_storage`` call).
        slot_of: list[int | None] = [None] * self.width
        for i, pos in enumerate(self.positions):
            slot_of[pos] = i
        self._slots = [(i, i is not None and stored_as_is(self.types[i])) for i in slot_of]
        # Per index id: (the index, its key prefix, its columns' row positions, fast path).
        self._index_shapes: dict[int, tuple[IndexDef, bytes, list[int], bool]] = {}
        self._computed: dict[int, tuple[IndexDef, list[tuple[Any, Any]], Any]] = {}
        # The row's index when the key is one value stored as it is (the row id included).
        self._single_plain_pk: int | None = None
        if not table.primary_key:
            self._single_plain_pk = -1
        elif len(self.pk_idx) == 1 and stored_as_is(self.types[self.pk_idx[0]]):
            self._single_plain_pk = self.pk_idx[0]

    # rows: a "row" is a tuple of live column values in attnum order, plus the hidden row id
    # (last) for tables without a primary key.

    def encode_value(self, row: tuple[Any, ...]) -> bytes:
        """``encode`` of the stored tuple (values by attnum, NULL for dropped columns, the
        row id last), built from each value's encoding: the tuple's bytes are its items'
        between a tag and a terminator (kv/codec.py)."""
        types = self.types
        parts = [b"\x09"]
        for i, plain in self._slots:
            if i is None:
                parts.append(b"\x01")
            elif plain:
                parts.append(encode_fast(row[i]))
            else:
                parts.append(encode(to_storage(row[i], types[i], exact=True)))
        if not self.table.primary_key:
            parts += (_ROWID_HEAD, encode_fast(row[-1]), b"\x00")
        parts.append(b"\x00")
        return b"".join(parts)

    def stored_mask(self, want: bytes | None) -> bytes:
        """Which items of a stored row to decode for the live columns ``want`` selects (all
        if None): dropped columns never. Without a primary key every item is: the hidden row
        id is stored last, at the width the table had when the row was written."""
        if not self.table.primary_key:
            return b""
        mask = bytearray(self.width)
        for i, pos in enumerate(self.positions):
            mask[pos] = want is None or want[i]
        return bytes(mask)

    def decode_value(self, raw: bytes) -> tuple[Any, ...]:
        return self._convert(decode_row(raw, self.all_columns), None)

    def decode_values(self, raws: list[bytes], want: bytes | None = None) -> list[tuple[Any, ...]]:
        """``decode_value`` of each stored row, but a live column that ``want`` does not
        select (``want[i]`` false) is left undecoded: None."""
        mask = self._masks.get(want)
        if mask is None:
            mask = self._masks[want] = self.stored_mask(want)
        if self.plain and not any(mask):  # count(*) and the like: nothing to decode
            return [self._nothing] * len(raws)
        stored = decode_rows(raws, mask)
        if self.plain:
            k = len(self.positions)
            return [r if len(r) == k else r + (None,) * (k - len(r)) for r in stored]
        return [self._convert(r, want) for r in stored]

    def _convert(self, stored: tuple[Any, ...], want: bytes | None) -> tuple[Any, ...]:
        """A row from its stored items (columns added after it was written are NULL)."""
        n = len(stored)
        if self.plain and n == len(self.positions):
            return stored
        if not self.table.primary_key:
            n -= 1  # the row id, after the columns the row was written with
        out = [
            from_storage(stored[pos], t) if pos < n and (want is None or want[i]) else None
            for i, (pos, t) in enumerate(zip(self.positions, self.types, strict=True))
        ]
        if not self.table.primary_key:
            out.append(stored[-1][1])
        return tuple(out)

    def pk_values(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.table.primary_key:
            return (row[-1],)
        return tuple(to_storage(row[i], self.types[i]) for i in self.pk_idx)

    def key(self, row: tuple[Any, ...]) -> bytes:
        if self._single_plain_pk is not None:
            return self.prefix + encode_fast(row[self._single_plain_pk])
        return self.prefix + encode_key(*self.pk_values(row))

    def key_for_pk(self, pk: tuple[Any, ...]) -> bytes:
        """Row key from Python pk values (already of the column types)."""
        stored = tuple(to_storage(v, self.types[i]) for v, i in zip(pk, self.pk_idx, strict=True))
        return self.prefix + encode_key(*stored)

    # indexes

    def index_columns(self, index: IndexDef) -> list[int]:
        return [self.by_name[c] for c in index.columns]

    def index_entry(
        self, index: IndexDef, row: tuple[Any, ...]
    ) -> tuple[bytes, bytes, bool] | None:
        """(key, value, unique_check): unique entries without NULLs omit the pk from the key.
        None: the row has no entry (a partial index whose predicate it fails)."""
        if index.computed:
            return self._computed_entry(index, row)
        shape = self._index_shapes.get(index.id)
        if shape is None or shape[0] is not index:
            shape = self._index_shapes[index.id] = self._index_shape(index)
        _, prefix, cols, fast = shape
        if fast:  # ascending columns stored as they are: encode_fast of the values
            values = [row[i] for i in cols]
            head = b"".join([encode_fast(v) for v in values])
        else:
            values = [to_storage(row[i], self.types[i]) for i in cols]
            head = b"".join(
                encode(v, descending=bool(index.descending and index.descending[n]))
                for n, v in enumerate(values)
            )
        single = self._single_plain_pk
        pk = encode_fast(row[single]) if single is not None else encode_key(*self.pk_values(row))
        if index.unique and (index.nulls_not_distinct or None not in values):
            return prefix + head, pk, True
        return prefix + head + pk, b"", False

    def _computed_entry(
        self, index: IndexDef, row: tuple[Any, ...]
    ) -> tuple[bytes, bytes, bool] | None:
        compiled = self._computed.get(index.id)
        if compiled is None or compiled[0] is not index:
            assert index_compiler is not None, "sql.index_exprs is not loaded"
            compiled = self._computed[index.id] = (index, *index_compiler(self.table, index))
        _, keys, pred = compiled
        if pred is not None and pred(row) is not True:
            return None
        values = [to_storage(fn(row), t) for fn, t in keys]
        head = b"".join(
            encode(v, descending=bool(index.descending and index.descending[n]))
            for n, v in enumerate(values)
        )
        single = self._single_plain_pk
        pk = encode_fast(row[single]) if single is not None else encode_key(*self.pk_values(row))
        prefix = layout.index_prefix(self.db, self.table.id, index.id)
        if index.unique and (index.nulls_not_distinct or None not in values):
            return prefix + head, pk, True
        return prefix + head + pk, b"", False

    def _index_shape(self, index: IndexDef) -> tuple[IndexDef, bytes, list[int], bool]:
        cols = self.index_columns(index)
        fast = not any(index.descending or ()) and all(stored_as_is(self.types[i]) for i in cols)
        return index, layout.index_prefix(self.db, self.table.id, index.id), cols, fast

    def index_bounds(self, index: IndexDef, values: list[Any]) -> bytes:
        """Key prefix of the entries whose leading columns equal ``values`` (storage form)."""
        prefix = layout.index_prefix(self.db, self.table.id, index.id)
        return prefix + b"".join(
            encode(v, descending=bool(index.descending and index.descending[n]))
            for n, v in enumerate(values)
        )

    def pk_from_index(self, index: IndexDef, key: bytes, value: bytes) -> bytes:
        """The row key an index entry points at."""
        if value:
            return self.prefix + value
        off = self.index_head
        for n in range(len(index.columns)):
            _, off = decode_prefix(
                key, off, descending=bool(index.descending and index.descending[n])
            )
        return self.prefix + key[off:]

    def row_from_index(self, index: IndexDef, key: bytes, value: bytes) -> tuple[Any, ...]:
        """A row holding only what an index entry holds, its indexed and primary-key columns
        (the others NULL): for a plan that reads no other column (an index-only scan)."""
        off = self.index_head
        if any(index.descending):
            values: list[Any] = []
            for n in range(len(index.columns)):
                v, off = decode_prefix(key, off, descending=index.descending[n])
                values.append(v)
            values += decode_key(value) if value else decode_key(key, off)
        else:  # the indexed values then the pk, or the pk in the value (unique entries)
            values = (
                [*decode_key(key, off), *decode_key(value)] if value else [*decode_key(key, off)]
            )
        out: list[Any] = [None] * len(self.live)
        types = self.types
        for i, v in zip(self.index_columns(index) + self.pk_idx, values, strict=True):
            out[i] = v if v is None or stored_as_is(types[i]) else from_storage(v, types[i])
        return tuple(out)

"""DEFERRABLE unique constraints (and DEFERRABLE EXCLUDE constraints, whose rows wait
here for their check, sql.exclusion): when a row's entry in the constraint's index conflicts,
it waits instead of failing. A unique index keeps one entry per value, so the waiting entry
is not written with its row; it is written at the end of the statement (INITIALLY
IMMEDIATE: ``UPDATE t SET i = i + 1`` passes through conflicts that are gone by then), or at
commit and at ``SET CONSTRAINTS ... IMMEDIATE`` when the constraint is deferred (INITIALLY
DEFERRED or ``SET CONSTRAINTS ... DEFERRED``). If another live row holds the value then, it
fails with 23505, as PostgreSQL's unique_key_recheck trigger does. A row deleted or changed
meanwhile takes its waiting entry with it. While an entry waits, an index scan of that
value finds the row that holds it, not the waiting one. A deferred foreign key's checks
(sql.deferrals.FkWaiting) run here too, at commit and at SET CONSTRAINTS ... IMMEDIATE.
"""

from __future__ import annotations

from kv.errors import AlreadyExists
from sql.deferrals import Deferrals
from sql.errors import UndefinedObject, UniqueViolation, WrongObjectType
from sql.exclusion import Exclusion
from sql.rows import RowCodec
from sql.session_api import SessionApi


def check(session: SessionApi, statement_end: bool, names: set[str] | None = None) -> None:
    """Write the waiting entries that are due: at a statement's end those of constraints
    checked immediately, else all of them (or those of ``names``); 23505 for the first whose
    value another row still holds."""
    state: Deferrals = session.deferrals
    if state.fk_waiting and not statement_end:
        _check_foreign_keys(session, names)
    if not state.waiting:
        return
    catalog = session.catalog()
    due, kept = [], []
    for w in state.waiting:
        table = catalog.tables.get(w.table_id)
        cons = table.constraints if table is not None else []
        con = next((c for c in cons if c.name == w.constraint), None)
        if con is None:
            continue  # dropped with its table or constraint
        if (names is not None and con.name not in names) or (statement_end and state.deferred(con)):
            kept.append(w)
        else:
            due.append(w)
    state.waiting = kept
    txn = session.current_txn()
    for w in due:
        table = catalog.tables[w.table_id]
        raw = txn.get(w.row_key)
        index = table.index(w.index)
        if raw is None or index is None:
            continue  # the row went
        codec = RowCodec(session.db, table)
        con = next(c for c in table.constraints if c.name == w.constraint)
        if con.kind == "x":  # a DEFERRABLE EXCLUDE constraint: the row's check, now
            check = Exclusion(table, con)
            row = codec.decode_value(raw)
            other = check.find(txn, codec, row)
            if other is not None:
                state.waiting.clear()
                raise check.error(row, other)
            continue
        entry = codec.index_entry(index, codec.decode_value(raw))
        if entry is None or entry[0] != w.key or entry[1] != w.value:
            continue  # the row changed: its new entry was claimed when it did
        if txn.get(w.key) == w.value:
            continue
        try:
            txn.insert(w.key, w.value)
        except AlreadyExists:
            state.waiting.clear()
            raise UniqueViolation(
                f'duplicate key value violates unique constraint "{w.constraint}"',
                detail=w.detail,
            ) from None


def _check_foreign_keys(session: SessionApi, names: set[str] | None) -> None:
    """Run the deferred foreign-key checks that are due (all, or those of ``names``), in the
    order they were queued; a 23503 drops the rest (the transaction fails)."""
    state: Deferrals = session.deferrals
    due = [w for w in state.fk_waiting if names is None or w.constraint in names]
    state.fk_waiting = [w for w in state.fk_waiting if w not in due]
    catalog = session.catalog()
    try:
        for w in due:
            table = catalog.tables.get(w.table_id)
            if table is not None and any(c.name == w.constraint for c in table.constraints):
                w.run()
    except Exception:
        state.fk_waiting.clear()
        raise


def set_constraints(session: SessionApi, names: list[str], deferred: bool) -> None:
    """SET CONSTRAINTS ALL | name, ... DEFERRED | IMMEDIATE; IMMEDIATE checks the waiting
    entries of those constraints now."""
    state: Deferrals = session.deferrals
    if names == ["all"]:
        state.all_deferred = deferred
        state.modes.clear()
        chosen = None
    else:
        catalog = session.catalog()
        chosen = set()
        for name in names:
            bare = name  # folded by the caller, its schema dropped
            found = [c for t in catalog.all_tables() for c in t.constraints if c.name == bare]
            if not found:
                raise UndefinedObject(f'constraint "{bare}" does not exist')
            if not any(c.deferrable for c in found):
                raise WrongObjectType(f'constraint "{bare}" is not deferrable')
            state.modes[bare] = deferred
            chosen.add(bare)
    if not deferred:
        check(session, statement_end=False, names=chosen)

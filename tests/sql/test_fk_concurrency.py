"""Foreign keys between concurrent transactions: a child row inserted in one transaction and
its parent deleted in another must not both commit (PostgreSQL takes a KEY SHARE lock on the
parent; one of the two waits and then fails)."""

from __future__ import annotations

import contextlib

import pytest

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv


def _two_sessions(referenced: str) -> tuple[Session, Session]:
    db = Database(TxnClient(local_kv()), b"\x00\x01")
    child, parent = Session(db), Session(db)
    child.execute(
        "CREATE TABLE p (id int PRIMARY KEY, u int UNIQUE, note text);"
        f"CREATE TABLE c (id int, pid int REFERENCES p ({referenced}));"
        "INSERT INTO p VALUES (1, 1, 'a')"
    )
    return child, parent


@pytest.mark.parametrize("referenced", ["id", "u"])
@pytest.mark.parametrize(
    "removal", ["DELETE FROM p WHERE id = 1", "UPDATE p SET id = 2, u = 2 WHERE id = 1"]
)
@pytest.mark.parametrize("child_first", [True, False])
def test_concurrent_child_insert_and_parent_removal_leave_no_orphan(
    child_first: bool, removal: str, referenced: str
) -> None:
    child, parent = _two_sessions(referenced)
    child.execute("BEGIN; INSERT INTO c VALUES (1, 1)")
    parent.execute(f"BEGIN; {removal}")
    for session in (child, parent) if child_first else (parent, child):
        with contextlib.suppress(Db9Error):  # the loser of the race fails its commit
            session.execute("COMMIT")
    orphans = child.execute(f"SELECT count(*) FROM c WHERE pid NOT IN (SELECT {referenced} FROM p)")
    assert orphans[-1].rows == [(0,)]


@pytest.mark.parametrize("referenced", ["id", "u"])
def test_child_inserts_and_a_parent_note_update_all_commit(referenced: str) -> None:
    """The parent's lock is shared and about its key only: two children of one parent and a
    change to the parent's other columns do not conflict (PostgreSQL's FOR KEY SHARE)."""
    child, parent = _two_sessions(referenced)
    other = Session(child.database)
    child.execute("BEGIN; INSERT INTO c VALUES (1, 1)")
    other.execute("BEGIN; INSERT INTO c VALUES (2, 1)")
    parent.execute("BEGIN; UPDATE p SET note = 'b' WHERE id = 1")
    for session in (child, parent, other):
        session.execute("COMMIT")
    assert child.execute("SELECT count(*) FROM c")[-1].rows == [(2,)]
    assert child.execute("SELECT note FROM p")[-1].rows == [("b",)]

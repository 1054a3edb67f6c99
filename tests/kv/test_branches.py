"""Copy-on-write branches at the KV level, checked against a model: a branch reads its own
writes over its parent's data as of the fork (recursively), the parent never sees the
branch's writes, uniqueness sees inherited keys, GC keeps what branches see, and dropping a
branch frees its keys."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kv.client import TxnClient
from kv.errors import AlreadyExists, InvalidArgument
from kv.gc_worker import collect_garbage
from kv.mvcc.records import Mutation, Op
from kv.txn.gc import RetainPoint
from tests.kv.conftest import Backend, client, local_kv

ROOT = b"d\x00\x00\x00\x01"
B1 = b"d\x00\x00\x00\x02"
B2 = b"d\x00\x00\x00\x03"
END = {p: p[:-1] + bytes([p[-1] + 1]) for p in (ROOT, B1, B2)}

keys = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f"])
ops = st.lists(st.tuples(st.sampled_from(["put", "delete"]), keys, st.binary(max_size=3)),
               max_size=12)  # fmt: skip


def apply(c: TxnClient, prefix: bytes, batch: list[tuple[str, bytes, bytes]],
          model: dict[bytes, bytes]) -> None:  # fmt: skip
    txn = c.begin()
    for op, k, v in batch:
        if op == "put":
            txn.put(prefix + k, v or b"-")
            model[k] = v or b"-"
        else:
            txn.delete(prefix + k)
            model.pop(k, None)
    txn.commit()


def read_all(c: TxnClient, prefix: bytes, reverse: bool = False, page: int | None = None) -> Any:
    txn = c.begin()
    if page is None:
        rows = list(txn.iter_scan(prefix, END[prefix], reverse=reverse))
    else:  # the store's own paging, with a small limit
        rows = c.backend.scan(prefix, END[prefix], txn.start_ts, limit=page, reverse=reverse)
    point = {k: txn.get(prefix + k) for k in (b"a", b"b", b"c", b"d", b"e", b"f")}
    txn.rollback()
    return [(k[len(prefix) :], v) for k, v in rows], {k: v for k, v in point.items() if v}


def expected(model: dict[bytes, bytes], reverse: bool = False, page: int | None = None) -> Any:
    rows = sorted(model.items(), reverse=reverse)
    return (rows if page is None else rows[:page]), dict(model)


@settings(max_examples=150, deadline=None)
@given(ops, ops, ops, ops, ops, st.integers(1, 4))
def test_branch_chain_reads_match_the_model(
    before: Any, parent_after: Any, b1_ops: Any, b2_ops: Any, b1_after: Any, page: int
) -> None:
    kv = local_kv()
    c = client(kv)
    root: dict[bytes, bytes] = {}
    apply(c, ROOT, before, root)
    kv.set_branch(B1, ROOT, kv.get_ts())
    b1 = dict(root)
    apply(c, ROOT, parent_after, root)  # after the fork: invisible to the branch
    apply(c, B1, b1_ops, b1)
    kv.set_branch(B2, B1, kv.get_ts())
    b2 = dict(b1)
    apply(c, B1, b1_after, b1)
    apply(c, B2, b2_ops, b2)
    for prefix, model in ((ROOT, root), (B1, b1), (B2, b2)):
        for reverse in (False, True):
            assert read_all(c, prefix, reverse) == expected(model, reverse), (prefix, reverse)
            assert read_all(c, prefix, reverse, page) == expected(model, reverse, page)


def test_creating_a_branch_writes_one_record_whatever_the_parent_size(kv: Backend) -> None:
    c = client(kv)
    for i in range(0, 2000, 500):
        txn = c.begin()
        for j in range(i, i + 500):
            txn.put(ROOT + b"%05d" % j, b"v")
        txn.commit()
    before = kv.engine.stats().entries
    kv.set_branch(B1, ROOT, kv.get_ts())
    assert kv.engine.stats().entries == before + 1


def test_unique_checks_see_inherited_keys_and_deletes_in_the_branch(kv: Backend) -> None:
    c = client(kv)
    txn = c.begin()
    txn.put(ROOT + b"k", b"1")
    txn.commit()
    kv.set_branch(B1, ROOT, kv.get_ts())
    with pytest.raises(AlreadyExists):
        kv.one_pc([Mutation(Op.INSERT, B1 + b"k", b"2")], kv.get_ts())
    txn = c.begin()
    txn.delete(B1 + b"k")
    txn.commit()
    kv.one_pc([Mutation(Op.INSERT, B1 + b"k", b"3")], kv.get_ts())  # deleted here: free again
    txn = c.begin()
    assert txn.get(B1 + b"k") == b"3" and txn.get(ROOT + b"k") == b"1"


def test_gc_keeps_what_a_branch_sees_and_dropping_frees_the_branch(kv: Backend) -> None:
    c = client(kv)
    for v in (b"old", b"forked", b"new"):
        txn = c.begin()
        txn.put(ROOT + b"k", v)
        txn.commit()
        if v == b"forked":
            kv.set_branch(B1, ROOT, kv.get_ts())
    retain = [RetainPoint(link.parent, link.fork_ts) for link in kv.branch_links().values()]
    collect_garbage(kv, kv.get_ts(), retain)
    txn = c.begin()
    assert txn.get(B1 + b"k") == b"forked" and txn.get(ROOT + b"k") == b"new"
    txn.rollback()
    with pytest.raises(InvalidArgument):
        kv.drop_prefix(ROOT)  # B1 still reads through it
    txn = c.begin()
    txn.put(B1 + b"own", b"x")
    txn.commit()
    assert kv.drop_prefix(B1) > 0
    assert B1 not in kv.branch_links()
    txn = c.begin()
    assert txn.get(B1 + b"own") is None and txn.get(B1 + b"k") is None
    assert txn.get(ROOT + b"k") == b"new"


def test_bad_links_are_refused(kv: Backend) -> None:
    kv.set_branch(B1, ROOT, kv.get_ts())
    with pytest.raises(InvalidArgument):
        kv.set_branch(B1, ROOT, kv.get_ts())  # already a branch
    with pytest.raises(InvalidArgument):
        kv.set_branch(ROOT, B1, kv.get_ts())  # a cycle
    with pytest.raises(InvalidArgument):
        kv.set_branch(b"abc", ROOT, kv.get_ts())


def test_setting_the_same_link_again_is_a_no_op(kv: Backend) -> None:
    """A retried set_branch (its first answer lost to a leader change, or a reconciler that
    did not yet see the link applied) finds its own link and succeeds; another is refused."""
    fork_ts = kv.get_ts()
    kv.set_branch(B1, ROOT, fork_ts)
    kv.set_branch(B1, ROOT, fork_ts)
    assert kv.branch_links()[B1].fork_ts == fork_ts
    with pytest.raises(InvalidArgument):
        kv.set_branch(B1, B2, fork_ts)  # another parent


def test_reset_branch_drops_its_own_writes_and_reforks_from_the_parent(kv: Backend) -> None:
    c = client(kv)
    apply(c, ROOT, [("put", b"a", b"1")], {})
    kv.set_branch(B1, ROOT, kv.get_ts())
    apply(c, B1, [("put", b"b", b"own"), ("delete", b"a", b"")], {})
    apply(c, ROOT, [("put", b"c", b"3")], {})
    kv.reset_branch(B1, kv.get_ts())
    assert read_all(c, B1) == expected({b"a": b"1", b"c": b"3"})
    assert kv.branch_links()[B1].parent == ROOT
    with pytest.raises(InvalidArgument):
        kv.reset_branch(B2, kv.get_ts())  # not a branch


def test_gc_keeps_a_branch_tombstone_that_hides_the_parents_row(kv: Backend) -> None:
    """A branch's delete of an inherited row is a tombstone with nothing older of its own key;
    it still hides the parent's version, so GC must not take it for garbage."""
    c = client(kv)
    txn = c.begin()
    txn.put(ROOT + b"k", b"parent")
    txn.commit()
    kv.set_branch(B1, ROOT, kv.get_ts())
    txn = c.begin()
    txn.delete(B1 + b"k")
    txn.commit()
    retain = [RetainPoint(link.parent, link.fork_ts) for link in kv.branch_links().values()]
    collect_garbage(kv, kv.get_ts(), retain)
    collect_garbage(kv, kv.get_ts(), retain, full=True)
    txn = c.begin()
    assert txn.get(B1 + b"k") is None and txn.get(ROOT + b"k") == b"parent"

"""GC in a real cluster: the leader plans a pass on its read snapshot and proposes only the
deletions; every replica decides each named version alike, so they keep equal stores
(``running_cluster`` ends with the consistency check)."""

from __future__ import annotations

from pathlib import Path

from kv.client import TxnClient
from kv.gc_worker import collect_garbage
from tests.cluster.harness import running_cluster


def test_a_pass_deletes_the_same_versions_on_every_replica(tmp_path: Path) -> None:
    with running_cluster(tmp_path) as cluster:
        kv = cluster.client()
        client = TxnClient(kv)
        keys = [b"row%04d" % i for i in range(300)]
        for value in (b"one", b"two" * 200, b"three"):  # the second too big to inline
            txn = client.begin()
            for key in keys:
                txn.put(key, value)
            txn.commit()
        txn = client.begin()
        for key in keys[:100]:
            txn.delete(key)
        txn.commit()
        safepoint = kv.get_ts()
        txn = client.begin()
        for key in keys[:10]:
            txn.put(key, b"after")  # above the safepoint: stays
        txn.commit()
        now = kv.get_ts()
        before = {ts: [kv.get(k, ts) for k in keys] for ts in (safepoint, now)}
        report = collect_garbage(kv, safepoint)
        # Of 300 keys: two old versions each, and for 100 the tombstone and its last PUT.
        assert report.versions_deleted == 600 + 200
        assert report.keys_scanned >= 300  # a key is visited in each planning chunk naming it
        assert {ts: [kv.get(k, ts) for k in keys] for ts in (safepoint, now)} == before
        assert collect_garbage(kv, kv.get_ts()).keys_scanned == 10  # the late writes' keys
        assert collect_garbage(kv, kv.get_ts()).keys_scanned == 0
        kv.close()

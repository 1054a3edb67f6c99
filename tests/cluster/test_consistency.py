"""The consistency check: replicas hash their store at one Raft index and ``db9 cluster check``
names the key ranges where they differ."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import lmdb

from cluster.consistency import Chunk, compare, describe_key, hash_snapshot
from kv.client import TxnClient
from kv.engine.base import WriteBatch
from kv.engine.lmdb import LmdbEngine
from kv.mvcc import keys as K
from tests.cluster.harness import ROOT, running_cluster


def _chunks(items: dict[bytes, bytes], bits: int, tmp: Path) -> list[Chunk]:
    engine = LmdbEngine(str(tmp), sync=False)
    try:
        batch = WriteBatch()
        for k, val in items.items():
            batch.put(k, val)
        engine.write_batch(batch)
        with engine.snapshot() as snap:
            return hash_snapshot(snap, bits, frozenset({b"Mraft_applied"}), lambda: False)
    finally:
        engine.close()


def test_one_extra_key_is_reported_as_one_narrow_range_and_local_keys_are_ignored(
    tmp_path: Path,
) -> None:
    base = {f"Wkey{i:05d}".encode(): b"v%d" % i for i in range(2000)}
    a = _chunks({**base, b"Mraft_applied": b"1"}, 4, tmp_path / "a")
    b = _chunks({**base, b"Mraft_applied": b"2"}, 4, tmp_path / "b")
    assert compare({"a": a, "b": b}) == []
    extra = b"Wkey01000x"
    c = _chunks({**base, extra: b"corrupt"}, 4, tmp_path / "c")
    (m,) = compare({"a": a, "b": b, "c": c})
    assert m.start <= extra and (m.end is None or extra < m.end)
    assert m.keys["c"] == m.keys["a"] + 1 < 200  # ~16 keys per chunk, not the rest of the store
    changed = _chunks({**base, b"Wkey00007": b"other"}, 4, tmp_path / "d")
    (m,) = compare({"a": a, "d": changed})
    assert m.start <= b"Wkey00007" and m.end is not None and m.end > b"Wkey00007"


def test_keys_are_printed_by_column_family_user_key_and_timestamp() -> None:
    assert describe_key(K.write_key(K.enc(b"user\x01"), 42)) == "write 'user\\x01' @42"
    assert describe_key(K.lock_key(K.enc(b"k"))) == "lock 'k'"
    assert describe_key(K.meta_key("tso_last")) == "meta 'tso_last'"
    assert describe_key(b"") == "(start)" and describe_key(None) == "(end)"


def _check(grpc: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "control.cli", "cluster", "check", "--grpc", grpc,
           "--chunk-keys", "16", "--timeout", "60"]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cluster_check_is_ok_after_writes_and_names_the_range_of_a_corrupted_replica(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path) as cluster:
        grpc = ",".join(n.grpc_addr for n in cluster.nodes)
        kv = cluster.client()
        client = TxnClient(kv)
        for i in range(0, 300, 30):
            txn = client.begin()
            for j in range(i, i + 30):
                txn.put(b"row%04d" % j, b"value %d" % j)
            txn.commit()
        # Writes go on while the replicas hash: each hashes the state as of the same entry.
        stop = threading.Event()

        def writer() -> None:
            i = 0
            while not stop.is_set():
                txn = client.begin()
                txn.put(b"busy%06d" % i, b"x" * 100)
                txn.commit()
                i += 1

        busy = threading.Thread(target=writer)
        busy.start()
        try:
            ok = _check(grpc)
        finally:
            stop.set()
            busy.join()
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "OK: every member holds the same data" in ok.stdout

        # Node 3's store changes behind Raft's back: one extra committed version.
        n3 = cluster.nodes[2]
        assert n3.proc is not None
        n3.proc.terminate()
        n3.proc.wait(30)
        corrupt = K.write_key(K.enc(b"row0150-corrupt"), 12345)
        env = lmdb.open(str(n3.data_dir), subdir=True, max_dbs=0)
        with env.begin(write=True) as txn:
            txn.put(corrupt, b"P\x00")
        env.close()
        cluster.start(n3)
        cluster.wait_pgwire(n3)

        bad = _check(grpc)
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "MISMATCH in [" in bad.stdout
        as_json = subprocess.run(
            [sys.executable, "-m", "control.cli", "cluster", "check", "--grpc", grpc,
             "--chunk-keys", "16", "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert as_json.returncode == 1
        report = json.loads(as_json.stdout)
        (m,) = report["mismatches"]
        start, end = bytes.fromhex(m["start_hex"]), m["end_hex"]
        assert start <= corrupt and (end is None or corrupt < bytes.fromhex(end))
        keys = m["keys"]
        assert keys[n3.grpc_addr] == keys[cluster.nodes[0].grpc_addr] + 1
        assert {x["state"] for x in report["members"]} == {"done"}

        # A member left out of --grpc, or down, is reported as unchecked, not as equal.
        partial = _check(",".join(n.grpc_addr for n in cluster.nodes[:2]))
        assert partial.returncode == 3, partial.stdout + partial.stderr
        assert "UNCHECKED (not asked: add its gRPC address" in partial.stdout
        assert n3.raft_addr in partial.stdout
        cluster.kill(n3)
        down = _check(grpc)
        assert down.returncode == 3, down.stdout + down.stderr
        assert "UNCHECKED (unreachable" in down.stdout
        kv.close()

"""Real threads on LMDB: concurrent transfers keep the total, and every snapshot sees it whole."""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

from kv.client import LocalKv, TxnClient, TxnOptions
from kv.errors import RetryableError

ACCOUNTS = [f"acct{i:02d}".encode() for i in range(8)]


def test_concurrent_transfers_preserve_the_total_in_every_snapshot(tmp_path: Path) -> None:
    kv = LocalKv.open(str(tmp_path / "db"), sync=False)
    # Half the transfers go through 2PC, so readers meet live locks as well as 1PC commits.
    client = TxnClient(kv, TxnOptions(one_pc_max_keys=1, batch_keys=1))
    t = client.begin()
    for a in ACCOUNTS:
        t.put(a, b"100")
    t.commit()
    total = 100 * len(ACCOUNTS)
    done = threading.Event()
    errors: list[str] = []
    stats = {"committed": 0, "retried": 0, "reads": 0}
    mutex = threading.Lock()

    def transfers(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(150):
            while True:
                txn = client.begin()
                try:
                    src, dst = rnd.sample(ACCOUNTS, 2)
                    amount = rnd.randint(1, 30)
                    balance = int(txn.get(src) or b"0")
                    if balance >= amount:
                        txn.put(src, str(balance - amount).encode())
                        txn.put(dst, str(int(txn.get(dst) or b"0") + amount).encode())
                    txn.commit()
                    with mutex:
                        stats["committed"] += 1
                    break
                except RetryableError:
                    txn.rollback()
                    with mutex:
                        stats["retried"] += 1

    def audit() -> None:
        while not done.is_set():
            txn = client.begin()
            try:
                rows = txn.scan(b"acct", b"acct\xff")
                values = [int(v) for _, v in rows]
                if len(rows) != len(ACCOUNTS) or sum(values) != total or min(values) < 0:
                    errors.append(f"snapshot {txn.start_ts} saw {values}")
                with mutex:
                    stats["reads"] += 1
            except RetryableError:
                pass
            finally:
                txn.rollback()

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave threads finely, so transactions really overlap
    workers = [threading.Thread(target=transfers, args=(i,)) for i in range(4)]
    auditor = threading.Thread(target=audit)
    auditor.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    done.set()
    auditor.join()
    sys.setswitchinterval(old_interval)
    print(stats)
    assert errors == []
    assert stats["committed"] == 600
    assert stats["reads"] > 0
    assert stats["retried"] > 0  # the threads did collide
    final = client.begin()
    assert sum(int(v) for _, v in final.scan(b"acct", b"acct\xff")) == total
    kv.close()

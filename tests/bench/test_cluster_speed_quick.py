"""Keeps ``bench.cluster_speed`` runnable: its KV and failover parts, a fraction of a second per
cell and one failover round, against a real 3-node db9 cluster and a 3-node etcd (Debian's
etcd-server; without it, only the db9 KV cells). Measures nothing; checks that the drivers
work and the goals table has its rows. ~30 s."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import cluster_speed

HAVE_ETCD = shutil.which(cluster_speed.ETCD) is not None


def test_protobuf_round_trip_of_the_etcd_messages() -> None:
    msg = cluster_speed._field(1, b"k" * 300) + cluster_speed._varint(4 << 3) + b"\x96\x01"
    assert cluster_speed._fields(msg) == {1: [b"k" * 300], 4: [150]}


@pytest.mark.timeout(120)
@pytest.mark.skipif(HAVE_ETCD, reason="the test below runs these cells too")
def test_db9_cluster_kv_cells_run(tmp_path: Path) -> None:
    with cluster_speed.db9_cluster(tmp_path / "db9") as cluster:
        client = cluster_speed.TxnClient(cluster.client())
        out = cluster_speed.kv_cells({"db9": cluster_speed.db9_ops(client)}, 0.3, 2)
    cells = out["kv_db9"]
    assert set(cells) == {"put_1", "put_16", "get_1", "get_16"}
    assert all(len(values) == 2 for values in out["kv_db9_rounds"].values())
    assert all(rate > 0 for rate in cells.values())


@pytest.mark.timeout(180)
@pytest.mark.skipif(not HAVE_ETCD, reason="etcd-server not installed")
def test_kv_and_failover_parts_print_the_goals_table(tmp_path: Path) -> None:
    out = tmp_path / "cluster_speed.json"
    report = cluster_speed.main(["--only", "kv,failover", "--seconds", "0.3", "--rounds", "1",
                                 "--repeat", "2", "--out", str(out)])  # fmt: skip
    assert json.loads(out.read_text())["table"] == report["table"]
    measures = [row["measure"] for row in report["rows"]]
    assert len(measures) == 5 and measures[-1].startswith("failover")
    assert all(row["cluster"] and row["reference"] for row in report["rows"])
    rounds = report["results"]["kv_etcd_rounds"]
    assert all(len(values) == 2 for values in rounds.values())  # interleaved rounds

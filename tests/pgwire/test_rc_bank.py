"""Bank transfers in READ COMMITTED blocks over real connections: conflicting writers wait
for each other's row locks, so no transfer fails with 40001 and the total is conserved. A
deadlock (two transfers taking the same accounts in opposite order) fails one with 40P01, as
PostgreSQL does; the client retries it. pgbench's TPC-B-like script at 8 clients fails none."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pgwire.conftest import Running, start_server
from tests.pgwire.test_clients import conninfo, run_client

ACCOUNTS = 4
START = 100

Transfer = tuple[int, int, int]
transfers = st.lists(
    st.tuples(
        st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1), st.integers(1, 30)
    ).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=6,
)


def _transfer(conn: psycopg.Connection, src: int, dst: int, amount: int) -> None:
    with conn.transaction():
        conn.execute("UPDATE acct SET n = n - %s WHERE id = %s", (amount, src))
        conn.execute("UPDATE acct SET n = n + %s WHERE id = %s", (amount, dst))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> object:
    yield from start_server(Path(tmp_path_factory.mktemp("rcbank")))


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(clients=st.lists(transfers, min_size=2, max_size=4))
def test_concurrent_transfers_conserve_the_total_without_40001(
    server: Running, clients: list[list[Transfer]]
) -> None:
    with psycopg.connect(server.dsn(), autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS acct")
        setup.execute("CREATE TABLE acct (id int PRIMARY KEY, n int)")
        setup.execute(
            "INSERT INTO acct SELECT g, %s FROM generate_series(0, %s) g", (START, ACCOUNTS - 1)
        )
    errors: Counter[str] = Counter()
    mutex = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def client(todo: list[Transfer]) -> None:
        with psycopg.connect(server.dsn()) as conn:
            barrier.wait()
            for src, dst, amount in todo:
                for _ in range(20):  # a deadlock victim retries, as a PostgreSQL client would
                    try:
                        _transfer(conn, src, dst, amount)
                        break
                    except psycopg.Error as exc:
                        with mutex:
                            errors[str(exc.sqlstate)] += 1
                        if exc.sqlstate != "40P01":
                            return

    threads = [threading.Thread(target=client, args=(todo,)) for todo in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(errors) <= {"40P01"}, errors
    expected = [START] * ACCOUNTS
    for todo in clients:
        for src, dst, amount in todo:
            expected[src] -= amount
            expected[dst] += amount
    with psycopg.connect(server.dsn(), autocommit=True) as check:
        rows = check.execute("SELECT n FROM acct ORDER BY id").fetchall()
    assert [n for (n,) in rows] == expected


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench is installed by scripts/setup")
def test_pgbench_tpcb_with_8_clients_fails_no_transaction(pg: Running) -> None:
    init = run_client(pg, "pgbench", "-i", "-s", "1", "-q", conninfo(pg))
    assert init.returncode == 0, init.stderr
    res = run_client(pg, "pgbench", "-c", "8", "-j", "2", "-T", "10", conninfo(pg))
    assert res.returncode == 0, res.stderr
    assert "aborted" not in res.stderr, res.stderr
    assert "number of failed transactions: 0" in res.stdout, res.stdout

"""The workloads' clients: each records every operation's invocation and completion in the
run's history. ``register`` drives the gRPC KV API; ``list-append``, ``bank`` and ``set`` run
SQL over pgwire with psycopg. After the faults heal, ``final_reads`` reads everything written
through every node. No error ends a client: one it does not expect is recorded as ``info``
with its text (``client_error``)."""

from __future__ import annotations

import bisect
import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from cluster.client import RemoteKv
from cluster.convert import OutcomeUnknown
from kv.client import TxnClient
from kv.errors import Db9Error, RetryableError
from tests.cluster.interface import Node
from tests.jepsen.history import CLIENT_ERROR, FINAL_PROCESS, FINAL_READ
from tests.jepsen.run import Run

WORKLOADS = ("register", "list-append", "bank", "set")
REGISTERS = 3  # keys r0, r1, ...
LIST_KEYS = 8
ACCOUNTS, BALANCE = 5, 100
# The set workload's readers (one per node) read the whole set this often. They only read:
# a client whose insert waits on a cut-off node would not read there until the cut heals
# (statement_timeout does not end a write waiting for the Raft log), and a stale read on
# that node is what the readers are for.
SET_READ_INTERVAL_S = 0.5


def _classify(exc: BaseException) -> str:
    """fail when the operation surely did not happen, info when it may have."""
    if isinstance(exc, RetryableError):
        return "fail"
    if isinstance(exc, psycopg.errors.SerializationFailure | psycopg.errors.UniqueViolation):
        return "fail"
    if isinstance(exc, OutcomeUnknown):
        return "info"
    return "info"


def client_error(exc: BaseException) -> str:
    """The error text of an operation that raised something unexpected: recorded as ``info``
    (it may have happened) and counted, never lost, never the end of the client's thread."""
    return f"{CLIENT_ERROR}{type(exc).__name__}: {exc}"[:300]


def register_client(run: Run, process: int, rng: random.Random) -> None:
    node = run.cluster.nodes[process % len(run.cluster.nodes)]
    kv = RemoteKv([node.grpc_addr], retry_s=3.0, rpc_timeout_s=3.0)
    client = TxnClient(kv)
    h = run.history
    try:
        while not run.stop.is_set():
            key = f"r{rng.randrange(REGISTERS)}"
            f = rng.choice(["read", "read", "write", "cas"])
            arg: Any = (
                None
                if f == "read"
                else (rng.randrange(5) if f == "write" else (rng.randrange(5), rng.randrange(5)))
            )
            h.add(process, "invoke", f, (key, arg))
            try:
                txn = client.begin()
                raw = txn.get(key.encode())
                current = None if raw is None else int(raw)
                if f == "read":
                    txn.rollback()
                    h.add(process, "ok", f, (key, current))
                    continue
                if f == "cas" and current != arg[0]:
                    txn.rollback()
                    # What it read is a read like any other: the checker holds it to the
                    # register's value at some point between invocation and completion.
                    h.add(process, "fail", f, (key, arg, current))
                    continue
                txn.put(key.encode(), str(arg if f == "write" else arg[1]).encode())
                txn.commit()
                h.add(process, "ok", f, (key, arg))
            except (Db9Error, OSError) as exc:
                h.add(process, _classify(exc), f, (key, arg), str(exc)[:200])
            except Exception as exc:
                h.add(process, "info", f, (key, arg), client_error(exc))
    finally:
        kv.close()


def _sql_node(run: Run, process: int) -> Node:
    return run.cluster.nodes[process % len(run.cluster.nodes)]


def _connect(run: Run, process: int) -> psycopg.Connection[Any] | None:
    try:
        conn = psycopg.connect(_sql_node(run, process).dsn(), autocommit=True, connect_timeout=3)
    except psycopg.Error:
        return None
    # Snapshot isolation is what the checkers hold db9 to; READ COMMITTED (the default)
    # takes a snapshot per statement and legitimately shows read skew.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


# An SQL operation: records its invocation (and puts (f, value) in the list it is given),
# runs, and returns (f, invocation value, completion value).
SqlOp = Callable[[psycopg.Connection[Any], random.Random, list[Any]], tuple[str, Any, Any]]


def sql_client(run: Run, process: int, rng: random.Random, op: SqlOp) -> None:
    """Runs ``op`` (which returns f, invoke value, ok value) over one connection,
    reconnecting after failures; errors become fail/info by SQLSTATE, anything unexpected
    becomes info with its text (``client_error``) and a fresh connection."""
    h = run.history
    conn = None
    while not run.stop.is_set():
        holder: list[tuple[str, Any]] = []
        try:
            if conn is None or conn.closed:
                conn = _connect(run, process)
                if conn is None:
                    time.sleep(0.2)  # the node is down: try again shortly
                    continue
            f, _, ok_value = op(conn, rng, holder)
            h.add(process, "ok", f, ok_value)
        except psycopg.Error as exc:
            _failed(run, process, holder, _classify(exc), str(exc)[:200])
            try:
                if conn is not None:
                    conn.execute("ROLLBACK")
            except psycopg.Error:
                conn.close()
        except Exception as exc:
            _failed(run, process, holder, "info", client_error(exc))
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = None
    if conn is not None:
        conn.close()


def _failed(run: Run, process: int, holder: list[tuple[str, Any]], type_: str, err: str) -> None:
    """Completes the operation ``holder`` names; one that failed before recording its
    invocation is recorded as a whole operation ``error``, so no failure goes unseen."""
    if holder:
        f, value = holder[0]
    else:
        f, value = "error", None
        run.history.add(process, "invoke", f, value)
    run.history.add(process, type_, f, value, err)


_next_value = [0]
_value_lock = threading.Lock()


def _unique() -> int:
    with _value_lock:
        _next_value[0] += 1
        return _next_value[0]


def list_append_op(run: Run, process: int) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        micro = []
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(LIST_KEYS)
            micro.append(["append", k, _unique()] if rng.random() < 0.5 else ["r", k, None])
        holder.append(("txn", micro))
        run.history.add(process, "invoke", "txn", micro)
        done = []
        with conn.transaction():
            for f, k, v in micro:
                if f == "append":
                    conn.execute(
                        "INSERT INTO lists (k, v) VALUES (%s, %s) ON CONFLICT (k) "
                        "DO UPDATE SET v = lists.v || ',' || excluded.v",
                        (k, str(v)),
                    )
                    done.append([f, k, v])
                else:
                    row = conn.execute("SELECT v FROM lists WHERE k = %s", (k,)).fetchone()
                    done.append([f, k, _list(row[0] if row else None)])
        return "txn", micro, done

    return op


class TransferLedger:
    """The bank clients' shared record of their transfers, for each read's horizon.

    Ids are drawn here in increasing order. ``horizon()`` is the greatest id at or below
    which every transfer has ended, with the ones among them whose outcome is unknown: a read
    asks for the transfers above its horizon and for those, by id; the checker infers the
    others at or below it (acknowledged ones are in the read's snapshot, failed ones not).
    A transfer ends here after its commit returned or its error was classified the way
    ``sql_client`` records it (``_outcome``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._open: set[int] = set()  # at most one per client
        self._unknown: list[int] = []  # increasing

    def begin(self) -> int:
        with self._lock:
            self._last += 1
            self._open.add(self._last)
            return self._last

    def end(self, tid: int, outcome: str) -> None:
        with self._lock:
            self._open.discard(tid)
            if outcome not in ("ok", "fail"):
                bisect.insort(self._unknown, tid)

    def horizon(self) -> tuple[int, list[int]]:
        with self._lock:
            h = min(self._open) - 1 if self._open else self._last
            return h, self._unknown[: bisect.bisect_right(self._unknown, h)]


def _outcome(exc: BaseException) -> str:
    """What ``sql_client`` records for an operation that raised ``exc``."""
    return _classify(exc) if isinstance(exc, psycopg.Error) else "info"


def bank_op(run: Run, process: int, ledger: TransferLedger) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        if rng.random() < 0.4:
            horizon, unknown = ledger.horizon()
            holder.append(("read", {"horizon": horizon}))
            run.history.add(process, "invoke", "read", {"horizon": horizon})
            with conn.transaction():
                rows = conn.execute("SELECT id, balance FROM accounts").fetchall()
                ids = conn.execute("SELECT id FROM transfers WHERE id > %s", (horizon,)).fetchall()
                if unknown:
                    ids += conn.execute(
                        "SELECT id FROM transfers WHERE id = ANY(%s)", (unknown,)
                    ).fetchall()
            # Every row as read: an account missing or read twice is for the checker to see.
            return "read", None, _bank_items(rows, ids)
        a, b = rng.sample(range(ACCOUNTS), 2)
        amount = rng.randint(1, 20)
        tid = ledger.begin()
        value = {"id": tid, "from": a, "to": b, "amount": amount}
        holder.append(("transfer", value))
        run.history.add(process, "invoke", "transfer", value)
        try:
            _transfer(conn, value)
        except BaseException as exc:
            ledger.end(tid, _outcome(exc))
            raise
        ledger.end(tid, "ok")
        return "transfer", value, value

    return op


def _transfer(conn: psycopg.Connection[Any], value: dict[str, int]) -> None:
    """One transfer: both balances and its id, in one transaction."""
    a, b, amount = value["from"], value["to"], value["amount"]
    update = "UPDATE accounts SET balance = balance + %s WHERE id = %s"
    with conn.transaction():
        (bal,) = conn.execute("SELECT balance FROM accounts WHERE id = %s", (a,)).fetchone()  # type: ignore[misc]
        if bal < amount:
            raise psycopg.errors.SerializationFailure("insufficient funds")  # a clean fail
        conn.execute(update, (-amount, a))
        conn.execute(update, (amount, b))
        conn.execute("INSERT INTO transfers (id) VALUES (%s)", (value["id"],))


def _bank_items(accounts: list[tuple[Any, ...]], ids: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [["account", i, b] for i, b in accounts] + [["transfer", i] for (i,) in ids]


def set_read_op(run: Run, process: int) -> SqlOp:
    """A reader's operation: wait a little, read the whole set through its node."""

    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        run.stop.wait(SET_READ_INTERVAL_S * (0.5 + rng.random()))
        holder.append(("read", None))
        run.history.add(process, "invoke", "read", None)
        with conn.transaction():
            rows = conn.execute("SELECT x FROM elements").fetchall()
        return "read", None, [x for (x,) in rows]

    return op


def set_op(run: Run, process: int) -> SqlOp:
    def op(conn: psycopg.Connection[Any], rng: random.Random, holder: list[Any]) -> Any:
        x = _unique()
        holder.append(("add", x))
        run.history.add(process, "invoke", "add", x)
        conn.execute("INSERT INTO elements (x) VALUES (%s)", (x,))
        return "add", x, x

    return op


def setup_sql(run: Run) -> None:
    node = run.cluster.wait_leader()
    with psycopg.connect(node.dsn(), autocommit=True) as conn:
        wl = run.config.workload
        if wl == "list-append":
            conn.execute("CREATE TABLE lists (k int PRIMARY KEY, v text)")
        elif wl == "bank":
            conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)")
            conn.execute(
                "INSERT INTO accounts SELECT g, %s FROM generate_series(0, %s) g",
                (BALANCE, ACCOUNTS - 1),
            )
            conn.execute("CREATE TABLE transfers (id int PRIMARY KEY)")
        elif wl == "set":
            conn.execute("CREATE TABLE elements (x int PRIMARY KEY)")


def _list(text: str | None) -> list[int]:
    return [int(x) for x in text.split(",")] if text else []


def _read_sql(node: Node, *queries: str) -> list[list[tuple[Any, ...]]]:
    """Each query's rows, all read through ``node`` in one snapshot."""
    with psycopg.connect(node.dsn(), autocommit=True, connect_timeout=3) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            return [conn.execute(q).fetchall() for q in queries]


def _read_all(workload: str, node: Node) -> list[Any]:
    """Everything ``workload`` wrote, read through ``node`` in one transaction: a list of
    items (a register and its value, a list read, an account row, an element)."""
    if workload == "register":
        kv = RemoteKv([node.grpc_addr], retry_s=3.0, rpc_timeout_s=3.0)
        try:
            txn = TxnClient(kv).begin()
            values = [txn.get(f"r{i}".encode()) for i in range(REGISTERS)]
            txn.rollback()
        finally:
            kv.close()
        return [[f"r{i}", None if v is None else int(v)] for i, v in enumerate(values)]
    if workload == "list-append":
        (rows,) = _read_sql(node, "SELECT k, v FROM lists")
        seen = {k for k, _ in rows}
        reads = [["r", k, _list(v)] for k, v in rows]
        return reads + [["r", k, []] for k in range(LIST_KEYS) if k not in seen]
    if workload == "bank":
        rows, ids = _read_sql(node, "SELECT id, balance FROM accounts", "SELECT id FROM transfers")
        return _bank_items(rows, ids)
    (rows,) = _read_sql(node, "SELECT x FROM elements")
    return [x for (x,) in rows]


def final_reads(run: Run, timeout_s: float = 30.0) -> None:
    """After the faults heal: every node reads everything the workload wrote, one
    ``FINAL_READ`` per node (process ``FINAL_PROCESS + i`` through node ``i``), retried for
    up to ``timeout_s``; a node that never answers gets an ``info`` completion."""
    run.cluster.wait_leader()
    for node in run.cluster.nodes:
        run.cluster.wait_pgwire(node)
    h = run.history
    for i, node in enumerate(run.cluster.nodes):
        process = FINAL_PROCESS + i
        h.add(process, "invoke", FINAL_READ, None)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                value = _read_all(run.config.workload, node)
            except Exception as exc:
                if time.monotonic() < deadline:
                    time.sleep(0.5)  # a node still catching up: ask again
                    continue
                h.add(process, "info", FINAL_READ, None, f"node{node.node_id}: {exc}"[:300])
            else:
                h.add(process, "ok", FINAL_READ, value)
            break


def clients(run: Run, rng: random.Random) -> list[Callable[[], None]]:
    """The bodies of the run's client threads: ``clients`` workload clients (process p
    through node p mod n), and for ``set`` one reader per node after them."""
    wl, out = run.config.workload, []
    ledger = TransferLedger()  # the bank clients'
    for p in range(run.config.clients):
        prng = random.Random(rng.random())
        if wl == "register":
            out.append(functools.partial(register_client, run, p, prng))
        elif wl == "bank":
            out.append(functools.partial(sql_client, run, p, prng, bank_op(run, p, ledger)))
        else:
            out.append(functools.partial(sql_client, run, p, prng, SQL_OPS[wl](run, p)))
    if wl == "set":
        first = run.config.clients  # n consecutive processes: one per node
        for p in range(first, first + len(run.cluster.nodes)):
            prng = random.Random(rng.random())
            out.append(functools.partial(sql_client, run, p, prng, set_read_op(run, p)))
    return out


SQL_OPS: dict[str, Callable[[Run, int], SqlOp]] = {
    "list-append": list_append_op,
    "set": set_op,
}

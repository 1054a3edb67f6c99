"""``db9 cluster ...``: status of a running cluster, membership, and a local launcher.

db9 cluster status [--grpc HOST:PORT,...] [--json]
db9 cluster up --nodes 3 [--base-dir DIR]       # local processes, for development
db9 cluster add-node RAFT_ADDR / remove-node RAFT_ADDR
db9 cluster check [--grpc ...]                  # replicas hold the same data?
db9 cluster readmit RAFT_ADDR                   # a member that lost its data directory
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import click

from cluster.client import RemoteKv
from kv.durable_file import private_dir
from kv.errors import Db9Error

DEFAULT_GRPC = os.environ.get("DB9_GRPC_ADDRS", "127.0.0.1:7100")


@click.group("cluster")
def cluster() -> None:
    """Inspect and manage a Raft cluster of db9 nodes."""


def _status_dict(addrs: list[str]) -> dict[str, Any]:
    client = RemoteKv(addrs, retry_s=3)
    nodes: list[dict[str, Any]] = []
    try:
        for i, addr in enumerate(addrs):
            try:
                s = client.status(i)
            except Exception as exc:  # an unreachable node is part of the answer
                nodes.append({"grpc_addr": addr, "reachable": False, "error": str(exc)[:200]})
                continue
            nodes.append(
                {
                    "node_id": s.node_id,
                    "grpc_addr": addr,
                    "raft_addr": s.raft_addr,
                    "reachable": True,
                    "state": s.state,
                    "leader": s.leader,
                    "term": s.term,
                    "commit_index": s.commit_index,
                    "applied_index": s.applied_index,
                    "log_length": s.log_length,
                    **_identity(client, i),
                    "disk_full": s.disk_full,
                    "peers": [
                        {
                            "raft_addr": p.raft_addr,
                            "connected": p.connected,
                            "match_index": p.match_index,
                        }
                        for p in s.peers
                    ],
                }
            )
    finally:
        client.close()
    leaders = {n["leader"] for n in nodes if n.get("reachable") and n.get("leader")}
    leader_node = next((n for n in nodes if n.get("state") == "leader"), None)
    if leader_node is not None:  # lag of each member behind the leader's commit index
        commit = leader_node["commit_index"]
        match = {p["raft_addr"]: p["match_index"] for p in leader_node["peers"]}
        match[leader_node["raft_addr"]] = commit
        for n in nodes:
            if n.get("reachable"):
                n["lag"] = max(0, commit - match.get(n["raft_addr"], 0))
    return {"leader": next(iter(leaders)) if len(leaders) == 1 else None, "nodes": nodes}


@cluster.command("status")
@click.option(
    "--grpc",
    "grpc_addrs",
    default=DEFAULT_GRPC,
    show_default=True,
    help="gRPC addresses of the nodes to ask, comma separated (DB9_GRPC_ADDRS).",
)
@click.option("--json", "as_json", is_flag=True)
def status(grpc_addrs: str, as_json: bool) -> None:
    """Leader, term, commit/applied index and lag of every node."""
    addrs = [a.strip() for a in grpc_addrs.split(",") if a.strip()]
    info = _status_dict(addrs)
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(f"leader: {info['leader'] or '(none)'}")
        for n in info["nodes"]:
            if not n["reachable"]:
                click.echo(f"  {n['grpc_addr']:<22} unreachable: {n['error']}")
                continue
            click.echo(
                f"  node {n['node_id']} {n['raft_addr']:<20} {n['state']:<9} term {n['term']}"
                f"  commit {n['commit_index']}  applied {n['applied_index']}"
                f"  lag {n.get('lag', '?')}  {_role_text(n)}"
                + (f"  DISK FULL: {n['disk_full']}" if n.get("disk_full") else "")
            )
    healthy = any(n.get("reachable") for n in info["nodes"]) and info["leader"] is not None
    sys.exit(0 if healthy else 1)


def _membership(action: str, raft_addr: str, grpc_addrs: str) -> None:
    client = RemoteKv([a.strip() for a in grpc_addrs.split(",") if a.strip()])
    try:
        (client.add_node if action == "add" else client.remove_node)(raft_addr)
    except Db9Error as exc:
        raise click.ClickException(exc.message) from None
    finally:
        client.close()
    click.echo(f"{action}ed {raft_addr}")


@cluster.command("add-node")
@click.argument("raft_addr")
@click.option("--grpc", "grpc_addrs", default=DEFAULT_GRPC, show_default=True)
def add_node(raft_addr: str, grpc_addrs: str) -> None:
    """Add a member (start it first with --peers listing the current members and itself)."""
    _membership("add", raft_addr, grpc_addrs)


@cluster.command("remove-node")
@click.argument("raft_addr")
@click.option("--grpc", "grpc_addrs", default=DEFAULT_GRPC, show_default=True)
def remove_node(raft_addr: str, grpc_addrs: str) -> None:
    """Remove a member; stop its process afterwards."""
    _membership("remove", raft_addr, grpc_addrs)


def _identity(client: RemoteKv, i: int) -> dict[str, Any]:
    """The node's role: voter, learner (lost its state; awaiting readmit) or new."""
    try:
        r = client.identity(i)
    except Exception:  # a node of a version without identities
        return {}
    return {"node_uuid": r.node_uuid, "cluster_id": r.cluster_id, "role": r.role}


def _role_text(n: dict[str, Any]) -> str:
    role = n.get("role")
    if role == "learner":
        return f"LEARNER: lost its state, not voting; run db9 cluster readmit {n['raft_addr']}"
    return str(role or "")


@cluster.command("readmit")
@click.argument("raft_addr")
@click.option("--grpc", "grpc_addrs", default=DEFAULT_GRPC, show_default=True)
@click.option("--timeout", "timeout_s", type=int, default=300, show_default=True)
def readmit(raft_addr: str, grpc_addrs: str, timeout_s: int) -> None:
    """Make a member that lost its data a voter again: the leader waits until it has caught
    up (from a snapshot if the log was compacted), then registers its new identity."""
    if not re.fullmatch(r"[^\s:,]+:\d{1,5}", raft_addr):
        raise click.UsageError(f"RAFT_ADDR must be HOST:PORT, got {raft_addr!r}")
    addrs = [a.strip() for a in grpc_addrs.split(",") if a.strip()]
    probe = RemoteKv(addrs, retry_s=10)  # an unreachable cluster fails in seconds, not minutes
    try:
        probe.status()
    except Db9Error as exc:
        raise click.ClickException(exc.message) from None
    finally:
        probe.close()
    client = RemoteKv(addrs, retry_s=timeout_s + 15, rpc_timeout_s=timeout_s + 15)
    try:
        r = client.readmit(raft_addr, timeout_s)
    except Db9Error as exc:
        raise click.ClickException(exc.message) from None
    finally:
        client.close()
    member = next((m for m in r.members if m.raft_addr == raft_addr), None)
    click.echo(f"readmitted {raft_addr} as a voter (node {member.node_uuid if member else '?'})")


@cluster.command("up")
@click.option("--nodes", type=click.IntRange(1, 9), default=3, show_default=True)
@click.option(
    "--base-dir",
    default=".db9-cluster",
    show_default=True,
    help="Each node's data goes to BASE_DIR/nodeN.",
)
@click.option(
    "--base-port",
    type=int,
    default=7000,
    show_default=True,
    help="Node N uses Raft BASE+N and gRPC BASE+100+N.",
)
@click.option(
    "--pg-base-port",
    type=int,
    default=5432,
    show_default=True,
    help="Node N serves pgwire on PG_BASE+N (node 1 on 5433, the server's default).",
)
@click.option(
    "--api-base-port",
    type=int,
    default=8079,
    show_default=True,
    help="Node N serves the REST API on API_BASE+N (node 1 on 8080, the CLI's default).",
)
def up(nodes: int, base_dir: str, base_port: int, pg_base_port: int, api_base_port: int) -> None:
    """Start a local cluster as child processes, for development; Ctrl-C stops it.

    The nodes share a SQL password (DB9_PASSWORD, else one generated into BASE_DIR/password),
    an API token (DB9_API_TOKEN, else BASE_DIR/api-token) and a Raft secret
    (DB9_CLUSTER_SECRET, else BASE_DIR/cluster-secret). Once every node serves SQL this prints
    how to connect to each. If a node exits, the others are stopped and its log is shown.
    """
    private_dir(base_dir)  # the shared secrets, and the nodes' data directories
    shared = {
        "DB9_PASSWORD": _shared_secret(base_dir, "password", "DB9_PASSWORD"),
        "DB9_API_TOKEN": _shared_secret(base_dir, "api-token", "DB9_API_TOKEN", "db9_"),
        "DB9_CLUSTER_SECRET": _shared_secret(base_dir, "cluster-secret", "DB9_CLUSTER_SECRET"),
    }
    members = [
        _LocalNode(n, base_dir, base_port, pg_base_port, api_base_port) for n in range(1, nodes + 1)
    ]
    _refuse_busy_ports(members)
    peers = ",".join(m.raft for m in members)
    env = {**os.environ, **shared}
    procs: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)  # stop the children as on Ctrl-C
    # Ctrl-C stops the cluster even when started from a shell that ran us with SIGINT
    # ignored (a background job of a script: Python then installs no handler of its own).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for m in members:
            procs.append(m.start(peers, env))
        click.echo(f"starting {nodes} nodes (data and logs in {base_dir}/nodeN) ...")
        if _wait_ready(members, procs):
            _print_connect(members, base_dir)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = next(m for m, p in zip(members, procs, strict=True) if p.poll() is not None)
        click.echo(f"node {failed.n} exited; stopping the others. The end of its log:", err=True)
        click.echo(_log_tail(failed.log), err=True)
        code = 1
    except KeyboardInterrupt:
        code = 0
    finally:
        _stop_all(procs)
    sys.exit(code)


class _LocalNode:
    """One node of ``db9 cluster up``: its ports and data directory."""

    def __init__(self, n: int, base_dir: str, base: int, pg_base: int, api_base: int) -> None:
        self.n = n
        self.data = os.path.join(base_dir, f"node{n}")
        self.raft = f"127.0.0.1:{base + n}"
        self.grpc = f"127.0.0.1:{base + 100 + n}"
        self.pg_port = pg_base + n
        self.api_port = api_base + n
        self.log = os.path.join(self.data, "server.log")

    def ports(self) -> list[tuple[int, str, str]]:
        return [
            (int(self.raft.rsplit(":", 1)[1]), "Raft", "--base-port"),
            (int(self.grpc.rsplit(":", 1)[1]), "gRPC", "--base-port"),
            (self.pg_port, "pgwire", "--pg-base-port"),
            (self.api_port, "REST API", "--api-base-port"),
        ]

    def start(self, peers: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        os.makedirs(self.data, exist_ok=True)
        cmd = [sys.executable, "-m", "control.server", "--node-id", str(self.n),
               "--data-dir", self.data, "--raft-addr", self.raft, "--peers", peers,
               "--grpc-addr", self.grpc, "--pg-port", str(self.pg_port),
               "--api-port", str(self.api_port)]  # fmt: skip
        log = open(self.log, "ab")  # noqa: SIM115 - lives with the child
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def _shared_secret(base_dir: str, name: str, env_var: str, prefix: str = "") -> str:
    """``env_var`` if set, else the value kept in BASE_DIR/name, else a new one kept there."""
    path = os.path.join(base_dir, name)
    value = os.environ.get(env_var)
    if not value and os.path.exists(path):
        with open(path) as f:
            value = f.read().strip()
    if not value:
        value = prefix + secrets.token_urlsafe(18)
    with open(path, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(value + "\n")
    return value


def _refuse_busy_ports(members: list[_LocalNode]) -> None:
    for m in members:
        for port, what, flag in m.ports():
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    raise click.ClickException(
                        f"port {port} (node {m.n}'s {what}) is in use: choose others with {flag}"
                    ) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_ready(
    members: list[_LocalNode], procs: list[subprocess.Popen[bytes]], timeout_s: float = 120.0
) -> bool:
    """Poll each node's /v1/health until all serve SQL (True), a node exits or time is up."""
    import httpx

    pending = set(range(len(members)))
    deadline = time.monotonic() + timeout_s
    while pending:
        for i in sorted(pending):
            if procs[i].poll() is not None:
                return False
            try:
                r = httpx.get(f"http://127.0.0.1:{members[i].api_port}/v1/health", timeout=2)
                if r.status_code == 200:
                    pending.discard(i)
            except httpx.HTTPError:
                pass
        if time.monotonic() > deadline:
            late = ", ".join(str(members[i].n) for i in sorted(pending))
            click.echo(f"nodes {late} are not serving yet after {timeout_s:.0f}s; see their logs")
            return False
        time.sleep(0.3)
    return True


def _print_connect(members: list[_LocalNode], base_dir: str) -> None:
    grpc = ",".join(m.grpc for m in members)
    secret = f"$(cat {base_dir}/password)"  # never the password itself: output ends up in logs
    click.echo(f"cluster up: {len(members)} nodes serve SQL. Connect to any node:")
    for m in members:
        click.echo(
            f'  node {m.n}: psql "postgresql://local.admin:{secret}@127.0.0.1:{m.pg_port}'
            f'/postgres?sslmode=require"'
        )
        click.echo(f"    REST API http://127.0.0.1:{m.api_port}, Raft {m.raft}, gRPC {m.grpc}")
    click.echo(f"password: {base_dir}/password; API token: {base_dir}/api-token, e.g.")
    click.echo(
        f"  DB9_API_URL=http://127.0.0.1:{members[0].api_port} "
        f"DB9_TOKEN=$(cat {base_dir}/api-token) db9 list"
    )
    click.echo(f"status: db9 cluster status --grpc {grpc}")
    click.echo(f"check:  db9 cluster check --grpc {grpc}")
    click.echo("Ctrl-C stops the cluster.")


def _log_tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:]).rstrip()
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


# -- db9 cluster check ----------------------------------------------------------------------


@cluster.command("check")
@click.option(
    "--grpc",
    "grpc_addrs",
    default=DEFAULT_GRPC,
    show_default=True,
    help="gRPC addresses of every member, comma separated (DB9_GRPC_ADDRS).",
)
@click.option(
    "--chunk-keys",
    type=click.IntRange(1, 1 << 24),
    default=1024,
    show_default=True,
    help="About this many keys per compared range: smaller ranges, longer answers.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for every member to apply and hash the check's entry.",
)
@click.option("--json", "as_json", is_flag=True)
def check(grpc_addrs: str, chunk_keys: int, timeout_s: float, as_json: bool) -> None:  # fmt: skip
    """Compare the members' stores at one Raft index (exit 1: they differ; 3: unchecked).

    The check goes through the Raft log, so every member hashes the state after exactly the
    same entries; each reports a hash per key range, and every range where they differ is
    printed with its first and last key.
    """
    from cluster.consistency import describe_key, run_check

    addrs = [a.strip() for a in grpc_addrs.split(",") if a.strip()]
    try:
        report = run_check(addrs, chunk_bits=max(0, chunk_keys.bit_length() - 1),
                           timeout_s=timeout_s)  # fmt: skip
    except Db9Error as exc:
        raise click.ClickException(f"cannot start the check: {exc.message}") from None
    if as_json:
        click.echo(json.dumps({
            "index": report.index,
            "ok": report.ok,
            "members": [{"grpc_addr": m.addr, "node_id": m.node_id, "raft_addr": m.raft_addr,
                         "state": m.state, "keys": m.keys, "chunks": len(m.chunks),
                         "detail": m.detail} for m in report.members],
            "mismatches": [{"start": describe_key(x.start), "end": describe_key(x.end),
                            "start_hex": x.start.hex(),
                            "end_hex": None if x.end is None else x.end.hex(),
                            "keys": x.keys} for x in report.mismatches],
        }, indent=2))  # fmt: skip
    else:
        click.echo(f"consistency check at raft index {report.index}:")
        for m in report.members:
            what = (f"{m.keys} keys in {len(m.chunks)} ranges" if m.state == "done"
                    else f"UNCHECKED ({m.state}{': ' + m.detail if m.detail else ''})")  # fmt: skip
            click.echo(f"  node {m.node_id or '?'} {m.addr:<22} {what}")
        for x in report.mismatches:
            keys = ", ".join(f"{a}: {n}" for a, n in x.keys.items())
            click.echo(f"MISMATCH in [{describe_key(x.start)} .. {describe_key(x.end)}) "
                       f"keys {keys}")  # fmt: skip
        if report.ok:
            click.echo("OK: every member holds the same data")
        elif len(report.members) < 2:
            click.echo("nothing to compare: a single member")
        elif not report.mismatches:
            click.echo("no difference among the members checked; some were not checked")
    sys.exit(1 if report.mismatches else 0 if report.ok else 3)

"""``db9 cluster ...``: status of a running cluster, membership, and a local launcher.

db9 cluster status [--grpc HOST:PORT,...] [--json]
db9 cluster up --nodes 3 [--base-dir DIR]      # local processes, for development
db9 cluster add-node RAFT_ADDR / remove-node RAFT_ADDR
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import click

from cluster.client import RemoteKv
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
                f"  lag {n.get('lag', '?')}"
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
    help="Node N uses raft BASE+N, gRPC BASE+100+N, pgwire 5432+N.",
)
def up(nodes: int, base_dir: str, base_port: int) -> None:
    """Start a local cluster as child processes, for development; Ctrl-C stops it."""
    secret = os.environ.get("DB9_CLUSTER_SECRET") or "local-dev-cluster-secret"
    raft = [f"127.0.0.1:{base_port + n}" for n in range(1, nodes + 1)]
    procs = []
    for n in range(1, nodes + 1):
        data = os.path.join(base_dir, f"node{n}")
        os.makedirs(data, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "control.server",
            "--node-id",
            str(n),
            "--data-dir",
            data,
            "--raft-addr",
            raft[n - 1],
            "--peers",
            ",".join(raft),
            "--grpc-addr",
            f"127.0.0.1:{base_port + 100 + n}",
            "--pg-port",
            str(5432 + n),
        ]
        env = {**os.environ, "DB9_CLUSTER_SECRET": secret}
        log = open(os.path.join(data, "server.log"), "a")  # noqa: SIM115 - lives with the child
        procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
        click.echo(
            f"node {n}: raft {raft[n - 1]}, gRPC 127.0.0.1:{base_port + 100 + n}, "
            f"pgwire 127.0.0.1:{5432 + n}, log {data}/server.log"
        )
    grpc_addrs = ",".join(f"127.0.0.1:{base_port + 100 + n}" for n in range(1, nodes + 1))
    click.echo(f"status: db9 cluster status --grpc {grpc_addrs}")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        click.echo("a node exited; stopping the others", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()

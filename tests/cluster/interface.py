"""What the fault tests need of a 3-node cluster, whoever runs its nodes: local processes
(``harness.LocalCluster``) or the containers of deploy/compose.yml (``compose.ComposeCluster``).

Faults themselves (signals, ``docker kill``, partitions) are not part of it: each nemesis
knows the kind of cluster it works on and asks that class for them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol, TypeVar

from cluster.client import RemoteKv


class Node(Protocol):
    """One db9 server, as its clients and the runner see it."""

    @property
    def node_id(self) -> int: ...

    @property
    def raft_addr(self) -> str:
        """As the other members know it (the Raft configuration's name for it)."""
        ...

    @property
    def grpc_addr(self) -> str:
        """Reachable from this machine."""
        ...

    @property
    def host(self) -> str:
        """Where its pgwire port (``pg_port``) is reachable from this machine."""
        ...

    @property
    def pg_port(self) -> int: ...

    @property
    def alive(self) -> bool:
        """Its process (or container) runs: not killed, maybe paused."""
        ...

    @property
    def stopped(self) -> bool:
        """Paused (SIGSTOP, ``docker pause``)."""
        ...

    def dsn(self) -> str:
        """A libpq connection string to its pgwire port, as an admin of the default tenant."""
        ...


class Cluster(Protocol):
    @property
    def nodes(self) -> Sequence[Node]: ...

    def start_all(self) -> None: ...

    def stop_all(self) -> None:
        """Every node stopped (paused ones first resumed); their data is kept."""
        ...

    def dump_stacks(self) -> None:
        """Every live node writes its threads' stacks to its log and goes on running."""
        ...

    def status(self, node: Node) -> dict[str, object] | None: ...

    def wait_leader(self) -> Node:
        """A live node that leads and can commit, or AssertionError after a while."""
        ...

    def wait_pgwire(self, node: Node) -> None:
        """Until ``node`` accepts SQL connections, or AssertionError after a while."""
        ...


N = TypeVar("N", bound=Node)


def node_status(node: Node) -> dict[str, object] | None:
    """The node's own view (state, leader, term, commit, applied, peers' Raft addresses), or
    None if it does not answer within a second."""
    kv = RemoteKv([node.grpc_addr], retry_s=0.1, rpc_timeout_s=1.0)
    try:
        s = kv.status(0)
    except Exception:
        return None
    finally:
        kv.close()
    return {"state": s.state, "leader": s.leader, "term": s.term,
            "commit": s.commit_index, "applied": s.applied_index,
            "peers": [p.raft_addr for p in s.peers]}  # fmt: skip


def wait_leader(among: Sequence[N], timeout_s: float) -> N:
    """Poll until exactly one of ``among`` says it leads and it can commit a command."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        leaders = [n for n in among if (node_status(n) or {}).get("state") == "leader"]
        if len(leaders) == 1:
            kv = RemoteKv([leaders[0].grpc_addr], retry_s=2.0)
            try:
                kv.get_ts()
                return leaders[0]
            except Exception:
                pass
            finally:
                kv.close()
        time.sleep(0.1)
    raise AssertionError(f"no leader among {[n.raft_addr for n in among]} in {timeout_s}s")

"""One cluster node: the Raft member, its group-commit proposer, RaftKv and the gRPC service."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import grpc

from cluster import lease
from cluster.convert import Unavailable
from cluster.identity import NodeIdentity
from cluster.proposer import Proposer
from cluster.proto import db9kv_pb2 as pb
from cluster.raft_kv import RaftKv
from cluster.service import KvService, start_grpc
from cluster.state_machine import APPLIED_KEY, KvStateMachine, RaftOptions
from kv.engine.lmdb import LmdbEngine
from kv.errors import Db9Error

log = logging.getLogger(__name__)

_STATES = {0: "follower", 1: "candidate", 2: "leader"}


@dataclass
class ClusterConfig:
    node_id: int
    data_dir: str
    raft_addr: str
    peers: list[str]
    grpc_addr: str
    secret: str
    sync: bool = True


class ClusterNode:
    def __init__(
        self, config: ClusterConfig, options: RaftOptions | None = None, *, retry_s: float = 10.0
    ) -> None:
        if not config.secret:
            raise ValueError("a cluster needs a shared secret (DB9_CLUSTER_SECRET)")
        if config.raft_addr not in config.peers:
            config.peers = [config.raft_addr, *config.peers]
        self.config = config
        # The synced Raft log replays a commit that a power loss undid (see LmdbEngine).
        self.engine = LmdbEngine(config.data_dir, sync=config.sync, metasync=False)
        self.identity = NodeIdentity.load_or_create(
            config.data_dir,
            has_state=self.engine.get(APPLIED_KEY) is not None
            or os.path.exists(os.path.join(config.data_dir, "raft.journal")),
        )
        opts = options or RaftOptions(password=config.secret, sync=config.sync)
        opts.password = config.secret
        self.leader_changed = threading.Event()
        self.machine = KvStateMachine(
            self.engine,
            config.raft_addr,
            config.peers,
            config.data_dir,
            opts,
            on_state_changed=self._state_changed,
            identity=self.identity,
        )
        lease.state(self.machine).grpc_addr = advertised_grpc(config.grpc_addr, config.raft_addr)
        self.proposer = Proposer(self.machine)
        self.kv = RaftKv(self.machine, self.proposer, retry_s=retry_s)
        self.service = KvService(self.kv, self.status, self.add_node, self.remove_node)
        self.service.identity = self.machine.identity_guard
        try:
            self.grpc: grpc.Server = start_grpc(self.service, config.grpc_addr)
        except (OSError, RuntimeError) as exc:
            self.close()
            raise OSError(f"cannot serve gRPC on {config.grpc_addr}: {exc}") from None

    def _state_changed(self) -> None:
        """From the Raft tick thread: a node that is no longer leader settles its batches
        in flight at once (see ``Proposer.abandon_inflight``)."""
        self.leader_changed.set()
        machine, proposer = getattr(self, "machine", None), getattr(self, "proposer", None)
        if machine is not None and proposer is not None and not machine._isLeader():
            proposer.abandon_inflight("the Raft leader changed while the command was in flight")
        kv = getattr(self, "kv", None)
        if kv is not None:
            kv.tso.state_changed()

    def is_leader(self) -> bool:
        return bool(self.machine._isLeader())

    def _log_first_index(self) -> int:
        raft_log = self.machine._SyncObj__raftLog  # read off the Raft thread: a hint
        try:
            return int(raft_log[0][1]) if len(raft_log) else 0
        except IndexError:  # compacted meanwhile
            return 0

    def status(self) -> pb.StatusResponse:
        s = self.machine.status()
        leader = s.get("leader")
        peers = []
        # The Raft configuration as this node holds it (membership changes included), not the
        # --peers it was started with.
        prefix = "partner_node_status_server_"
        for node in sorted(k[len(prefix) :] for k in s if k.startswith(prefix)):
            peers.append(
                pb.PeerStatus(
                    raft_addr=node,
                    connected=s.get(f"partner_node_status_server_{node}", 0) == 2,
                    match_index=s.get(f"match_idx_server_{node}", 0) or 0,
                    next_index=s.get(f"next_node_idx_server_{node}", 0) or 0,
                )
            )
        return pb.StatusResponse(
            node_id=self.config.node_id,
            raft_addr=self.config.raft_addr,
            grpc_addr=self.config.grpc_addr,
            state=_STATES.get(int(s.get("state", 0)), str(s.get("state"))),
            leader=str(getattr(leader, "id", leader) or ""),
            term=int(s.get("raft_term", 0)),
            commit_index=int(s.get("commit_idx", 0)),
            applied_index=int(self.machine.applied_index),
            log_length=int(s.get("log_len", 0)),
            raft_applied_index=int(s.get("last_applied", 0)),
            log_first_index=self._log_first_index(),
            tso_last=int(self.machine.tso_last),
            peers=peers,
            disk_full=self.kv.disk_full(),
            leader_grpc=(
                lease.state(self.machine).grpc_addr
                if self.machine._isLeader()
                else lease.state(self.machine).leader_grpc
            ),
        )

    def _membership(self, action: str, raft_addr: str) -> None:
        done = threading.Event()
        outcome: list[object] = []

        def callback(result: object, err: object) -> None:
            outcome.append(err)
            done.set()

        if action == "add":
            self.machine.addNodeToCluster(raft_addr, callback=callback)
        else:
            self.machine.removeNodeFromCluster(raft_addr, callback=callback)
        if not done.wait(10) or outcome[0] != 0:
            raise Unavailable(
                f"could not {action} node {raft_addr} (reason {outcome or 'timeout'})"
            )
        if action == "add" and raft_addr not in self.config.peers:
            self.config.peers.append(raft_addr)
        if action == "remove" and raft_addr in self.config.peers:
            self.config.peers.remove(raft_addr)
        guard = self.machine.identity_guard
        if action == "remove" and guard is not None:
            try:  # so that a new node at this address is not taken for a wiped member
                guard.forget(raft_addr)
            except Db9Error as exc:
                log.warning("removed %s, but its identity record stays: %s", raft_addr, exc)

    def add_node(self, raft_addr: str) -> None:
        self._membership("add", raft_addr)

    def remove_node(self, raft_addr: str) -> None:
        self._membership("remove", raft_addr)

    def close(self) -> None:
        grpc_server = getattr(self, "grpc", None)
        if grpc_server is not None:
            grpc_server.stop(grace=2).wait(5)
        kv = getattr(self, "kv", None)
        if kv is not None:
            kv.close()
        proposer = getattr(self, "proposer", None)
        if proposer is not None:
            proposer.stop()
        machine = getattr(self, "machine", None)
        if machine is not None:
            machine.close()
        self.engine.close()


def advertised_grpc(grpc_addr: str, raft_addr: str) -> str:
    """The gRPC address other members dial: a wildcard host is replaced by the Raft host."""
    host, _, port = grpc_addr.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = raft_addr.rpartition(":")[0] or "127.0.0.1"
    return f"{host}:{port}"

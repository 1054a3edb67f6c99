"""A member's durable identity: its node uuid, the cluster it belongs to, and its role.

``identity.json`` in the data directory is written at the node's first start, before its Raft
journal exists, and rewritten crash-atomically (write, fsync, rename, fsync the directory)
whenever it changes. The node uuid is drawn then; the cluster id is added when the node
applies the entry that set it (the first leader's first registry change), since a node that
bootstraps a cluster cannot know it earlier. A data directory without the file is new, so a
wiped member is recognisable: it comes back under a new uuid, at an address the cluster has
on record under the old one.

Roles (``cluster.raft_identity`` enforces them):

- ``new``: a fresh directory and nothing heard yet that says the address had another member
  before. It votes and campaigns: that is how a cluster bootstraps and how ``add-node`` grows it.
- ``learner``: a fresh directory at an address the cluster has on record under another uuid,
  i.e. a member that lost its state (or a voter's file found without its log and store: it
  takes a new uuid). It receives and acknowledges entries but never votes or campaigns,
  until ``db9 cluster readmit`` has it caught up and registers its uuid.
- ``voter``: its own uuid is on record in the replicated registry it has applied, or it
  started with Raft state written before identities existed.

Invariant: a role only moves ``new -> learner``, ``new -> voter`` or ``learner -> voter`` (or
``voter -> learner`` with a new uuid, when the state is gone), and each move is durable before
it takes effect.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass

from kv.durable_file import write_durably

log = logging.getLogger(__name__)
FILE_NAME = "identity.json"
ROLES = ("new", "learner", "voter")


@dataclass
class NodeIdentity:
    node_uuid: str
    cluster_id: str | None
    role: str
    path: str

    @classmethod
    def load_or_create(cls, data_dir: str, *, has_state: bool) -> NodeIdentity:
        """The identity kept in ``data_dir``, or a new one written there now.

        ``has_state``: the directory already holds Raft state (from a version without
        identities); such a member keeps its vote.
        """
        path = os.path.join(data_dir, FILE_NAME)
        try:
            with open(path) as f:
                raw = json.load(f)
        except FileNotFoundError:
            ident = cls(str(uuid.uuid4()), None, "voter" if has_state else "new", path)
            ident.save()
            return ident
        role = raw.get("role")
        if role not in ROLES or not raw.get("node_uuid"):
            raise ValueError(f"{path} is damaged ({raw!r}); it names this member of the cluster")
        ident = cls(str(raw["node_uuid"]), raw.get("cluster_id") or None, str(role), path)
        if role == "voter" and not has_state:
            # The store and the journal were deleted, this file was not: the member lost its
            # state all the same, and must not vote under its old name.
            log.warning(
                "%s names member %s, but its Raft log and store are gone: it starts again as "
                "a learner under a new uuid",
                path,
                ident.node_uuid,
            )
            ident = cls(str(uuid.uuid4()), ident.cluster_id, "learner", path)
            ident.save()
        return ident

    def update(self, *, role: str | None = None, cluster_id: str | None = None) -> None:
        """Change the role and/or cluster id, durably, before the change takes effect."""
        new_role = role or self.role
        new_cluster = cluster_id or self.cluster_id
        if (new_role, new_cluster) == (self.role, self.cluster_id):
            return
        if new_role not in ROLES:
            raise ValueError(f"unknown role {new_role!r}")
        old = (self.role, self.cluster_id)
        self.role, self.cluster_id = new_role, new_cluster
        try:
            self.save()
        except OSError:
            self.role, self.cluster_id = old
            raise

    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        write_durably(self.path, (json.dumps(data) + "\n").encode())

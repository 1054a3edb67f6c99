"""Member identities in process: the identity file, the registry's changes, the rules a
node applies to the stamps it receives, and the divergence check on hand-made logs. The
multi-process scenarios are in test_wiped_member.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cluster import raft_identity
from cluster.identity import NodeIdentity
from cluster.raft_identity import (
    REGISTRY_KEY,
    IdentityGuard,
    Registry,
    apply_change,
    change,
    first_conflict,
)
from kv.engine.lmdb import LmdbEngine


def test_a_fresh_directory_gets_a_new_identity_that_survives_a_restart(tmp_path: Path) -> None:
    first = NodeIdentity.load_or_create(str(tmp_path), has_state=False)
    assert first.role == "new" and first.cluster_id is None
    first.update(role="learner", cluster_id="c1")
    again = NodeIdentity.load_or_create(str(tmp_path), has_state=False)
    assert (again.node_uuid, again.role, again.cluster_id) == (first.node_uuid, "learner", "c1")
    assert not (tmp_path / "identity.json.tmp").exists()


def test_state_written_before_identities_keeps_its_vote(tmp_path: Path) -> None:
    assert NodeIdentity.load_or_create(str(tmp_path), has_state=True).role == "voter"


def test_a_damaged_identity_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "identity.json").write_text(json.dumps({"node_uuid": "x", "role": "boss"}))
    with pytest.raises(ValueError, match="damaged"):
        NodeIdentity.load_or_create(str(tmp_path), has_state=False)


def test_registry_changes_claim_register_forget_and_first_cluster_id_wins(
    tmp_path: Path,
) -> None:
    engine = LmdbEngine(str(tmp_path / "db"))
    try:
        for payload in (
            change("cluster_id", id="c1"),
            change("cluster_id", id="c2"),
            change("claim", addr="b", uuid="u1"),
            change("claim", addr="b", uuid="u2"),  # a claim never replaces a record
            change("claim", addr="c", uuid="u3"),
            change("forget", addr="c"),
        ):
            engine.transact(lambda view, p=payload: apply_change(view, p))
        reg = Registry.decode(engine.get(REGISTRY_KEY))
        assert (reg.cluster_id, dict(reg.members)) == ("c1", {"b": "u1"})
        engine.transact(lambda view: apply_change(view, change("register", addr="b", uuid="u2")))
        assert Registry.decode(engine.get(REGISTRY_KEY)).members == {"b": "u2"}
    finally:
        engine.close()


class FakeNode:
    """What the guard reads of a KvStateMachine/SyncObj: a log of (command, index, term)."""

    def __init__(self, log: list[tuple[bytes, int, int]], applied: int, term: int = 2) -> None:
        self.log = log
        self.applied_index = applied
        self.raftLastApplied = 1  # pysyncobj starts again at 1 after a restart
        self.raftCurrentTerm = term
        self._SyncObj__raftElectionDeadline = 0.0

    def _SyncObj__getEntries(self, start: int, count: int | None = None) -> list[Any]:
        first = self.log[0][1]
        if start < first:
            return []
        out = self.log[start - first :]
        return out if count is None else out[:count]

    def _SyncObj__getCurrentLogIndex(self) -> int:
        return self.log[-1][1]


def entries(*pairs: tuple[int, int]) -> list[tuple[bytes, int, int]]:
    return [(f"c{i}".encode(), i, term) for i, term in pairs]


def guard(tmp_path: Path, node: FakeNode, role: str = "new") -> IdentityGuard:
    ident = NodeIdentity.load_or_create(str(tmp_path), has_state=False)
    ident.update(role=role, cluster_id="c1" if role != "new" else None)
    return IdentityGuard(ident, "b:1", node)


def test_a_new_node_told_its_address_belongs_to_another_uuid_becomes_a_learner(
    tmp_path: Path,
) -> None:
    node = FakeNode(entries((1, 0)), applied=0)
    g = guard(tmp_path, node)
    vote = {"type": "request_vote", "term": 5, "_db9_cid": "c1", "_db9_from": "uc",
            "_db9_role": "voter", "_db9_to": "old-uuid-of-b"}  # fmt: skip
    assert g.admit(node, "c:1", vote) is False  # the vote request is not answered
    assert g.identity.role == "learner" and g.votes_withheld == 1
    assert NodeIdentity.load_or_create(str(tmp_path), has_state=False).role == "learner"
    assert node._SyncObj__raftElectionDeadline > 1000  # and it will not campaign
    assert g.stamp("c:1", {"type": "response_vote", "term": 5}) is None
    out = g.stamp("c:1", {"type": "next_node_idx"})
    assert out is not None and out["_db9_role"] == "learner"


def test_a_new_node_with_no_record_votes(tmp_path: Path) -> None:
    node = FakeNode(entries((1, 0)), applied=0)
    g = guard(tmp_path, node)
    assert g.admit(node, "c:1", {"type": "request_vote", "term": 1, "_db9_to": None})
    assert g.identity.role == "new"


def test_the_registry_is_decoded_again_only_when_its_stored_bytes_change(
    tmp_path: Path, monkeypatch: Any
) -> None:
    node = FakeNode(entries((1, 0)), applied=1)
    stored = {REGISTRY_KEY: Registry("c1", {"c:1": "uc"}).encode()}
    node.engine = SimpleNamespace(get=stored.get)  # type: ignore[attr-defined]
    g = guard(tmp_path, node)
    decoded: list[bytes | None] = []
    decode = Registry.decode.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        Registry, "decode", classmethod(lambda cls, raw: decoded.append(raw) or decode(cls, raw))
    )
    for applied in range(1, 40):  # entries that leave the registry alone, a tick each
        node.applied_index = applied
        assert g.current_registry().members == {"c:1": "uc"}
    assert len(decoded) == 1
    assert (g.identity.cluster_id, g.identity.role) == ("c1", "new")
    stored[REGISTRY_KEY] = Registry("c1", {"c:1": "uc", "b:1": g.identity.node_uuid}).encode()
    g.current_registry()
    assert len(decoded) == 1, "read again only once the applied index moves"
    node.applied_index += 1
    assert g.current_registry().members["b:1"] == g.identity.node_uuid
    assert len(decoded) == 2 and g.identity.role == "voter"


def test_messages_from_another_cluster_are_ignored(tmp_path: Path) -> None:
    node = FakeNode(entries((1, 0)), applied=0)
    g = guard(tmp_path, node, role="voter")
    assert not g.admit(node, "x:1", {"type": "append_entries", "term": 9, "_db9_cid": "c2"})


def test_first_conflict_is_the_first_entry_whose_term_differs() -> None:
    own = FakeNode(entries((1, 0), (2, 1), (3, 1), (4, 1)), applied=0)
    get = own._SyncObj__getEntries
    assert first_conflict(get, 4, 1, 0, entries((2, 1), (3, 2), (4, 2))) == 3
    assert first_conflict(get, 4, 1, 0, entries((2, 1), (3, 1))) is None  # a duplicate
    assert first_conflict(get, 4, 4, 1, entries((5, 2))) is None  # past our end
    assert first_conflict(get, 4, 2, 9, entries((3, 2))) is None  # prev mismatch: rejected


def test_a_conflict_at_an_applied_index_stops_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[str] = []
    monkeypatch.setattr(raft_identity, "on_diverged", stopped.append)
    # Restarted: pysyncobj's own applied index is back at 1, LMDB says 4 was applied.
    node = FakeNode(entries((1, 0), (2, 1), (3, 1), (4, 1)), applied=4, term=2)
    g = guard(tmp_path, node, role="voter")
    msg = {"type": "append_entries", "term": 2, "commit_index": 3, "prevLogIdx": 2,
           "prevLogTerm": 1, "entries": entries((3, 2))}  # fmt: skip
    assert g.admit(node, "c:1", msg) is False
    assert len(stopped) == 1 and "at index 3" in stopped[0]
    assert g.admit(node, "c:1", {"type": "append_entries", "term": 2}) is False  # halted


def test_a_conflict_past_the_applied_index_is_ordinary_raft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[str] = []
    monkeypatch.setattr(raft_identity, "on_diverged", stopped.append)
    node = FakeNode(entries((1, 0), (2, 1), (3, 1), (4, 1)), applied=2, term=2)
    g = guard(tmp_path, node, role="voter")
    msg = {"type": "append_entries", "term": 2, "commit_index": 3, "prevLogIdx": 2,
           "prevLogTerm": 1, "entries": entries((3, 2))}  # fmt: skip
    assert g.admit(node, "c:1", msg) is True and not stopped


def write_snapshot(path: Path, last: tuple[int, int]) -> None:
    """A db9 snapshot file's head (KvStateMachine._save_snapshot's format), no LMDB data."""
    import struct

    import pysyncobj.pickle as ps_pickle

    from cluster.state_machine import SNAPSHOT_MAGIC

    head = ps_pickle.dumps(((b"c", last[0], last[1]), (b"c", last[0] - 1, last[1]), None, []))
    path.write_bytes(SNAPSHOT_MAGIC + struct.pack(">Q", len(head)) + head)


def test_a_snapshot_that_contradicts_applied_entries_stops_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[str] = []
    monkeypatch.setattr(raft_identity, "on_diverged", stopped.append)
    node = FakeNode(entries((1, 0), (2, 1), (3, 1), (4, 1)), applied=4, term=3)
    g = guard(tmp_path, node, role="voter")
    snap = tmp_path / "raft.snapshot"
    write_snapshot(snap, (3, 1))  # agrees with what was applied: fine
    g.check_snapshot(node, str(snap))
    assert not stopped and snap.exists()
    write_snapshot(snap, (3, 2))  # index 3 was applied in term 1 here
    g.check_snapshot(node, str(snap))
    assert len(stopped) == 1 and "snapshot ends at index 3 in term 2" in stopped[0]
    assert not snap.exists() and (tmp_path / "raft.snapshot.diverged").exists()


def test_a_voter_whose_log_and_store_were_deleted_comes_back_as_a_learner(
    tmp_path: Path,
) -> None:
    ident = NodeIdentity.load_or_create(str(tmp_path), has_state=False)
    ident.update(role="voter", cluster_id="c1")
    back = NodeIdentity.load_or_create(str(tmp_path), has_state=False)
    assert back.role == "learner" and back.node_uuid != ident.node_uuid
    assert back.cluster_id == "c1"
    assert NodeIdentity.load_or_create(str(tmp_path), has_state=False).role == "learner"
    kept = NodeIdentity.load_or_create(str(tmp_path), has_state=True)
    assert kept.node_uuid == back.node_uuid

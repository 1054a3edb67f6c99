"""The corrected append-entries handling (cluster.raft_fixes) on hand-made logs, and the
generated protobuf modules being current."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from cluster import raft_fixes
from cluster.raft_fixes import _trim


class FakeRaft:
    """What ``_trim`` reads of a SyncObj: its log (command, index, term) and term."""

    def __init__(self, log: list[tuple[bytes, int, int]], term: int = 2) -> None:
        self.log = log
        self.raftCurrentTerm = term

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


def msg(prev: tuple[int, int], items: list[tuple[bytes, int, int]], commit: int) -> dict[str, Any]:
    return {"type": "append_entries", "term": 2, "prevLogIdx": prev[0], "prevLogTerm": prev[1],
            "entries": items, "commit_index": commit}  # fmt: skip


def test_a_delayed_duplicate_keeps_acknowledged_entries() -> None:
    # The follower holds 1..6 (all acknowledged); a delayed message re-sends 3..4.
    raft = FakeRaft(entries((1, 1), (2, 1), (3, 2), (4, 2), (5, 2), (6, 2)))
    out, ack = _trim(raft, msg((2, 1), entries((3, 2), (4, 2)), commit=6))
    assert "prevLogIdx" not in out and "entries" not in out  # handled as a heartbeat
    assert ack == 5  # acknowledges what the message covered, no more
    assert out["commit_index"] == 4  # never past the last entry the message vouches for


def test_a_conflicting_entry_truncates_from_the_conflict_only() -> None:
    raft = FakeRaft(entries((1, 1), (2, 1), (3, 1), (4, 1)))
    out, ack = _trim(raft, msg((1, 1), entries((2, 1), (3, 2), (4, 2)), commit=3))
    assert ack is None
    assert (out["prevLogIdx"], out["prevLogTerm"]) == (2, 1)
    assert [e[1:] for e in out["entries"]] == [(3, 2), (4, 2)]


def test_new_entries_past_the_end_are_appended() -> None:
    raft = FakeRaft(entries((1, 1), (2, 2)))
    out, ack = _trim(raft, msg((1, 1), entries((2, 2), (3, 2)), commit=3))
    assert ack is None
    assert (out["prevLogIdx"], [e[1] for e in out["entries"]]) == (2, [3])
    assert out["commit_index"] == 3


def test_a_mismatched_previous_entry_is_left_for_the_library_to_reject() -> None:
    raft = FakeRaft(entries((1, 1), (2, 1)))
    original = msg((2, 2), entries((3, 2)), commit=3)
    out, ack = _trim(raft, original)
    assert out is original and ack is None


def test_an_ordinary_heartbeat_is_unchanged_but_for_the_commit_cap() -> None:
    raft = FakeRaft(entries((1, 1), (2, 2)))
    out, ack = _trim(raft, msg((2, 2), [], commit=2))
    assert ack is None and out["prevLogIdx"] == 2 and out["commit_index"] == 2


def test_a_stale_heartbeat_does_not_cut_the_tail() -> None:
    raft = FakeRaft(entries((1, 1), (2, 2), (3, 2)))
    out, ack = _trim(raft, msg((2, 2), [], commit=3))
    assert "prevLogIdx" not in out and ack == 3 and out["commit_index"] == 2


def test_fixes_refuse_an_unchecked_pysyncobj_version(monkeypatch: Any) -> None:
    monkeypatch.setattr(raft_fixes, "_applied", False)
    monkeypatch.setattr(raft_fixes, "VERSION", "9.9.9")
    try:
        raft_fixes.apply()
    except RuntimeError as exc:
        assert "9.9.9" in str(exc)
    else:
        raise AssertionError("apply() patched an unchecked version")


def test_generated_protobuf_modules_are_current() -> None:
    res = subprocess.run([sys.executable, "-m", "cluster.proto.generate", "--check"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr

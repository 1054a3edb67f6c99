"""The Raft journal (cluster.raft_journal): the library's file format, torn tails, and
crash-atomic compaction and snapshots, with crashes injected (``os._exit``) at every step."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pysyncobj.journal as ps_journal
import pysyncobj.syncobj as syncobj

from cluster import raft_fixes

raft_fixes.apply()
ROOT = Path(__file__).resolve().parents[2]


def entries(n: int, first: int = 1, term: int = 1) -> list[tuple[bytes, int, int]]:
    return [(b"\x01cmd-%d" % i + b"x" * (i % 50), i, term) for i in range(first, first + n)]


def journal(path: Path) -> Any:
    from cluster.raft_journal import DurableJournal  # here: the crash tests also run on old code

    return DurableJournal(str(path))


def fill(path: Path, items: list[tuple[bytes, int, int]]) -> Any:
    j = journal(path)
    for e in items:
        j.add(*e)
    return j


def test_the_library_opens_our_journal_and_we_open_the_librarys(tmp_path: Path) -> None:
    ours = fill(tmp_path / "a", entries(30))
    ours._destroy()
    theirs = ps_journal.FileJournal(str(tmp_path / "a"))
    assert list(theirs) == entries(30)
    theirs._destroy()
    lib = ps_journal.FileJournal(str(tmp_path / "b"))
    for e in entries(30):
        lib.add(*e)
    lib._destroy()
    assert list(journal(tmp_path / "b")) == entries(30)


def test_entries_survive_reopen_after_truncation_and_compaction(tmp_path: Path) -> None:
    j = fill(tmp_path / "j", entries(100))
    j.deleteEntriesFrom(80)  # drop 81..100
    j.deleteEntriesTo(10)  # drop 1..10
    j.add(b"\x01new", 81, 2)
    j._destroy()
    again = journal(tmp_path / "j")
    assert list(again) == [*entries(70, first=11), (b"\x01new", 81, 2)]


def test_a_torn_last_record_is_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    j = fill(tmp_path / "j", entries(10))
    end, last_start = j._end, j._starts[-1]
    j._destroy()
    with open(tmp_path / "j", "r+b") as f:  # the header says 10 records; the last is torn
        f.seek(end - 2)
        f.write(b"\xff\xff")
    assert last_start < end
    assert list(journal(tmp_path / "j")) == entries(9)


def test_one_sync_syncs_a_message_once_and_a_crash_inside_drops_it_whole(
    tmp_path: Path,
) -> None:
    j = fill(tmp_path / "j", entries(5))
    syncs: list[int] = []
    set_end = j._set_end
    j._set_end = lambda end: (syncs.append(end), set_end(end))
    with j.one_sync():
        for e in entries(20, first=6):
            j.add(*e)
        assert syncs == []  # written, not yet synced: a crash here drops all twenty
        crashed = journal(tmp_path / "j")
        assert list(crashed) == entries(5)
        crashed._destroy()
    assert syncs == [j._end]  # one sync for the twenty
    j._destroy()
    assert list(journal(tmp_path / "j")) == entries(25)


def test_a_failed_sync_keeps_none_of_the_entries_it_covered(tmp_path: Path) -> None:
    import errno

    import pytest

    from kv.errors import DiskFull

    j = fill(tmp_path / "j", entries(5))

    def no_space(end: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    j._set_end = no_space
    with pytest.raises(DiskFull), j.one_sync():
        for e in entries(3, first=6):
            j.add(*e)
    assert list(j) == entries(5)
    del j._set_end
    j.add(*entries(1, first=6)[0])  # the next append starts where the synced log ends
    j._destroy()
    assert list(journal(tmp_path / "j")) == entries(6)


def test_term_and_vote_are_stored_durably(tmp_path: Path) -> None:
    j = journal(tmp_path / "j")
    j.setCurrentTerm(7, "n2")
    j.setRaftCommitIndex(5)
    j.onOneSecondTimer()
    j._destroy()
    again = journal(tmp_path / "j")
    assert (again.getCurrentTerm(), again.getVotedForNodeId(), again.getRaftCommitIndex()) == (
        7,
        "n2",
        5,
    )


# -- crash injection ---------------------------------------------------------------------------

# Runs in a child: the journal pysyncobj would use (after raft_fixes.apply()), 200 entries,
# then compaction of the first 150 with os._exit(0) at step STEP (every write, sync, rename
# or add counts as a step). Prints "done" if it finished before reaching STEP.
COMPACT_CHILD = """
import os, sys
sys.path.insert(0, {root!r})
from cluster import raft_fixes
raft_fixes.apply()
import pysyncobj.syncobj as syncobj
from tests.cluster.test_raft_journal import entries
path, step = sys.argv[1], int(sys.argv[2])
j = syncobj.createJournal(path)
for e in entries(200):
    j.add(*e)
count = [0]
def counted(fn):
    def run(*a, **k):
        count[0] += 1
        if count[0] == step:
            os._exit(0)
        return fn(*a, **k)
    return run
for name in ("pwrite", "fsync", "fdatasync", "replace", "posix_fallocate"):
    setattr(os, name, counted(getattr(os, name)))
type(j).add = counted(type(j).add)
j.deleteEntriesTo(150)
print("done", flush=True)
"""


def test_a_crash_at_any_step_of_compaction_leaves_the_old_or_the_new_journal(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(COMPACT_CHILD.format(root=str(ROOT)))
    old, new = entries(200), entries(200)[150:]
    outcomes = set()
    for step in range(1, 200):
        path = tmp_path / f"j{step}"
        run = subprocess.run(
            [sys.executable, "-c", script, str(path), str(step)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        got = list(syncobj.createJournal(str(path)))
        assert got in (old, new), f"crash at step {step}: {len(got)} entries, first {got[:1]}"
        outcomes.add("new" if got == new else "old")
        if "done" in run.stdout:
            break
    assert outcomes == {"old", "new"}


# A single-node replicated store in a child: 60 writes, then a compaction that crashes
# (os._exit) right after the snapshot file is renamed in, before the journal is trimmed.
# Prints the index of the last entry in its journal.
SNAPSHOT_CHILD = """
import os, sys, time
sys.path.insert(0, {root!r})
from tests.cluster.test_raft_journal import open_node, write
import pysyncobj.serializer as ps_serializer
import pysyncobj.syncobj as syncobj
machine, kv = open_node(sys.argv[1], sys.argv[2])
for i in range(60):
    write(kv, b"k%03d" % i)
replace = ps_serializer.atomicReplace
raft_log = machine._SyncObj__raftLog
def crash_after(src, dst):
    # The snapshot covers the applied entries; a leader (or follower) also holds entries
    # appended and not yet applied. Stand one in, as the leader's next entry would be.
    last = raft_log[-1]
    raft_log.add(bytes([syncobj._COMMAND_TYPE.NO_OP]), last[1] + 1, last[2])
    print("last", last[1] + 1, last[2], flush=True)
    replace(src, dst)
    os._exit(0)
ps_serializer.atomicReplace = crash_after
machine.forceLogCompaction()
time.sleep(30)
os._exit(3)
"""


def open_node(data_dir: str, addr: str) -> tuple[object, object]:
    from cluster.proposer import Proposer
    from cluster.raft_kv import RaftKv
    from cluster.state_machine import KvStateMachine, RaftOptions
    from kv.engine.lmdb import LmdbEngine

    machine = KvStateMachine(
        LmdbEngine(data_dir), addr, [addr], data_dir, RaftOptions(password="pw")
    )
    return machine, RaftKv(machine, Proposer(machine), retry_s=30)


def write(kv: object, key: bytes) -> None:
    from kv.mvcc.records import Mutation, Op

    start = kv.get_ts()  # type: ignore[attr-defined]
    kv.one_pc([Mutation(Op.PUT, key, b"v")], start)  # type: ignore[attr-defined]


def test_a_crash_between_snapshot_and_journal_trim_keeps_the_entries_after_it(
    tmp_path: Path,
) -> None:
    from tests.cluster.harness import free_ports

    addr = f"127.0.0.1:{free_ports(1)[0]}"
    data = tmp_path / "node"
    data.mkdir()
    script = textwrap.dedent(SNAPSHOT_CHILD.format(root=str(ROOT)))
    run = subprocess.run(
        [sys.executable, "-c", script, str(data), addr],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert (data / "raft.snapshot").exists()
    last = (int(run.stdout.split()[-2]), int(run.stdout.split()[-1]))
    machine, kv = open_node(str(data), addr)
    try:
        write(kv, b"after")  # served once the node has loaded its snapshot and leads
        assert kv.get(b"after", kv.get_ts()) == b"v"  # type: ignore[attr-defined]
        raft_log = machine._SyncObj__raftLog  # type: ignore[attr-defined]
        kept = {(e[1], e[2]) for e in raft_log}
        assert last in kept, "the journal lost the entries after the snapshot"
        assert machine.applied_index > last[0]  # type: ignore[attr-defined]
    finally:
        machine.close()  # type: ignore[attr-defined]
        machine.engine.close()  # type: ignore[attr-defined]


# A child swaps an installed snapshot's LMDB copy in (LmdbEngine.replace_with, as
# KvStateMachine._load_snapshot does), with os._exit(0) at step STEP (each unlink, rename,
# or sync counts).
INSTALL_CHILD = """
import os, sys
sys.path.insert(0, {root!r})
from kv.engine.base import WriteBatch
from kv.engine.lmdb import LmdbEngine
data, incoming, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
new = LmdbEngine(incoming + "-src")
batch = WriteBatch()
batch.put(b"which", b"new")
new.write_batch(batch)
new.copy_to(incoming, compact=True)
new.close()
engine = LmdbEngine(data)
count = [0]
def counted(fn):
    def run(*a, **k):
        count[0] += 1
        if count[0] == step:
            os._exit(0)
        return fn(*a, **k)
    return run
for name in ("unlink", "replace", "rename", "fsync"):
    setattr(os, name, counted(getattr(os, name)))
engine.replace_with(incoming)
print("done", flush=True)
"""


def test_a_crash_at_any_step_of_a_snapshot_install_leaves_the_old_or_the_new_store(
    tmp_path: Path,
) -> None:
    from kv.engine.base import WriteBatch
    from kv.engine.lmdb import LmdbEngine

    script = textwrap.dedent(INSTALL_CHILD.format(root=str(ROOT)))
    seen = set()
    for step in range(1, 20):
        data = tmp_path / f"data{step}"
        old = LmdbEngine(str(data))
        batch = WriteBatch()
        batch.put(b"which", b"old")
        old.write_batch(batch)
        old.close()
        run = subprocess.run(
            [sys.executable, "-c", script, str(data), str(tmp_path / f"in{step}"), str(step)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr
        engine = LmdbEngine(str(data))
        which = engine.get(b"which")
        engine.close()
        assert which in (b"old", b"new"), f"crash at step {step} left {which!r}"
        seen.add(which)
        if "done" in run.stdout:
            break
    assert seen == {b"old", b"new"}

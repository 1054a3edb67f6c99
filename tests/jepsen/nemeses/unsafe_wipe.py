"""A member that loses its data directory and is brought back the unsafe way, as an operator
who skips ``db9 cluster readmit`` might: the cluster must refuse it a vote until it is
readmitted (``cluster/raft_identity.py``).

The strike, on a live node W:

1. ``kill -9`` W and empty its data directory; half the time put its old ``identity.json``
   back (as if restored from a backup, to keep its name), else leave it empty. Start W.
   Refused: W comes back as a learner, under a new uuid.
2. Instead of ``readmit``: ``remove-node`` W and ``add-node`` it again. Refused: W is still a
   learner (the removal drops its record, not its role).
3. Once W has caught up, pause the leader: the one other voter can only be elected with W's
   vote. Refused: no node is elected while the leader is paused (W does not answer
   pre-votes and withholds votes). A node elected meanwhile names its voters in its log
   (``cluster.raft_votes``): elected with W's vote is ACCEPTED; elected by the paused
   leader's vote, cast before the pause (it had stepped down, or an election was under
   way), is "void": W held, but the step tested nothing.
4. The documented way: ``readmit`` W.

A strike runs to its end even when the run stops meanwhile (each step is bounded), so that
every strike has a verdict. Its line says what each step found: ``refused`` where the
cluster held, ``ACCEPTED`` where it did not (a wiped node that votes, or is taken for a
voter), ``failed`` where a step could not be carried out.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

from tests.cluster.harness import NodeProc, member_identity
from tests.jepsen.nemeses import membership, process
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run

ELECTED = re.compile(r"raft: elected leader of term (\d+) by ([^\n]+)")
STEP_S = 30.0  # how long a step may wait for the cluster to answer
VOTE_WINDOW_S = 4.0  # how long the leader stays paused in step 3


def _poll(ready: Callable[[], Any], timeout_s: float = STEP_S) -> Any:
    """``ready()`` once it returns something true, or its last answer after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = ready()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _leader_among(run: Run, nodes: list[NodeProc]) -> NodeProc | None:
    for n in nodes:
        if (run.cluster.status(n) or {}).get("state") == "leader":
            return n
    return None


def _field(status: dict[str, object] | None, which: str) -> int:
    """An integer field of a status answer (commit, applied, term); -1 if there is none."""
    value = (status or {}).get(which, -1)
    return int(value) if isinstance(value, int) else -1


def _index(run: Run, node: NodeProc, which: str) -> int:
    """The node's commit or applied index; -1 if it does not answer."""
    return _field(run.cluster.status(node), which)


def unsafe_wipe(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    why = membership.not_all_voters(run)
    if why:
        return f"unsafe-wipe: skipped, {why}"
    cluster, w = run.cluster, target
    restore = rng.random() < 0.5
    what = f"unsafe-wipe node{w.node_id}{' (leader)' if w is leader else ''}"
    what += ", identity restored" if restore else ", emptied"
    old = member_identity(w)
    saved = (w.data_dir / "identity.json").read_text()
    cluster.kill(w)
    for p in sorted(w.data_dir.rglob("*"), reverse=True):
        if p.name != "server.log":
            p.rmdir() if p.is_dir() else p.unlink()
    if restore:
        (w.data_dir / "identity.json").write_text(saved)
    cluster.start(w)

    # 1. Recognised as a member that lost its state (a fresh directory is, once the leader
    # has told it its address belongs to another uuid).
    last: list[Any] = [None]

    def recognised() -> bool:
        last[0] = member_identity(w) or last[0]
        return last[0] is not None and last[0].role != "new"

    _poll(recognised)
    r = last[0]
    if r is None:
        return what + "; restart failed (it did not answer)"
    ok = r.role == "learner" and (old is None or r.node_uuid != old.node_uuid)
    what += f"; restart {'refused' if ok else 'ACCEPTED'} ({r.role})"
    if not ok:
        run.nemesis_anomalies.append(f"node{w.node_id} wiped and restarted as {r.role}")

    # 2. remove-node + add-node instead of readmit.
    others = [n for n in cluster.nodes if n is not w]
    lead = _poll(lambda: _leader_among(run, others))
    if lead is None:
        return what + "; remove+add failed (no leader)"
    note = membership.change_membership(run, lead, w, "remove")
    note += membership.change_membership(run, lead, w, "add")
    if note:
        return what + f"; remove+add failed{note}"
    r = member_identity(w)
    role = r.role if r is not None else "unknown"
    what += f"; remove+add {'refused' if role == 'learner' else 'ACCEPTED'} ({role})"
    if role != "learner":
        run.nemesis_anomalies.append(f"node{w.node_id} wiped, removed and added: {role}")

    # 3. The one other voter needs W's vote while the leader is paused. W first catches up
    # (so it is connected, and its log is as long as the voter's).
    lead = _poll(lambda: _leader_among(run, others))
    if lead is None:
        return what + "; vote test failed (no leader)"
    status = run.cluster.status(lead)
    commit, term = _field(status, "commit"), _field(status, "term")
    if commit < 0 or term < 0:
        return what + "; vote test failed (the leader did not answer)"
    if not _poll(lambda: _index(run, w, "applied") >= commit):
        return what + "; vote test failed (it did not catch up)"
    voter = next(n for n in others if n is not lead)
    before = r.votes_withheld if r is not None else 0
    cluster.pause(lead)
    try:
        # The voter's election timer fires within the maximum election timeout (1 s), and a
        # pre-vote round and an election take one timeout each: a vote would elect it well
        # within VOTE_WINDOW_S. Nothing announces a refusal (a learner does not answer
        # pre-votes at all), so the window is watched to its end.
        elected = _poll(lambda: _leader_among(run, [voter, w]), timeout_s=VOTE_WINDOW_S)
        r = member_identity(w)
    finally:
        cluster.resume(lead)
    withheld = (r.votes_withheld if r is not None else before) - before
    if elected is not None:
        by = _voters(elected, after_term=term)
        names = {n.raft_addr: f"node{n.node_id}" for n in cluster.nodes}
        seen = "" if by is None else f" by {', '.join(sorted(names.get(a, a) for a in by))}"
        if by is not None and w.raft_addr not in by:
            # Elected without W: the paused leader had voted before it stopped (it stepped
            # down first, or the pause came during an election). W held; nothing was tested.
            what += f"; vote test void (node{elected.node_id} elected{seen})"
        else:
            what += f"; vote ACCEPTED (node{elected.node_id} elected{seen})"
            run.nemesis_anomalies.append(
                f"node{elected.node_id} elected with the vote of wiped node{w.node_id}"
            )
    else:
        what += f"; vote refused ({VOTE_WINDOW_S:.0f} s, {withheld} withheld)"

    # 4. The documented way back.
    return what + _readmit(run, w)


def _voters(node: NodeProc, after_term: int) -> set[str] | None:
    """The Raft addresses whose votes elected ``node`` in its last election of a term above
    ``after_term``, from its log (``cluster.raft_votes``); None if it logged none."""
    try:
        text = (node.data_dir / "server.log").read_text(errors="replace")
    except OSError:
        return None
    found = [(int(t), by) for t, by in ELECTED.findall(text) if int(t) > after_term]
    return set(found[-1][1].split(", ")) if found else None


def _readmit(run: Run, node: NodeProc) -> str:
    return membership.readmit(run, node) or "; readmitted"


def heal(run: Run) -> None:
    """Every node running, every member in the configuration, every learner readmitted."""
    process.heal(run)
    membership.heal_membership(run)
    for node in run.cluster.nodes:
        deadline = time.monotonic() + STEP_S
        while (r := member_identity(node)) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if r is not None and r.role == "learner":
            note = _readmit(run, node)
            if "failed" in note:
                raise RuntimeError(f"could not readmit node{node.node_id}{note}")


NEMESES = [Nemesis("unsafe-wipe", unsafe_wipe, heal=heal)]

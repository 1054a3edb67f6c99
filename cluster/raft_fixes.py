"""Corrections to pysyncobj 0.3.17, applied once when ``cluster`` modules import this.

1. Append-entries truncation. The library's handler deletes every entry after
   ``prevLogIdx`` whenever the follower holds more, before appending. Raft deletes only
   from the first entry whose term differs from the leader's. A delayed or repeated
   message could therefore remove entries this follower had already acknowledged (and
   that may have counted towards a commit). The wrapper below rewrites each incoming
   append-entries message so that the library's own code does the right thing: entries
   the follower already holds with the same term are dropped from the message, and a
   message that brings nothing new is answered without touching the log. The commit
   index taken from the message is capped at the last entry the message covers, as Raft
   requires (the follower's tail past it may be a stale term's).
2. Durability and disk space: the journal, snapshot files and disk-full behaviour are
   ``cluster.raft_journal``'s (a journal that reserves space and syncs each append,
   crash-atomic compaction and snapshots).
   When the log is compacted for members catching up is ``cluster.raft_catchup``'s.
3. The wire format (AES-GCM instead of Fernet, pickle protocol 5, zlib only for big messages) is
   ``cluster.raft_transport``'s: the library's cost a loopback leader most of its CPU.
4. A follower replaying the removal of the node that now leads it keeps its link to that
   leader (``cluster.raft_membership``): the library dropped it and the member was cut off.
5. Votes cast and elections won are logged with the voters' names (``cluster.raft_votes``,
   installed first: it must see exactly the messages the library's own handler sees).

The library version is pinned in pyproject.toml; ``apply()`` refuses another version
rather than patch code it has not been checked against.
"""

from __future__ import annotations

from typing import Any

import pysyncobj.syncobj as syncobj
from pysyncobj.version import VERSION

from cluster import (
    lease,
    raft_catchup,
    raft_identity,
    raft_journal,
    raft_membership,
    raft_prevote,
    raft_transport,
    raft_votes,
)

CHECKED_VERSION = "0.3.17"
_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    if VERSION != CHECKED_VERSION:
        raise RuntimeError(
            f"cluster.raft_fixes was checked against pysyncobj {CHECKED_VERSION}, found {VERSION}"
        )
    raft_votes.apply()
    _patch_append_entries()
    raft_journal.apply()
    raft_catchup.apply()
    raft_membership.apply()
    raft_transport.apply()
    raft_identity.apply()
    raft_prevote.apply()
    lease.apply()  # after raft_prevote: its pings bypass the pre-vote handler
    _applied = True


# -- 1. append entries ----------------------------------------------------------------------


def _patch_append_entries() -> None:
    original = syncobj.SyncObj._SyncObj__onMessageReceived

    def on_message(self: Any, node: Any, message: dict[str, Any]) -> None:
        ack = None
        if (
            message.get("type") == "append_entries"
            and "prevLogIdx" in message
            and "transmission" not in message
            and message["term"] >= self.raftCurrentTerm
        ):
            message, ack = _trim(self, message)
        original(self, node, message)
        if ack is not None:
            self._SyncObj__sendNextNodeIdx(node, nextNodeIdx=ack, success=True)

    syncobj.SyncObj._SyncObj__onMessageReceived = on_message


def _trim(self: Any, message: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The message to hand to the library, and the next index to acknowledge ourselves
    when the message is reduced to a heartbeat (None: the library acknowledges)."""
    prev_idx, prev_term = message["prevLogIdx"], message["prevLogTerm"]
    entries = list(message.get("entries", []))
    get_entries = self._SyncObj__getEntries
    prev = get_entries(prev_idx, 1)
    if not prev or prev[0][2] != prev_term:
        return message, None  # the library rejects it and asks for earlier entries
    last_covered = entries[-1][1] if entries else prev_idx
    message = dict(message)
    message["commit_index"] = min(message["commit_index"], last_covered)
    last_own = self._SyncObj__getCurrentLogIndex()
    for i, entry in enumerate(entries):
        idx, term = entry[1], entry[2]
        if idx > last_own:
            first_new = i
            break
        own = get_entries(idx, 1)
        if not own or own[0][2] != term:
            first_new = i  # a conflict: the library truncates from here, as Raft does
            break
    else:
        if last_own == prev_idx and not entries:
            return message, None  # an ordinary heartbeat; nothing to change
        # Everything in the message is already here: keep the log (and its tail) as it is.
        heartbeat = {
            k: v for k, v in message.items() if k not in ("prevLogIdx", "prevLogTerm", "entries")
        }
        return heartbeat, last_covered + 1
    if first_new > 0:
        base = entries[first_new - 1]
        message["prevLogIdx"], message["prevLogTerm"] = base[1], base[2]
        message["entries"] = entries[first_new:]
    return message, None

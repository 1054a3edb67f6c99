"""LISTEN, UNLISTEN and NOTIFY as one session sees them (PostgreSQL's async.c): what its
transaction has asked for, applied when that transaction commits.

``SessionNotify`` keeps the transaction's LISTEN/UNLISTEN actions and its notifications (an
identical channel and payload sent twice in one transaction is sent once, at its first
place), drops them at ROLLBACK (a subtransaction's at ROLLBACK TO), and at COMMIT applies the
actions to the session's ``Listener`` and publishes the notifications through the database's
``Hub`` (sql.notify_hub), inside the hub's commit lock so that listeners receive transactions
in commit order.
"""

from __future__ import annotations

from kv.client import Transaction
from sql.errors import InvalidParameterValue, SyntaxError_
from sql.notify_hub import Hub, Listener, Notification

NAMEDATALEN = 64  # a channel name is an identifier: at most 63 bytes
PAYLOAD_MAX = 8000  # NOTIFY_PAYLOAD_MAX_LENGTH: BLCKSZ - NAMEDATALEN - 128


def check_notification(channel: str | None, payload: str | None) -> tuple[str, str]:
    """pg_notify's checks (Async_Notify): the channel and payload as queued."""
    if not channel:
        raise InvalidParameterValue("channel name cannot be empty")
    if len(channel.encode()) >= NAMEDATALEN:
        raise InvalidParameterValue("channel name too long")
    payload = payload or ""
    if len(payload.encode()) >= PAYLOAD_MAX:
        raise InvalidParameterValue("payload string too long")
    return channel, payload


class SessionNotify:
    """One session's LISTEN/NOTIFY state: see the module docstring."""

    def __init__(self, hub: Hub, pid: int) -> None:
        self.hub = hub
        self.listener = Listener(pid)
        self._listening: list[str] = []  # the listener's channels, in the order of LISTEN
        # The transaction's LISTEN (channel), UNLISTEN (channel) and UNLISTEN * (None).
        self._actions: list[tuple[bool, str | None]] = []
        self._notes: dict[tuple[str, str], None] = {}  # an ordered set
        self._marks: list[tuple[int, dict[tuple[str, str], None]]] = []  # per savepoint

    @property
    def pid(self) -> int:
        return self.listener.pid

    @pid.setter
    def pid(self, pid: int) -> None:
        self.listener.pid = pid

    @property
    def pending(self) -> bool:
        return bool(self._actions or self._notes)

    def channels(self) -> list[str]:
        """pg_listening_channels(): the channels of committed LISTENs."""
        return list(self._listening)

    # -- what statements ask for ---------------------------------------------------------------

    def listen(self, channel: str) -> None:
        self._actions.append((True, channel))

    def unlisten(self, channel: str | None) -> None:
        """UNLISTEN ``channel``; None: UNLISTEN *."""
        self._actions.append((False, channel))

    def notify(self, channel: str | None, payload: str | None) -> None:
        self._notes[check_notification(channel, payload)] = None

    # -- transaction boundaries ----------------------------------------------------------------

    def savepoint(self) -> None:
        self._marks.append((len(self._actions), dict(self._notes)))

    def rollback_to(self, depth: int) -> None:
        """ROLLBACK TO the ``depth``-th savepoint (1-based), which stays."""
        actions, notes = self._marks[depth - 1]
        del self._marks[depth:]
        del self._actions[actions:]
        self._notes = dict(notes)

    def release(self, depth: int) -> None:
        del self._marks[depth - 1 :]

    def abort(self) -> None:
        self._actions.clear()
        self._notes.clear()
        self._marks.clear()

    def commit(self, txn: Transaction) -> int:
        """Commit ``txn``; then apply its LISTEN/UNLISTEN and publish its notifications, in
        commit order. Returns the commit timestamp."""
        if not self.pending:
            return txn.commit()
        try:
            with self.hub.committing():
                commit_ts = txn.commit()
                if self._actions:
                    self._apply()
                if self._notes:
                    pid = self.listener.pid
                    notes = [Notification(pid, c, p) for c, p in self._notes]
                    self.hub.publish(notes)
                return commit_ts
        finally:
            self.abort()

    def _apply(self) -> None:
        """The committed transaction's LISTEN and UNLISTEN, in order (Exec_ListenCommit)."""
        channels = self._listening
        for on, channel in self._actions:
            if channel is None:
                channels.clear()
            elif on and channel not in channels:
                channels.append(channel)
            elif not on and channel in channels:
                channels.remove(channel)
        self.hub.listen(self.listener, frozenset(channels))

    def close(self) -> None:
        """The session ends: it listens no more."""
        self.abort()
        self._listening.clear()
        if self.listener.channels:
            self.hub.listen(self.listener, frozenset())


def parse(kind: str, words: list[tuple[str, bool]]) -> tuple[str | None, str | None]:
    """LISTEN channel / UNLISTEN channel | * / NOTIFY channel [, 'payload'], from the
    statement's tokens after the command word as (text, is a string constant): the channel
    (None: UNLISTEN *) and the payload (None when not given)."""
    if not words:
        raise SyntaxError_("syntax error at end of input")
    (channel, string), rest = words[0], words[1:]
    if string or (channel == "*" and kind != "unlisten"):
        raise SyntaxError_(f'syntax error at or near "{_shown(words[0])}"')
    payload = None
    if kind == "notify" and rest:
        if rest[0][0] != "," or rest[0][1]:
            raise SyntaxError_(f'syntax error at or near "{_shown(rest[0])}"')
        if len(rest) < 2:
            raise SyntaxError_("syntax error at end of input")
        if not rest[1][1]:
            raise SyntaxError_(f'syntax error at or near "{_shown(rest[1])}"')
        payload, rest = rest[1][0], rest[2:]
    if rest:
        raise SyntaxError_(f'syntax error at or near "{_shown(rest[0])}"')
    return (None if channel == "*" else channel), payload


def _shown(word: tuple[str, bool]) -> str:
    text, string = word
    return "'" + text.replace("'", "''") + "'" if string else text

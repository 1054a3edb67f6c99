"""Raft's wire format (cluster.raft_transport): the AES-GCM encryptor, the framing on a real
pysyncobj connection pair, and members that share a password forming a cluster that one
with another password cannot join."""

from __future__ import annotations

import functools
import pickle
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pysyncobj.syncobj as syncobj
import pytest
from pysyncobj import SyncObj, SyncObjConf, replicated
from pysyncobj.poller import createPoller
from pysyncobj.tcp_connection import CONNECTION_STATE, TcpConnection

from cluster import raft_fixes, raft_transport
from cluster.raft_transport import AeadEncryptor
from tests.cluster.harness import free_ports

raft_fixes.apply()


# -- the encryptor ------------------------------------------------------------------------------


def test_a_token_opens_to_its_plaintext_on_every_member_with_the_password() -> None:
    sender, receiver = AeadEncryptor("pw"), AeadEncryptor(b"pw")
    for data in (b"", b"x", bytes(range(256)) * 400):
        token = sender.encrypt_at_time(data, 1234)
        assert receiver.extract_timestamp(token) == 1234
        assert receiver.decrypt(token) == data
        assert sender.decrypt(token) == data
    a, b = sender.encrypt_at_time(b"same", 1), sender.encrypt_at_time(b"same", 1)
    assert a != b, "a fresh nonce per message"


def _flip(token: bytes, i: int) -> bytes:
    return token[:i] + bytes([token[i] ^ 0x01]) + token[i + 1 :]


def test_a_flipped_bit_anywhere_in_a_token_is_refused() -> None:
    enc = AeadEncryptor("pw")
    token = enc.encrypt_at_time(b"append entries" * 10, 77)
    header = 1 + 8 + 16  # version, timestamp, sender key id
    nonce = header + 12
    places = {
        "version": 0,
        "timestamp": 8,
        "key id": header - 1,
        "nonce": nonce - 1,
        "ciphertext": nonce + 3,
        "tag": len(token) - 1,
    }
    for where, i in places.items():
        with pytest.raises(Exception):  # noqa: B017 (InvalidTag or InvalidToken)
            enc.decrypt(_flip(token, i))
            pytest.fail(f"a flipped bit in the {where} was accepted")
    for cut in (0, 10, nonce, len(token) - 1):
        with pytest.raises(Exception):  # noqa: B017
            enc.decrypt(token[:cut])
    assert enc.decrypt(token) == b"append entries" * 10


def test_the_timestamp_read_from_the_header_is_the_authenticated_one() -> None:
    enc = AeadEncryptor("pw")
    token = enc.encrypt_at_time(b"m", 5)
    forged = token[:1] + (10**6).to_bytes(8, "big") + token[9:]
    assert enc.extract_timestamp(forged) == 10**6  # read cheaply, in clear ...
    with pytest.raises(Exception):  # noqa: B017
        enc.decrypt(forged)  # ... and the message carrying it does not open


def test_a_token_sealed_with_another_password_is_refused() -> None:
    token = AeadEncryptor("pw").encrypt_at_time(b"m", 5)
    with pytest.raises(Exception):  # noqa: B017
        AeadEncryptor("other").decrypt(token)


def test_a_sender_takes_a_new_key_before_its_nonces_could_repeat(monkeypatch: Any) -> None:
    monkeypatch.setattr(raft_transport, "REKEY_AFTER", 3)
    sender, receiver = AeadEncryptor("pw"), AeadEncryptor("pw")
    tokens = [sender.encrypt_at_time(b"%d" % i, i) for i in range(7)]
    key_ids = {t[9:25] for t in tokens}
    assert len(key_ids) == 3
    assert [receiver.decrypt(t) for t in tokens] == [b"%d" % i for i in range(7)]


def test_pysyncobj_members_get_the_aead_encryptor() -> None:
    assert isinstance(syncobj.getEncryptor("pw"), AeadEncryptor)


# -- framing on a connection pair ---------------------------------------------------------------


@contextmanager
def _pair(
    send_password: str | None, recv_password: str | None
) -> Iterator[tuple[TcpConnection, TcpConnection, list[Any], Callable[[], None]]]:
    poller = createPoller("auto")
    a, b = socket.socketpair()
    for s in (a, b):
        s.setblocking(False)
    received: list[Any] = []
    sender = TcpConnection(poller, socket=a)
    receiver = TcpConnection(poller, socket=b, onMessageReceived=received.append)
    sender.encryptor = send_password and AeadEncryptor(send_password)
    receiver.encryptor = recv_password and AeadEncryptor(recv_password)

    def pump() -> None:
        for _ in range(50):
            poller.poll(0.01)

    try:
        yield sender, receiver, received, pump
    finally:
        sender.disconnect()
        receiver.disconnect()


def test_messages_cross_a_connection_pair_small_large_and_compressed(monkeypatch: Any) -> None:
    big = {"type": "append_entries", "entries": [(bytes(range(256)) * 4000, 7, 2)]}
    small = {"type": "append_entries", "term": 3}
    with _pair("pw", "pw") as (sender, receiver, received, pump):
        sender.send(small)
        sender.send(big)  # compressed: over COMPRESS_MIN_BYTES
        monkeypatch.setattr(raft_transport, "COMPRESS_LEVEL", 0)
        sender.send(big)  # not compressed: a receiver reads both forms
        sender.send("small")
        pump()
        assert received == [small, big, big, "small"]
        assert receiver.state == CONNECTION_STATE.CONNECTED


def test_only_a_message_too_big_for_one_socket_buffer_is_compressed() -> None:
    body = raft_transport.encode({"entries": [(b"x" * 100_000, 1, 1)]})
    assert body[:1] == raft_transport.RAW and body[1:3] == b"\x80\x05"  # pickle protocol 5
    assert raft_transport.decode(body) == {"entries": [(b"x" * 100_000, 1, 1)]}
    big = {"entries": [(b"x" * raft_transport.COMPRESS_MIN_BYTES, 1, 1)]}
    body = raft_transport.encode(big)
    assert body[:1] == raft_transport.ZLIB and len(body) < 10_000
    assert raft_transport.decode(body) == big


def test_a_message_from_a_member_with_another_password_drops_the_connection() -> None:
    with _pair("wrong", "pw") as (sender, receiver, received, pump):
        sender.send({"type": "request_vote", "term": 99})
        pump()
        assert received == []
        assert receiver.state == CONNECTION_STATE.DISCONNECTED


def test_an_unencrypted_pickle_sent_to_a_member_with_a_password_is_not_loaded() -> None:
    with _pair(None, "pw") as (sender, receiver, received, pump):
        sender.send({"type": "request_vote", "term": 99})
        pump()
        assert received == [] and receiver.state == CONNECTION_STATE.DISCONNECTED
    with _pair("pw", "pw") as (sender, receiver, received, pump):
        frame = pickle.dumps({"type": "request_vote"})  # the library's layout, unencrypted
        sender._TcpConnection__writeBuffer += len(frame).to_bytes(4, "little") + frame  # type: ignore[attr-defined]
        sender._TcpConnection__trySendBuffer()  # type: ignore[attr-defined]
        pump()
        assert received == [] and receiver.state == CONNECTION_STATE.DISCONNECTED


# -- real members -------------------------------------------------------------------------------


class _Counter(SyncObj):  # type: ignore[misc]
    def __init__(self, addr: str, peers: list[str], password: str) -> None:
        conf = SyncObjConf(password=password, appendEntriesUseBatch=False, connectionRetryTime=0.2)
        super().__init__(addr, peers, conf)
        self.value = 0

    @replicated  # type: ignore[untyped-decorator]
    def incr(self) -> int:
        self.value += 1
        return self.value


def test_members_with_the_password_replicate_and_one_with_another_is_kept_out() -> None:
    addrs = [f"127.0.0.1:{p}" for p in free_ports(3)]
    passwords = ["pw", "pw", "not-the-password"]
    nodes = [
        _Counter(a, [p for p in addrs if p != a], pw)
        for a, pw in zip(addrs, passwords, strict=True)
    ]
    try:
        good, outsider = nodes[:2], nodes[2]
        for _ in range(5):
            assert good[0].incr(sync=True, timeout=10) is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(n.value == 5 for n in good):
            time.sleep(0.05)
        assert [n.value for n in good] == [5, 5]
        assert outsider.value == 0 and outsider._getLeader() is None
        assert outsider.raftCommitIndex <= 1
    finally:
        for n in nodes:
            n.destroy()


# -- a backlog ----------------------------------------------------------------------------------


class _Backlog:
    """A socket whose receive side holds ``data`` (then EAGAIN) and whose send side takes
    at most ``per_send`` bytes a call."""

    def __init__(self, data: bytes = b"", per_send: int = 1 << 16) -> None:
        self.data, self.pos, self.per_send, self.sent = data, 0, per_send, 0

    def recv(self, n: int) -> bytes:
        if self.pos >= len(self.data):
            raise BlockingIOError(11, "EAGAIN")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def send(self, data: Any) -> int:
        n = min(len(data), self.per_send)
        self.sent += n
        return n

    def getsockopt(self, *args: Any) -> int:
        return 0


def _connection(sock: _Backlog) -> Any:
    conn = TcpConnection.__new__(TcpConnection)
    conn._TcpConnection__socket = sock
    conn._TcpConnection__readBuffer = b""  # as the library leaves it after (re)connecting
    conn._TcpConnection__writeBuffer = b""
    conn._TcpConnection__state = CONNECTION_STATE.CONNECTED
    conn._TcpConnection__lastReadTime = time.monotonic()
    conn._TcpConnection__timeout = 3600.0
    conn.encryptor = None
    conn.sendRandKey = conn.recvRandKey = None
    return conn


def _fastest(runs: int, fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()  # CPU: other processes on the machine do not count
        fn()
        best = min(best, time.thread_time() - started)
    return best


def test_a_backlog_costs_time_in_proportion_to_its_size() -> None:
    """A member far behind finds tens of MB waiting on its socket, and a leader queues as
    much for it. The library kept both buffers as ``bytes``: each 64 KB read appended to,
    and each message parsed or send made, copied the whole rest (a member replaying a tail
    spent all its time in ``_read``). Reading and parsing, or sending, a 64 MB backlog must
    cost no more than a few whole copies of it (a copy per message was hundreds: 10+ s).
    The reference is measured in the same run, so a slow or busy machine cannot flip it."""
    message = {"type": "append_entries", "entries": [(b"x" * 20_000, 1, 1)]}
    frame = (lambda body: raft_transport._LENGTH.pack(len(body)) + body)(
        raft_transport.encode(message)
    )

    def receive(mb: int) -> None:
        count = (mb << 20) // len(frame)
        conn = _connection(_Backlog(frame * count))
        while raft_transport._read(conn):  # as the library's __tryReadBuffer: all there is
            pass
        got = 0
        while raft_transport._parse_message(conn) is not None:
            got += 1
        assert got == count

    def send(mb: int) -> None:
        sock = _Backlog()
        conn = _connection(sock)
        conn._TcpConnection__trySendBuffer = lambda: None  # queued while the socket is full
        count = (mb << 20) // len(frame)
        for _ in range(count):
            raft_transport._send(conn, message)
        conn.__dict__.pop("_TcpConnection__trySendBuffer")
        conn._TcpConnection__trySendBuffer()
        assert sock.sent == count * len(frame)

    def copy(mb: int) -> None:  # the reference: eight whole copies of a backlog's size
        data = bytes(mb << 20)
        for _ in range(4):
            data = bytes(bytearray(data))

    reference = _fastest(3, functools.partial(copy, 64))
    for what, fn in (("receive", receive), ("send", send)):
        took = _fastest(3, functools.partial(fn, 64))
        print(f"{what}: 64 MB {took * 1000:.0f} ms, eight copies of it {reference * 1000:.0f} ms")
        assert took < 4 * reference, f"{what}: {took / reference:.1f}x eight copies"

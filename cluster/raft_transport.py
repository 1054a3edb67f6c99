"""Raft's wire format, made cheaper per message (pysyncobj 0.3.17's ``TcpConnection``).

The library frames each message as ``len | Fernet(zlib-3(pickle protocol 2))``, and the leader
pays the send side once per follower. On a loopback cluster the leader's tick thread is the
bottleneck, and that framing was much of its cost. CPU per append-entries of one command
(``python -m bench.raft_wire``, 2-core machine under other load, microseconds):

    payload          library send / receive   bytes    here send / receive   bytes
    small (140 B)         18.1 / 17.4           440          4.2 / 5.4          411
    100 KB of rows      2503   / 807          54840         12.8 / 11.9      108033
    100 KB random       7348   / 2591        188108         17.8 / 15.5      150376
    1 MB of rows       29547   / 8552        540132      12868   / 3741       393609

- Pickle protocol 5 (bytes travel as bytes; protocol 2 turns them into latin-1 text): dumps
  plus loads 7 -> 1.2 us small, 190 -> 3.4 us for 100 KB. ``pickle.loads`` reads any protocol.
- AES-256-GCM instead of Fernet (``AeadEncryptor``): 1.6 + 1.5 us small (Fernet 7.6 + 16.5:
  its ``extract_timestamp`` checks the HMAC too), 12 + 11 us for 100 KB (Fernet 156 + 477).
  The timestamp the library checks is in clear in the header and authenticated as associated
  data, so ``extract_timestamp`` is a header read and a forged one fails ``decrypt``.
- zlib, at level 1, only for messages of ``COMPRESS_MIN_BYTES`` or more; a one-byte marker
  says which. Below that it costs more than it saves: zlib-3 took 8.4 + 1.4 us to save 170
  bytes of a small message, 2.4 + 0.33 ms (level 1: 1.2 + 0.42) to shrink 100 KB of rows 3x,
  where encrypting all of it takes 12 us. What bytes do cost is wake-ups: a message bigger
  than the socket buffers crosses in several rounds of both tick threads, each a wait for
  the GIL. 3-node loopback cluster, transactions of 500 rows of 1 KB (~530 KB entries) per
  second: the library (64 KB buffers, zlib-3) 28-31; no zlib and 64 KB buffers 11-12; no zlib
  and the 208 KB buffers a stock kernel allows (``net.core.wmem_max``/``rmem_max``) 20; no
  zlib and 4 MB buffers 34; level 1 from 256 KB with 208 KB buffers 32-33, with 4 MB 32.
  Hence ``SOCKET_BUFFER_BYTES`` in the members' ``SyncObjConf`` (each ``recv`` still asks for
  ``READ_CHUNK``: a 1 MB ``recv`` costs 20 us more even for a small message) and zlib-1 for
  messages that may not fit one buffer. Single-key puts on the same cluster went from
  219-228/s to 244-311/s with 1 thread and from 714-821/s to 712-945/s with 16.

Both buffers of a connection are ``bytearray`` (``_growable``): the library's ``bytes``
made a backlog of n bytes cost O(n^2) to read, parse or send, 4 s for 32 MB, all of a
member's time while it replayed a long tail (``python -m pytest -s
tests/cluster/test_raft_transport.py -k backlog``: 32 MB now 57 ms to read and parse).

Every member must run this format (it is installed by ``cluster.raft_fixes.apply()`` in every
process that starts a member); a member with the library's own framing is dropped at its first
message, as one with the wrong password is.
"""

from __future__ import annotations

import errno
import functools
import os
import pickle
import socket
import struct
import threading
import zlib
from collections import OrderedDict
from typing import Any

import pysyncobj.pickle as ps_pickle
import pysyncobj.syncobj as syncobj
import pysyncobj.tcp_connection as tcp_connection
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pysyncobj.monotonic import monotonic

PICKLE_PROTOCOL = 5
COMPRESS_LEVEL = 1  # 0: never compress
COMPRESS_MIN_BYTES = 256 << 10  # smaller messages cross in one socket buffer: zlib only costs
SOCKET_BUFFER_BYTES = 4 << 20  # SO_SNDBUF / SO_RCVBUF asked for (the kernel may cap it)
READ_CHUNK = 64 << 10  # bytes per recv() call
RAW, ZLIB = b"\x00", b"\x01"  # the first byte of a message body

# -- encryption ---------------------------------------------------------------------------------

# A token: header (version, timestamp, sender key id) | nonce | ciphertext and tag; the header
# is the associated data. Each encryptor draws its own key id, and its messages are sealed with
# a key derived from the shared one and that id: random 96-bit nonces are then safe for 2^32
# messages per sender key (NIST SP 800-38D), and a sender takes a new id well before that.
VERSION = 1
_HEADER = struct.Struct(">BQ16s")
NONCE_BYTES = 12
_BODY = _HEADER.size + NONCE_BYTES
REKEY_AFTER = 1 << 30  # messages sealed under one sender key
KNOWN_SENDER_KEYS = 256  # sender keys a receiver keeps (only ones that opened a message)
PBKDF2_ITERATIONS = 100_000
SALT = b"db9 raft transport v1"  # not pysyncobj's salt: this key is not the Fernet one


class InvalidToken(Exception):
    """A message that is not a token of this format (short, or another version)."""


@functools.lru_cache(maxsize=8)
def _master_key(password: bytes) -> bytes:
    """The key every member derives from the shared password (once per process)."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=SALT, iterations=PBKDF2_ITERATIONS)
    return kdf.derive(password)


class AeadEncryptor:
    """The three methods pysyncobj calls on its encryptor, with AES-256-GCM."""

    def __init__(self, password: str | bytes) -> None:
        if isinstance(password, str):
            password = password.encode()
        self._master = _master_key(password)
        self._lock = threading.Lock()  # sender-key rotation and the receiver's cache
        self._received: OrderedDict[bytes, AESGCM] = OrderedDict()
        self._new_sender_key()

    def _new_sender_key(self) -> None:
        self._key_id = os.urandom(16)
        self._aead = self._sender_aead(self._key_id)
        self._sealed = 0

    def _sender_aead(self, key_id: bytes) -> AESGCM:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SALT + key_id)
        return AESGCM(hkdf.derive(self._master))

    def encrypt_at_time(self, data: bytes, current_time: int) -> bytes:
        with self._lock:
            if self._sealed >= REKEY_AFTER:
                self._new_sender_key()
            self._sealed += 1
            key_id, aead = self._key_id, self._aead
        header = _HEADER.pack(VERSION, current_time, key_id)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + aead.encrypt(nonce, data, header)

    def extract_timestamp(self, token: bytes) -> int:
        """The timestamp in the header; ``decrypt`` is what proves it genuine."""
        return self._header(token)[1]

    def decrypt(self, token: bytes) -> bytes:
        """The plaintext; raises on a token that was not sealed with this password, or was
        altered anywhere (header, nonce, ciphertext, tag)."""
        _, _, key_id = self._header(token)
        view = memoryview(token)
        header, nonce = view[: _HEADER.size], view[_HEADER.size : _BODY]
        with self._lock:
            aead = self._received.get(key_id)
        if aead is not None:
            return aead.decrypt(nonce, view[_BODY:], header)
        aead = self._sender_aead(key_id)
        plain = aead.decrypt(nonce, view[_BODY:], header)
        with self._lock:  # cached only once it has opened a message: forged ids cannot fill it
            self._received[key_id] = aead
            while len(self._received) > KNOWN_SENDER_KEYS:
                self._received.popitem(last=False)
        return plain

    @staticmethod
    def _header(token: bytes) -> tuple[int, int, bytes]:
        if len(token) < _BODY + 16:
            raise InvalidToken("too short")
        version, timestamp, key_id = _HEADER.unpack_from(token)
        if version != VERSION:
            raise InvalidToken(f"version {version}")
        return version, timestamp, key_id


# -- framing ------------------------------------------------------------------------------------


def encode(message: Any) -> bytes:
    """A message's body, before encryption: a marker byte, then the pickle (maybe zlib'd)."""
    data = pickle.dumps(message, PICKLE_PROTOCOL)
    if COMPRESS_LEVEL and len(data) >= COMPRESS_MIN_BYTES:
        return ZLIB + zlib.compress(data, COMPRESS_LEVEL)
    return RAW + data


def decode(body: bytes) -> Any:
    marker, data = body[:1], memoryview(body)[1:]
    if marker == RAW:
        return pickle.loads(data)
    if marker == ZLIB:
        return pickle.loads(zlib.decompress(data))
    raise ValueError(f"unknown message marker {marker!r}")


_LENGTH = struct.Struct("i")  # the library's frame length (native int)


def _send(self: Any, message: Any) -> None:
    """``TcpConnection.send``: the library's, with ``encode`` for ``zlib(pickle)``."""
    if self.sendRandKey:
        message = (self.sendRandKey, message)
    data = encode(message)
    if self.encryptor:
        data = self.encryptor.encrypt_at_time(data, int(monotonic()))
    buffer = _growable(self, "_TcpConnection__writeBuffer")
    buffer += _LENGTH.pack(len(data))
    buffer += data
    self._TcpConnection__trySendBuffer()


def _growable(conn: Any, name: str) -> bytearray:
    """A connection's read or write buffer as a ``bytearray`` (the library resets them to
    ``bytes`` on every (re)connect). Appending to ``bytes`` and slicing what was consumed
    off its front copied the whole rest each time: a backlog of n bytes cost O(n^2), 4 s
    for 32 MB, all of a member's time while it replayed a long tail."""
    buffer = getattr(conn, name)
    if not isinstance(buffer, bytearray):
        buffer = bytearray(buffer)
        setattr(conn, name, buffer)
    return buffer


def _process_send(self: Any) -> bool:
    """``TcpConnection.__processSend``: the library's, dropping what was sent from the
    front of the buffer in place (``bytearray`` does that without copying the rest)."""
    buffer = _growable(self, "_TcpConnection__writeBuffer")
    if not buffer:
        return False
    try:
        sent = self._TcpConnection__socket.send(buffer)
    except OSError as e:
        if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            self.disconnect()
        return False
    if sent < 0:
        self.disconnect()
        return False
    if sent == 0:
        return False
    del buffer[:sent]
    return True


def _parse_message(self: Any) -> Any:
    """``TcpConnection.__processParseMessage``: the library's, with ``decode``. Anything
    wrong with a message (tampered, another password, a stale timestamp, not ours) drops
    the connection, as the library does."""
    buffer = _growable(self, "_TcpConnection__readBuffer")
    if len(buffer) < 4:
        return None
    length = _LENGTH.unpack_from(buffer)[0]
    if len(buffer) - 4 < length:
        return None
    data = bytes(buffer[4 : 4 + length])
    try:
        if self.encryptor:
            timestamp = self.encryptor.extract_timestamp(data)
            if timestamp < self.recvLastTimestamp:
                raise InvalidToken("timestamp went back")
            self.recvLastTimestamp = timestamp
            data = self.encryptor.decrypt(data)
        message = decode(data)
        if self.recvRandKey:
            rand_key, message = message
            if rand_key != self.recvRandKey:
                raise InvalidToken("not this connection's key")
    except Exception:
        self.disconnect()
        return None
    del buffer[: 4 + length]
    return message


def _read(self: Any) -> bool:
    """``TcpConnection.__processRead``: the library's, reading at most ``READ_CHUNK`` per call
    whatever the socket's receive buffer is."""
    sock = self._TcpConnection__socket
    try:
        incoming = sock.recv(READ_CHUNK)
    except OSError as e:
        if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            self.disconnect()
        return False
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) or not incoming:
        self.disconnect()
        return False
    buffer = _growable(self, "_TcpConnection__readBuffer")
    buffer += incoming
    return True


def apply() -> None:
    """Install the framing and the encryptor into pysyncobj (called once, by raft_fixes)."""
    tcp_connection.TcpConnection.send = _send
    tcp_connection.TcpConnection._TcpConnection__processParseMessage = _parse_message
    tcp_connection.TcpConnection._TcpConnection__processRead = _read
    tcp_connection.TcpConnection._TcpConnection__processSend = _process_send
    syncobj.getEncryptor = AeadEncryptor
    # The commands themselves (``@replicated`` pickles its call at the library's protocol 2,
    # which turns a batch's bytes into latin-1 text: 190 us per 100 KB on the leader and
    # again at every apply, 1.5x the journal bytes); entries of either protocol load.
    setattr(ps_pickle, "__protocol", PICKLE_PROTOCOL)

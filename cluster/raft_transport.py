"""Raft's wire format, made cheaper per message (pysyncobj 0.3.17's ``TcpConnection``).

The library frames each message as ``len | Fernet(zlib-3(pickle protocol 2))``. On a loopback
cluster the leader's tick thread is the bottleneck, and that framing was much of its cost; the
leader pays the send side once per follower. CPU per append-entries of one command
(``python -m bench.raft_wire``, 2-core machine under other load, microseconds):

    payload          library send / receive   bytes    here send / receive   bytes
    small (140 B)         18.1 / 17.4           440          4.2 / 5.4          411
    100 KB of rows      2503   / 807          54840         12.8 / 11.9      108033
    100 KB random       7348   / 2591        188108         17.8 / 15.5      150376
    1 MB of rows       24202   / 6624        540132        139   / 91       1077696

What changed, each measured alone:

- Pickle protocol 5 (bytes travel as bytes; protocol 2 turns them into latin-1 text): dumps
  plus loads 7 -> 1.2 us small, 190 -> 3.4 us for 100 KB. ``pickle.loads`` reads any protocol.
- No compression: a one-byte marker says whether the body is zlib. zlib cost more than it
  saved: level 3 is 8.4 + 1.4 us on a small message (1.6x), and 2.4 ms + 0.33 ms on 100 KB of
  rows (3.0x); level 1 is still 1.2 ms for 2.8x. Sending the 54 KB it saves takes the kernel
  far less on loopback, and 0.4 ms even on 1 Gbit/s. ``COMPRESS_LEVEL`` turns it on, at that
  level, for messages of ``COMPRESS_MIN_BYTES`` or more (a slow link between members);
  receivers read both forms whatever it is set to.
- AES-256-GCM instead of Fernet (``AeadEncryptor``): 1.6 + 1.5 us small (Fernet 7.6 + 16.5,
  its ``extract_timestamp`` checks the HMAC too), 12 + 11 us for 100 KB (Fernet 156 + 477).
  The timestamp the library checks is in clear in the header and authenticated as associated
  data, so ``extract_timestamp`` is a header read and a forged one fails ``decrypt``.

Every member must run this format (it is installed by ``cluster.raft_fixes.apply()`` in every
process that starts a member); a member with the library's own framing is dropped at its first
message, as one with the wrong password is.
"""

from __future__ import annotations

import functools
import os
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from typing import Any

import pysyncobj.syncobj as syncobj
import pysyncobj.tcp_connection as tcp_connection
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pysyncobj.monotonic import monotonic

PICKLE_PROTOCOL = 5
COMPRESS_LEVEL = 0  # 0: never compress (see the module docstring for why)
COMPRESS_MIN_BYTES = 64 << 10
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
    self._TcpConnection__writeBuffer += _LENGTH.pack(len(data)) + data
    self._TcpConnection__trySendBuffer()


def _parse_message(self: Any) -> Any:
    """``TcpConnection.__processParseMessage``: the library's, with ``decode``. Anything
    wrong with a message (tampered, another password, a stale timestamp, not ours) drops
    the connection, as the library does."""
    buffer = self._TcpConnection__readBuffer
    if len(buffer) < 4:
        return None
    length = _LENGTH.unpack_from(buffer)[0]
    if len(buffer) - 4 < length:
        return None
    data = buffer[4 : 4 + length]
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
    self._TcpConnection__readBuffer = buffer[4 + length :]
    return message


def apply() -> None:
    """Install the framing and the encryptor into pysyncobj (called once, by raft_fixes)."""
    tcp_connection.TcpConnection.send = _send
    tcp_connection.TcpConnection._TcpConnection__processParseMessage = _parse_message
    syncobj.getEncryptor = AeadEncryptor

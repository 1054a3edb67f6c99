"""Two denial-of-service attacks on a running pgwire server, and logins measured during them.

    python -m bench.dos --port 5433 --user tenant1.admin --password ... [--stalled 1000]
        [--partial 20] [--partial-bytes 40000000] [--source 127.0.0.2] [--logins 20]

- stalled SCRAM flood: sockets that send a startup packet (any user name; no credentials) and
  stop once the server asks for SCRAM, reconnecting when cut off;
- partial messages: logged-in sessions that send a message header announcing a large message,
  part of its body, and stop.

Meanwhile legitimate logins (and a ``SELECT 1``) run from the default source address; the
script prints how many succeeded and their latency. The raw-socket client here (``login``,
``stall_in_scram``, ``send_partial``) is also what tests/pgwire/test_dos.py drives.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass

from scramp import ScramClient

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
_I32 = struct.Struct("!i")


class Refused(ConnectionError):
    """The server answered the connection with an ErrorResponse before any login."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(f"{sqlstate}: {message}")
        self.sqlstate, self.message = sqlstate, message


def connect(
    host: str, port: int, source: str | None = None, timeout: float = 5.0, tls: bool = True
) -> socket.socket:
    """A TCP connection, from ``source`` (e.g. 127.0.0.2: any 127/8 address is loopback on
    Linux) when given; with ``tls`` (the server requires it by default) an SSLRequest and a
    TLS handshake first, as libpq's sslmode=require (no certificate check)."""
    sock = socket.create_connection(
        (host, port), timeout=timeout, source_address=(source, 0) if source else None
    )
    if not tls:
        return sock
    try:
        sock.sendall(_I32.pack(8) + _I32.pack(SSL_REQUEST))
        answer = _recv_exactly(sock, 1)
        if answer == b"E":  # refused before TLS (e.g. too many logins from this address)
            head = _recv_exactly(sock, 4)
            body = _recv_exactly(sock, _I32.unpack(head)[0] - 4) if len(head) == 4 else b""
            fields = error_fields(body)
            raise Refused(fields.get("C", "?"), fields.get("M", ""))
        if answer != b"S":
            raise ConnectionError("the server does not offer TLS")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context.wrap_socket(sock)
    except BaseException:
        sock.close()
        raise


def startup_packet(user: str, database: str = "postgres") -> bytes:
    body = _I32.pack(PROTOCOL_3) + f"user\0{user}\0database\0{database}\0\0".encode()
    return _I32.pack(len(body) + 4) + body


def message(kind: bytes, body: bytes) -> bytes:
    return kind + _I32.pack(len(body) + 4) + body


def read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    """One backend message; (b"", b"") at EOF or a reset."""
    head = _recv_exactly(sock, 5)
    if len(head) < 5:
        return b"", b""
    length = _I32.unpack_from(head, 1)[0]
    body = _recv_exactly(sock, length - 4)
    return head[:1], body


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        try:
            data = sock.recv(n - len(out))
        except ConnectionResetError:
            break
        if not data:
            break
        out += data
    return bytes(out)


def error_fields(body: bytes) -> dict[str, str]:
    """The fields of an ErrorResponse body by their one-letter codes (C: SQLSTATE, M: text)."""
    out = {}
    for part in body.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return out


@dataclass
class Outcome:
    """How a login ended: ``sqlstate`` "" and ``sock`` open on success."""

    sqlstate: str
    message: str = ""
    sock: socket.socket | None = None

    @property
    def ok(self) -> bool:
        return self.sqlstate == ""


def login(host: str, port: int, user: str, password: str, source: str | None = None,
          timeout: float = 5.0) -> Outcome:  # fmt: skip
    """A SCRAM-SHA-256 login (over TLS, see ``connect``); on success the socket is left open,
    ready for queries (the caller closes it)."""
    try:
        sock = connect(host, port, source, timeout)
    except Refused as exc:
        return Outcome(exc.sqlstate, exc.message)
    try:
        sock.sendall(startup_packet(user))
        client = ScramClient(["SCRAM-SHA-256"], user, password)
        while True:
            kind, body = read_message(sock)
            if kind == b"":
                sock.close()
                return Outcome("EOF", "connection closed by the server")
            if kind == b"E":
                sock.close()
                fields = error_fields(body)
                return Outcome(fields.get("C", "?"), fields.get("M", ""))
            if kind == b"Z":
                return Outcome("", sock=sock)
            if kind != b"R":
                continue
            code = _I32.unpack_from(body)[0]
            if code == 10:  # AuthenticationSASL
                first = client.get_client_first().encode()
                init = b"SCRAM-SHA-256\0" + _I32.pack(len(first)) + first
                sock.sendall(message(b"p", init))
            elif code == 11:  # AuthenticationSASLContinue
                client.set_server_first(body[4:].decode())
                sock.sendall(message(b"p", client.get_client_final().encode()))
    except BaseException:
        sock.close()
        raise


def stall_in_scram(host: str, port: int, user: str = "nobody.x", source: str | None = None,
                   timeout: float = 5.0) -> tuple[socket.socket, bytes]:  # fmt: skip
    """A connection that sends a startup packet and stops when asked for SCRAM; returns the
    socket and the server's first message kind (b"R": it waits for us, b"E": refused)."""
    try:
        sock = connect(host, port, source, timeout)
    except Refused:
        return socket.socket(), b"E"  # nothing held: a fresh, unconnected socket
    sock.sendall(startup_packet(user))
    kind, _ = read_message(sock)
    return sock, kind


def send_partial(sock: socket.socket, announced: int, sent: int) -> None:
    """Start a Query message of ``announced`` body bytes, send ``sent`` of them, and stop."""
    sock.sendall(b"Q" + _I32.pack(announced + 4))
    chunk = b"x" * (1 << 16)
    left = sent
    while left > 0:
        sock.sendall(chunk[: min(left, len(chunk))])
        left -= min(left, len(chunk))


def query_one(sock: socket.socket) -> bool:
    """``SELECT 1`` on a logged-in socket; True if it answered a row and ReadyForQuery."""
    sock.sendall(message(b"Q", b"SELECT 1\0"))
    row = False
    while True:
        kind, _ = read_message(sock)
        if kind in (b"", b"E"):
            return False
        row = row or kind == b"D"
        if kind == b"Z":
            return row


# -- the script ------------------------------------------------------------------------------


def _flood(args: argparse.Namespace, stop: threading.Event, stats: dict[str, int]) -> None:
    """Keep ``args.stalled`` sockets stalled in SCRAM, reconnecting those the server cuts."""
    held: list[socket.socket] = []
    while not stop.is_set():
        alive = []
        for sock in held:
            sock.setblocking(False)
            try:
                gone = sock.recv(1 << 12) == b""
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                sock.close()
                stats["cut"] += 1
            else:
                alive.append(sock)
        held = alive
        while len(held) < args.stalled and not stop.is_set():
            try:
                sock, kind = stall_in_scram(args.host, args.port, source=args.source)
            except OSError:
                stats["connect_failed"] += 1
                break
            if kind == b"R":
                held.append(sock)
                stats["stalled"] += 1
            else:
                sock.close()
                stats["refused"] += 1
                break  # the server refuses more: try again on the next round
        stats["held"] = len(held)
        stop.wait(0.2)
    for sock in held:
        sock.close()


def _partials(args: argparse.Namespace, stats: dict[str, int]) -> list[socket.socket]:
    held = []
    for _ in range(args.partial):
        out = login(args.host, args.port, args.user, args.password, source=args.source)
        if not out.ok or out.sock is None:
            stats["login_refused"] += 1
            continue
        try:
            send_partial(out.sock, args.partial_bytes, args.partial_bytes // 2)
            held.append(out.sock)
        except OSError:
            stats["cut"] += 1
            out.sock.close()
    return held


def _still_open(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server has not closed (nor sent a FATAL on)."""
    n = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            sock.recv(1 << 12)  # EOF, or the FATAL of an eviction
        except BlockingIOError:  # nothing to read: still held open
            n += 1
        except OSError:
            pass
    return n


def _measure(args: argparse.Namespace) -> tuple[int, list[float], dict[str, int]]:
    ok, took = 0, []
    errors: dict[str, int] = {}
    for _ in range(args.logins):
        started = time.monotonic()
        try:
            out = login(args.host, args.port, args.user, args.password, timeout=10)
        except OSError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            continue
        if out.ok and out.sock is not None and query_one(out.sock):
            ok += 1
            took.append(time.monotonic() - started)
        else:
            errors[out.sqlstate] = errors.get(out.sqlstate, 0) + 1
        if out.sock is not None:
            out.sock.close()
        time.sleep(args.interval)
    return ok, took, errors


def _report(name: str, ok: int, took: list[float], errors: dict[str, int], n: int) -> None:
    took.sort()
    p50 = took[len(took) // 2] * 1000 if took else float("nan")
    worst = took[-1] * 1000 if took else float("nan")
    print(f"{name}: legitimate logins {ok}/{n} ok, p50 {p50:.1f} ms, max {worst:.1f} ms, "
          f"failures {errors or 'none'}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dos", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5433)
    p.add_argument("--user", required=True, help="a real login, for the measured logins")
    p.add_argument("--password", required=True)
    p.add_argument("--stalled", type=int, default=1000, help="sockets stalled in SCRAM")
    p.add_argument("--partial", type=int, default=20, help="sessions left mid-message")
    p.add_argument("--partial-bytes", type=int, default=40_000_000)
    p.add_argument("--source", default="127.0.0.2", help="the attacker's source address")
    p.add_argument("--logins", type=int, default=20, help="legitimate logins measured per phase")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between them")
    p.add_argument("--watch", type=float, default=0.0,
                   help="seconds to wait for the partial sessions to be evicted")  # fmt: skip
    p.add_argument("--settle", type=float, default=2.0, help="seconds an attack runs first")
    args = p.parse_args(argv)

    try:
        _report("baseline", *_measure(args), args.logins)
    except OSError as exc:
        print(f"cannot reach {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    stats = {"stalled": 0, "refused": 0, "cut": 0, "held": 0, "connect_failed": 0}
    stop = threading.Event()
    flood = threading.Thread(target=_flood, args=(args, stop, stats), daemon=True)
    flood.start()
    time.sleep(args.settle)
    try:
        _report("during stalled-SCRAM flood", *_measure(args), args.logins)
    finally:
        stop.set()
        flood.join(30)
    print(f"  flood: {stats['stalled']} stalled logins opened, {stats['refused']} refused at "
          f"once, {stats['cut']} cut by the server, {stats['held']} held at the end")  # fmt: skip

    pstats = {"login_refused": 0, "cut": 0}
    held = _partials(args, pstats)
    time.sleep(args.settle)
    try:
        _report("during partial-message sessions", *_measure(args), args.logins)
        alive = _still_open(held)
        sent = args.partial_bytes // 2
        print(f"  partial: {len(held)} sessions left mid-message ({sent:,} of "
              f"{args.partial_bytes:,} bytes sent), {alive} still open, {pstats['cut']} cut "
              f"while sending, {pstats['login_refused']} logins refused")  # fmt: skip
        if args.watch > 0 and alive:
            started = time.monotonic()
            while (alive := _still_open(held)) and time.monotonic() - started < args.watch:
                time.sleep(0.2)
            print(f"  partial: {alive} still open {time.monotonic() - started:.1f} s later")
    finally:
        for sock in held:
            sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

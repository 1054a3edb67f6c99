"""TLS is required by default, and a node's local CA lets clients verify it (verify-full)."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from scramp import ScramClient

from pgwire.auth import (
    MECHANISM,
    MECHANISM_PLUS,
    AuthFailed,
    InvalidAuthorization,
    ScramExchange,
    StaticAuthenticator,
)
from pgwire.server import PgServer, PgServerConfig
from pgwire.tls import ensure_tls_files, server_names
from tests.pgwire.conftest import Running


def _sans(cert_path: str) -> list[str]:
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) for n in san]


def _plaintext_startup_reply(port: int) -> bytes:
    """The server's answer to a StartupMessage sent without SSLRequest."""
    body = struct.pack("!i", 196608) + b"user\x00tenant1.admin\x00database\x00postgres\x00\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    return reply


def test_plaintext_login_is_refused_with_28000_by_default(pg: Running) -> None:
    reply = _plaintext_startup_reply(pg.port)
    assert reply[:1] == b"E" and b"SFATAL\x00" in reply and b"C28000\x00" in reply
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(pg.dsn(sslmode="disable"))
    assert "requires TLS" in str(info.value)
    with psycopg.connect(pg.dsn(sslmode="prefer")) as conn:  # psycopg's default still works
        assert conn.pgconn.ssl_in_use


def test_plaintext_login_is_accepted_with_require_tls_off(plain_pg: Running) -> None:
    with psycopg.connect(plain_pg.dsn(sslmode="disable")) as conn:
        assert not conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchall() == [(1,)]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_verify_full_with_the_local_ca_connects(pg: Running, host: str) -> None:
    dsn = pg.dsn(sslmode="verify-full").replace("host=127.0.0.1", f"host={host}")
    with psycopg.connect(f"{dsn} sslrootcert={pg.ca}") as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchall() == [(1,)]


def test_verify_full_refuses_a_name_the_certificate_lacks(pg: Running) -> None:
    dsn = pg.dsn(sslmode="verify-full").replace("host=127.0.0.1", "host=db9.invalid")
    with pytest.raises(psycopg.OperationalError, match="does not match host name"):
        psycopg.connect(f"{dsn} hostaddr=127.0.0.1 sslrootcert={pg.ca}")


def test_server_certificate_names_loopback_the_hostname_and_the_listen_host(
    tmp_path: Path,
) -> None:
    ca, cert, _ = ensure_tls_files(str(tmp_path), "0.0.0.0", "db9.example.com", "10.0.0.7")
    names = _sans(cert)
    for name in ("localhost", "127.0.0.1", "::1", socket.gethostname().lower()):
        assert name in names
    assert "db9.example.com" in names and "10.0.0.7" in names
    assert "0.0.0.0" not in names  # a wildcard listen address is no name a client dials
    with open(ca, "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_new_names_reissue_the_server_certificate_but_keep_the_ca(tmp_path: Path) -> None:
    ca, cert, key = ensure_tls_files(str(tmp_path), "node1")
    ca_pem, cert_pem = Path(ca).read_bytes(), Path(cert).read_bytes()
    ensure_tls_files(str(tmp_path), "node1")
    assert Path(cert).read_bytes() == cert_pem  # nothing new: kept
    ensure_tls_files(str(tmp_path), "node1", "db9.example.com")
    assert Path(ca).read_bytes() == ca_pem  # clients' copies of ca.crt stay valid
    assert "db9.example.com" in _sans(cert)
    Path(key).unlink()  # e.g. a crash between the key and the certificate
    ensure_tls_files(str(tmp_path), "node1", "db9.example.com")
    assert Path(key).exists() and Path(cert).read_bytes() != cert_pem


def test_old_self_signed_certificate_is_replaced_by_a_ca_issued_one(tmp_path: Path) -> None:
    (tmp_path / "server.crt").write_bytes(b"not a certificate from this CA")
    (tmp_path / "server.key").write_bytes(b"")
    ca, cert, _ = ensure_tls_files(str(tmp_path))
    with open(ca, "rb") as f, open(cert, "rb") as g:
        issuer = x509.load_pem_x509_certificate(f.read())
        x509.load_pem_x509_certificate(g.read()).verify_directly_issued_by(issuer)


def test_server_names_leave_out_wildcards_and_duplicates() -> None:
    names = server_names("", "0.0.0.0", "::", "LOCALHOST", "node1", "node1")
    assert names.count("localhost") == 1 and names.count("node1") == 1
    assert not {"", "0.0.0.0", "::"} & set(names)


def test_requiring_tls_without_a_tls_context_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="require_tls"):
        PgServer(StaticAuthenticator(), PgServerConfig(port=0))


def test_channel_binding_require_logs_in_with_scram_sha_256_plus(pg: Running) -> None:
    """tls-server-end-point (RFC 5929): the proof covers the server certificate's hash, so a
    man in the middle holding another certificate cannot relay the login."""
    with psycopg.connect(f"{pg.dsn()} channel_binding=require") as conn:
        assert conn.execute("SELECT 1").fetchall() == [(1,)]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"{pg.dsn(password='wrong')} channel_binding=require")


def test_channel_binding_prefer_and_disable_still_log_in(pg: Running) -> None:
    for mode in ("prefer", "disable"):
        with psycopg.connect(f"{pg.dsn()} channel_binding={mode}") as conn:
            assert conn.execute("SELECT 1").fetchall() == [(1,)]


def test_channel_binding_require_fails_cleanly_without_tls(plain_pg: Running) -> None:
    with pytest.raises(psycopg.OperationalError, match="channel binding"):
        psycopg.connect(f"{plain_pg.dsn(sslmode='disable')} channel_binding=require")
    with psycopg.connect(plain_pg.dsn(sslmode="disable")) as conn:  # and serves on
        assert conn.execute("SELECT 1").fetchall() == [(1,)]


def _exchange(mechanism: str, end_point: bytes | None) -> ScramExchange:
    auth = StaticAuthenticator()
    exchange = ScramExchange(auth.add("t.admin", None, "pw"), bytes(16))
    exchange.use_mechanism(mechanism, end_point)
    return exchange


@pytest.mark.parametrize(
    ("mechanism", "end_point", "client_first", "error"),
    [
        (MECHANISM, b"hash", "p=tls-server-end-point,,n=,r=abc", "was not negotiated"),
        (MECHANISM_PLUS, b"hash", "n,,n=,r=abc", "without channel binding"),
        (MECHANISM_PLUS, b"hash", "p=tls-unique,,n=,r=abc", "type is not supported"),
        # the client could bind but saw no -PLUS: someone removed it from the offer
        (MECHANISM, b"hash", "y,,n=,r=abc", "negotiation error"),
    ],
)
def test_channel_binding_negotiation_errors_are_28000(
    mechanism: str, end_point: bytes, client_first: str, error: str
) -> None:
    with pytest.raises(InvalidAuthorization, match=error) as info:
        _exchange(mechanism, end_point).first(client_first)
    assert info.value.sqlstate == "28000"


def test_plus_is_not_accepted_without_tls() -> None:
    with pytest.raises(InvalidAuthorization, match="not supported"):
        _exchange(MECHANISM_PLUS, None)
    _exchange(MECHANISM, None).first("y,,n=,r=abc")  # "y" without TLS is fine


def _bound_login(client_binds_to: bytes, server_end_point: bytes) -> str:
    """A SCRAM-SHA-256-PLUS login as scramp's client runs it; the server's final message."""
    binding = ("tls-server-end-point", client_binds_to)
    client = ScramClient([MECHANISM_PLUS], "x", "pw", channel_binding=binding)
    exchange = _exchange(MECHANISM_PLUS, server_end_point)
    client.set_server_first(exchange.first(client.get_client_first()))
    final = exchange.final_message(client.get_client_final())
    client.set_server_final(final)  # the client checks the server's signature
    return final


def test_a_proof_bound_to_another_certificate_fails() -> None:
    """A relaying man in the middle: the client binds to the certificate it was shown."""
    assert _bound_login(b"the server's", b"the server's").startswith("v=")
    with pytest.raises(AuthFailed, match="channel binding mismatch"):
        _bound_login(b"the middle's", b"the server's")

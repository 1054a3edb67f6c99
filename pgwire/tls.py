"""TLS for pgwire: a node's local certificate authority, the server certificate it signs, and
the SSLContext served from them (made with the cryptography package).

A node keeps ``ca.crt``/``ca.key`` and ``server.crt``/``server.key`` in ``<data_dir>/tls``.
Clients verify the server with ``sslmode=verify-full sslrootcert=ca.crt``, so the server
certificate must name every host a client dials: ``ensure_server_cert`` issues it anew (at a
start) whenever it is missing, not signed by the CA, not matching its key, within 30 days of
expiry, or lacks one of the wanted names (a new hostname or ``--pg-host``); the CA itself is
kept, so a client's copy of ``ca.crt`` stays valid.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kv.durable_file import write_durably

_DAY = dt.timedelta(days=1)
# Apple's clients refuse server certificates valid for more than 825 days.
_SERVER_DAYS, _CA_DAYS = 825, 3650
_WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")
_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def server_names(*extra: str) -> list[str]:
    """The names a node's certificate carries: loopback, this machine's hostname (a Compose
    service's ``hostname:``), and ``extra`` (the listen and advertised hosts), wildcard
    listen addresses and duplicates left out."""
    wanted = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *extra]
    names: list[str] = []
    for name in wanted:
        name = name.strip().lower()
        if name not in _WILDCARD_ADDRESSES and name not in names:
            names.append(name)
    return names


def ensure_ca(ca_cert_path: str, ca_key_path: str, common_name: str = "db9 local CA") -> bool:
    """Make the CA's certificate and key unless both exist (each file durably: a crash between
    the two leaves one, and both are made anew at the next start). True if made now."""
    if os.path.exists(ca_cert_path) and os.path.exists(ca_key_path):
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + _CA_DAYS * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    write_durably(ca_key_path, _key_pem(key), 0o600)
    write_durably(ca_cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return True


def _load_cert(path: str) -> x509.Certificate | None:
    try:
        with open(path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError):
        return None


def _still_good(cert: x509.Certificate, ca: x509.Certificate, names: list[str]) -> bool:
    """``cert`` was signed by ``ca``, is valid for another 30 days, and names all of ``names``."""
    try:
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC) + 30 * _DAY:
        return False
    return all(_general_name(n) in san for n in names)


def ensure_server_cert(cert_path: str, key_path: str, ca_cert_path: str, ca_key_path: str,
                       names: Iterable[str]) -> bool:  # fmt: skip
    """Issue the server certificate from the CA unless a good one exists (see the module
    docstring). Key first, then certificate: after a crash between the two the certificate does
    not match the key, and both are issued anew at the next start. True if issued now."""
    names = list(names)
    with open(ca_cert_path, "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    existing = _load_cert(cert_path)
    if (
        existing is not None
        and _still_good(existing, ca, names)
        and _matches_key(existing, key_path)
    ):
        return False
    with open(ca_key_path, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(min(now + _SERVER_DAYS * _DAY, ca.not_valid_after_utc))
        .add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_durably(key_path, _key_pem(key), 0o600)
    write_durably(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return True


def _matches_key(cert: x509.Certificate, key_path: str) -> bool:
    try:
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
    except (OSError, ValueError, TypeError):
        return False
    return key.public_key() == cert.public_key()


def ensure_tls_files(tls_dir: str, *names: str) -> tuple[str, str, str]:
    """The CA and a server certificate for ``server_names(*names)`` in ``tls_dir``, made as
    needed; returns (ca.crt, server.crt, server.key) paths."""
    ca_cert, ca_key = os.path.join(tls_dir, "ca.crt"), os.path.join(tls_dir, "ca.key")
    cert, key = os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key")
    ensure_ca(ca_cert, ca_key)
    ensure_server_cert(cert, key, ca_cert, ca_key, server_names(*names))
    return ca_cert, cert, key


class ServerContext(ssl.SSLContext):
    """The server's SSLContext, carrying its certificate's ``tls-server-end-point`` channel
    binding data (RFC 5929) for SCRAM-SHA-256-PLUS."""

    end_point: bytes = b""


def tls_server_end_point(cert_pem: bytes) -> bytes:
    """The certificate's hash with its signature's hash function, SHA-256 in place of MD5 or
    SHA-1 (RFC 5929 section 4.1), as PostgreSQL computes it."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    algorithm = cert.signature_hash_algorithm
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(cert.public_bytes(serialization.Encoding.DER))
    return digest.finalize()


def server_context(cert_path: str, key_path: str) -> ServerContext:
    ctx = ServerContext(ssl.PROTOCOL_TLS_SERVER)  # what create_default_context(CLIENT_AUTH) makes
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    with open(cert_path, "rb") as f:
        ctx.end_point = tls_server_end_point(f.read())
    return ctx

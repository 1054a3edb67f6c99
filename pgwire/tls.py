"""TLS for pgwire: an SSLContext from certificate files, and a self-signed certificate for the
dev server's first start (made with the cryptography package)."""

from __future__ import annotations

import datetime as dt
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kv.durable_file import write_durably


def ensure_self_signed(cert_path: str, key_path: str, hostname: str = "localhost") -> None:
    """Write a self-signed certificate and key unless both files already exist (each file
    durably: a crash between the two leaves one, and both are made anew at the next start)."""
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(hostname), x509.DNSName("localhost")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    write_durably(key_path, key_pem, 0o600)
    write_durably(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def server_context(cert_path: str, key_path: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx

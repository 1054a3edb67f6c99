"""TLS from the node's side: required by default (flag and variable to turn it off), the
compose cluster runs with it required, and clients get the CA certificate (REST and CLI)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from control import cloud_cli
from control.api import build_app
from control.cli import main as db9_cli
from control.config import ServerConfig
from control.plane import ControlPlane
from control.server import main as server_main
from control.server import node_tls_files
from kv.client import TxnClient
from pgwire.tls import ensure_tls_files
from tests.kv.conftest import local_kv

ROOT = Path(__file__).resolve().parents[2]
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _require_tls(args: list[str], env: dict[str, str], tmp_path: Path) -> bool:
    """What ``db9-server <args>`` with ``env`` would do, without starting it."""
    params = server_main.make_context("db9-server", list(args)).params
    config = ServerConfig.from_env(env, require_tls=params["require_tls"], data_dir=str(tmp_path))
    return config.require_tls


def test_tls_is_required_unless_the_flag_or_variable_turns_it_off(tmp_path: Path) -> None:
    assert _require_tls([], {}, tmp_path)
    assert _require_tls(["--require-tls"], {}, tmp_path)
    assert not _require_tls(["--allow-plaintext"], {}, tmp_path)
    assert not _require_tls([], {"DB9_REQUIRE_TLS": "0"}, tmp_path)
    assert _require_tls(["--require-tls"], {"DB9_REQUIRE_TLS": "0"}, tmp_path)  # flag wins


def test_an_operator_certificate_needs_its_key() -> None:
    with pytest.raises(ValueError, match="tls_cert and tls_key"):
        ServerConfig(data_dir="/nonexistent", tls_cert="/etc/db9/server.crt")


def test_node_certificate_names_its_listen_advertised_and_extra_hosts(tmp_path: Path) -> None:
    config = ServerConfig(
        data_dir=str(tmp_path), pg_host="10.1.2.3", advertise_host="db.example.com",
        tls_names="lb.example.com, 10.9.9.9",
    )  # fmt: skip
    ca, cert, key = node_tls_files(config)
    assert (ca, cert, key) == tuple(str(tmp_path / "tls" / f) for f in
                                    ("ca.crt", "server.crt", "server.key"))  # fmt: skip
    names = {str(n.value) for n in _sans(cert)}
    assert {"10.1.2.3", "db.example.com", "lb.example.com", "10.9.9.9", "localhost"} <= names
    # an operator's certificate is used as it is
    own = ServerConfig(data_dir=str(tmp_path), tls_cert="/c.crt", tls_key="/c.key", tls_ca="/ca")
    assert node_tls_files(own) == ("/ca", "/c.crt", "/c.key")


def _sans(cert_path: str) -> list[Any]:
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def _compose_services() -> dict[str, tuple[str, list[str]]]:
    """Each compose service: its ``hostname`` and its command's arguments."""
    text = (ROOT / "deploy" / "compose.yml").read_text()
    services: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"^  (?=node\d+:)", text, flags=re.M)[1:]:
        name = block.split(":", 1)[0]
        hostname = re.search(r"^\s*hostname: (\S+)", block, re.M)
        command = re.search(r"^\s*command: \[(.*?)\]", block, re.M | re.S)
        assert hostname and command, block
        args = [a.strip('"') for a in re.findall(r'"[^"]*"|[^,\s]+', command.group(1))]
        services[name] = (hostname.group(1), args)
    return services


def test_compose_cluster_requires_tls_and_its_certificates_name_the_services(
    tmp_path: Path,
) -> None:
    text = (ROOT / "deploy" / "compose.yml").read_text()
    assert "DB9_REQUIRE_TLS" not in text
    services = _compose_services()
    assert sorted(services) == ["node1", "node2", "node3"]
    for name, (hostname, args) in services.items():
        assert _require_tls(args, {}, tmp_path), name
        # the certificate names the node's hostname: the service name others dial
        assert hostname == name


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    plane.bootstrap("admin-pw")
    ca, _, _ = ensure_tls_files(str(tmp_path / "tls"))
    return TestClient(build_app(plane, tls_ca=ca))


def test_api_gives_the_ca_certificate_to_anyone(api: TestClient, tmp_path: Path) -> None:
    r = api.get("/v1/tls/ca.crt")  # no token: a CA certificate is public
    assert r.status_code == 200
    assert r.text == (tmp_path / "tls" / "ca.crt").read_text()
    assert r.text.startswith("-----BEGIN CERTIFICATE-----")


def test_api_without_a_ca_answers_404_with_a_reason() -> None:
    kv = local_kv()
    plane = ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)
    r = TestClient(build_app(plane)).get("/v1/tls/ca.crt")
    assert r.status_code == 404 and "no CA certificate" in r.json()["error"]


def test_db9_ca_prints_or_writes_the_ca_certificate(
    api: TestClient, tmp_path: Path, monkeypatch: Any
) -> None:
    def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.pop("timeout", None)
        return api.request(method, url.removeprefix("http://127.0.0.1:8080"), **kwargs)

    monkeypatch.setattr(cloud_cli.httpx, "request", request)
    monkeypatch.setenv("DB9_API_URL", "http://127.0.0.1:8080")
    pem = (tmp_path / "tls" / "ca.crt").read_text()
    result = CliRunner().invoke(db9_cli, ["ca"])
    assert result.exit_code == 0 and result.output == pem, result.output
    out = tmp_path / "ca-copy.crt"
    result = CliRunner().invoke(db9_cli, ["ca", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text() == pem
    result = CliRunner().invoke(db9_cli, ["ca", "-o", str(tmp_path / "no" / "such" / "ca.crt")])
    assert result.exit_code == 1 and "cannot write" in result.output

"""The README's three-node cluster commands, run as written: ``db9 cluster up --nodes 3`` starts
three nodes that all serve SQL, and the commands it documents for another terminal (psql to a
node, ``db9 list`` with the shared API token, ``cluster status``, ``cluster check``) succeed.

The commands are parsed out of README.md, so a README change is tested too. Run as root they
run exactly as written, with the README's fixed ports, in a private network namespace (nothing
else listens there); elsewhere the documented port flags move the cluster to free ports and
the other commands' ports are rewritten to match.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.harness import ROOT

SECTION = "## A three-node cluster"


def readme_blocks() -> list[list[str]]:
    """The indented code blocks of the README's cluster section, before "One node by hand"."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    section = section.split("One node by hand", 1)[0]
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in section.splitlines():
        if line.startswith("    ") and line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_flags() -> tuple[list[str], dict[int, int]]:
    """Free ports for the documented flags, and how each README port moves with them."""
    for _ in range(200):
        base, pg, api = (random.randrange(20000, 60000) for _ in range(3))
        mapping = {}
        for n in (1, 2, 3):
            mapping |= {7000 + n: base + n, 7100 + n: base + 100 + n, 5432 + n: pg + n,
                        8079 + n: api + n}  # fmt: skip
        if len(set(mapping.values())) == 12 and all(_free(p) for p in mapping.values()):
            flags = ["--base-port", str(base), "--pg-base-port", str(pg),
                     "--api-base-port", str(api)]  # fmt: skip
            return flags, mapping
    pytest.skip("no free port ranges")


def _rewrite(line: str, mapping: dict[int, int]) -> str:
    return re.sub(r":(\d{4})\b", lambda m: f":{mapping.get(int(m.group(1)), m.group(1))}", line)


class Place:
    """Where the commands run: a private network namespace (root), or the host."""

    def __init__(self, use_netns: bool) -> None:
        self.ns = f"db9readme{os.getpid()}" if use_netns else None
        if self.ns:
            subprocess.run(["ip", "netns", "add", self.ns], check=True)
            subprocess.run(["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"],
                           check=True)  # fmt: skip

    def argv(self, line: str) -> list[str]:
        shell = ["bash", "-c", line]
        return ["ip", "netns", "exec", self.ns, *shell] if self.ns else shell

    def close(self) -> None:
        if not self.ns:
            return
        pids = subprocess.run(["ip", "netns", "pids", self.ns], capture_output=True, text=True)
        for pid in pids.stdout.split():
            with contextlib.suppress(OSError):  # started by this test, inside its namespace
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.ns], check=False)


@pytest.fixture
def place() -> Iterator[Place]:
    use = os.geteuid() == 0 and shutil.which("ip") is not None
    p = Place(use and subprocess.run(["ip", "netns", "list"], capture_output=True).returncode == 0)
    try:
        yield p
    finally:
        p.close()


def test_readme_cluster_commands_work_as_written(tmp_path: Path, place: Place) -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 2, blocks
    (up_line,) = blocks[0]
    assert "cluster up --nodes 3" in up_line
    commands = blocks[1]
    mapping: dict[int, int] = {}
    if place.ns is None:
        flags, mapping = _port_flags()
        up_line = up_line + " " + " ".join(flags)
        commands = [_rewrite(c, mapping) for c in commands]

    (tmp_path / ".venv").symlink_to(ROOT / ".venv")  # the README's paths are relative to a checkout
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB9_")}  # a newcomer's shell
    up = subprocess.Popen(place.argv(up_line), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)  # fmt: skip
    out: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert up.stdout is not None
        for line in up.stdout:
            out.append(line)
            if line.startswith("Ctrl-C stops the cluster"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.5):
            logs = "".join(
                f"--- node{n}:\n" + (p.read_text()[-1500:] if p.exists() else "(no log)")
                for n in (1, 2, 3)
                for p in [tmp_path / ".db9-cluster" / f"node{n}" / "server.log"]
            )
            assert up.poll() is None, f"cluster up exited:\n{''.join(out)}\n{logs}"
            assert time.monotonic() < deadline, f"cluster up never ready:\n{''.join(out)}\n{logs}"
        printed = "".join(out)
        # It prints how to connect to each node, each on its own ports.
        pg_ports = re.findall(r"@127\.0\.0\.1:(\d+)/postgres", printed)
        api_urls = re.findall(r"REST API (http://127\.0\.0\.1:\d+)", printed)
        assert len(set(pg_ports)) == 3 and len(set(api_urls)) == 3, printed

        results = {}
        for command in commands:
            if command.startswith("psql") and shutil.which("psql") is None:
                continue  # the pgwire connections are checked below without psql
            res = subprocess.run(place.argv(command), cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=120)  # fmt: skip
            assert res.returncode == 0, f"{command}\n{res.stdout}\n{res.stderr}"
            results[command.split(" --")[0]] = res.stdout
        listing = next(v for k, v in results.items() if k.endswith("db9 list"))
        assert re.search(r"^default\s", listing, re.M), listing
        check = next(v for k, v in results.items() if "cluster check" in k)
        assert "OK: every member holds the same data" in check, check

        # Every node: SQL with the shared password, and the default database seen through
        # its own REST API with the operator token.
        probe = f"""
import httpx, psycopg
password = open(".db9-cluster/password").read().strip()
token = open(".db9-cluster/api-token").read().strip()
ports, urls = {pg_ports!r}, {api_urls!r}
def dsn(port):
    return (f"host=127.0.0.1 port={{port}} dbname=postgres user=local.admin "
            f"password={{password}} sslmode=require connect_timeout=10")
with psycopg.connect(dsn(ports[0]), autocommit=True) as c:
    c.execute("CREATE TABLE readme (id int PRIMARY KEY)")
    c.execute("INSERT INTO readme VALUES (1)")
for port in ports:
    with psycopg.connect(dsn(port), autocommit=True) as c:
        assert c.execute("SELECT id FROM readme").fetchall() == [(1,)], port
for url in urls:
    r = httpx.get(url + "/v1/databases", headers={{"Authorization": "Bearer " + token}})
    assert r.status_code == 200, (url, r.text)
    assert "default" in [d["name"] for d in r.json()], (url, r.text)
print("every node ok")
"""
        (tmp_path / "probe.py").write_text(probe)
        res = subprocess.run(place.argv(".venv/bin/python probe.py"), cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == 0 and "every node ok" in res.stdout, res.stdout + res.stderr
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGINT)  # Ctrl-C, as the README says
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
            raise
    assert up.returncode == 0, "".join(out)


def test_cluster_up_names_the_flag_that_moves_a_busy_port(tmp_path: Path) -> None:
    flags, _ = _port_flags()  # every other port free
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "db9"), "cluster", "up", "--nodes", "2",
             "--base-dir", str(tmp_path / "c"), *flags[:4], "--api-base-port", str(port - 2)],
            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert res.returncode == 1
    assert f"port {port} (node 2's REST API) is in use: choose others with --api-base-port" in (
        res.stderr
    )
    assert not (tmp_path / "c" / "node1").exists()  # nothing was started

"""A private network for a local cluster: one Linux network namespace per node, joined by a
bridge in the host namespace, so that faults can cut links between nodes.

Each node gets its own address (``10.x.y.11``, ``.12``, ...) and sees only its own interfaces,
so its outgoing connections carry its own address. A partition is a set of nftables rules inside
each namespace that drop packets to and from the nodes on the other side; clients in the host
namespace (the bridge's address ``.1``) stay connected to every node, as in Jepsen, where the
control node is never partitioned. Needs root, ``ip`` and ``nft``; :func:`available` says
whether this machine has them.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


def available() -> bool:
    """True when namespaces can be made here (root, iproute2, nftables)."""
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nft"):
        return False
    probe = f"db9probe{os.getpid()}"
    ok = _run(["ip", "netns", "add", probe], check=False) == 0
    if ok:
        _run(["ip", "netns", "del", probe], check=False)
    return ok


MARKS = Path("/run/db9-netns")  # <tag> -> pid of the process that made that network


def _owner_alive(tag: str) -> bool:
    try:
        os.kill(int((MARKS / tag).read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def sweep_stale() -> None:
    """Remove what runs killed before their cleanup left behind: the namespaces, processes and
    bridges of networks whose creating process is gone."""
    root = Path("/var/run/netns")
    for path in root.glob("db9-*-n*") if root.is_dir() else []:
        if _owner_alive(path.name.split("-")[1]):
            continue
        pids = subprocess.run(["ip", "netns", "pids", path.name], capture_output=True, text=True)
        for pid in pids.stdout.split():
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)  # an orphaned node of that run
        _run(["ip", "netns", "del", path.name], check=False)
    links = subprocess.run(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True,
                           text=True).stdout  # fmt: skip
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith("db9b") and not _owner_alive(name[4:]):
            _run(["ip", "link", "del", name], check=False)
            rule = ["FORWARD", "-i", name, "-o", name, "-j", "ACCEPT"]
            _run(["iptables", "-w", "-D", *rule], check=False)
            (MARKS / name[4:]).unlink(missing_ok=True)


def _run(cmd: list[str], *, check: bool = True, stdin: str | None = None) -> int:
    proc = subprocess.run(cmd, input=stdin, text=True, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return proc.returncode


def _used_subnets() -> set[str]:
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    return {w.rsplit(".", 1)[0] for line in out.splitlines() for w in line.split() if "/" in w}


@dataclass
class Netns:
    """The namespaces, veths and bridge of one cluster; :meth:`close` removes them all."""

    n: int
    tag: str = field(default_factory=lambda: f"{random.randrange(16**5):05x}")
    subnet: str = ""  # "10.x.y": node i is 10.x.y.(10+i), the host side 10.x.y.1
    _forward_rule: list[str] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"db9b{self.tag}"

    def name(self, i: int) -> str:
        """The namespace of node i (1-based)."""
        return f"db9-{self.tag}-n{i}"

    def ip(self, i: int) -> str:
        return f"{self.subnet}.{10 + i}"

    @property
    def host_ip(self) -> str:
        return f"{self.subnet}.1"

    def exec_prefix(self, i: int) -> list[str]:
        return ["ip", "netns", "exec", self.name(i)]

    def create(self) -> Netns:
        sweep_stale()
        MARKS.mkdir(parents=True, exist_ok=True)
        (MARKS / self.tag).write_text(str(os.getpid()))  # before anything a sweep could take
        used = _used_subnets()
        while not self.subnet or self.subnet in used:
            self.subnet = f"10.{random.randrange(100, 250)}.{random.randrange(256)}"
        try:
            _run(["ip", "link", "add", self.bridge, "type", "bridge"])
            _run(["ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge])
            _run(["ip", "link", "set", self.bridge, "up"])
            # Docker sets FORWARD's policy to DROP and bridged frames pass through it.
            self._forward_rule = ["FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"]
            _run(["iptables", "-w", "-I", *self._forward_rule], check=False)
            for i in range(1, self.n + 1):
                self._add_node(i)
        except BaseException:
            self.close()
            raise
        return self

    def _add_node(self, i: int) -> None:
        ns, veth = self.name(i), f"db9v{self.tag}{i}"
        _run(["ip", "netns", "add", ns])
        _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
        _run(["ip", "link", "set", veth, "master", self.bridge, "up"])
        inside = self.exec_prefix(i)
        _run([*inside, "ip", "addr", "add", f"{self.ip(i)}/24", "dev", "eth0"])
        _run([*inside, "ip", "link", "set", "eth0", "up"])
        _run([*inside, "ip", "link", "set", "lo", "up"])
        self._nft(i, [])

    def _nft(self, i: int, blocked: Iterable[str]) -> None:
        """Replace node i's rules: drop everything to or from the ``blocked`` addresses."""
        ips = sorted(blocked)
        rules = ["table inet db9 {}", "delete table inet db9", "table inet db9 {"]
        rules.append("  chain input { type filter hook input priority 0; policy accept;")
        if ips:
            rules.append(f"    ip saddr {{ {', '.join(ips)} }} drop")
        rules.append("  }")
        rules.append("  chain output { type filter hook output priority 0; policy accept;")
        if ips:
            rules.append(f"    ip daddr {{ {', '.join(ips)} }} drop")
        rules.append("  }")
        rules.append("}")
        _run([*self.exec_prefix(i), "nft", "-f", "-"], stdin="\n".join(rules) + "\n")

    def partition(self, cut: Iterable[tuple[int, int]]) -> None:
        """Cut exactly the given links (pairs of 1-based node numbers); heal every other."""
        blocked: dict[int, set[str]] = {i: set() for i in range(1, self.n + 1)}
        for a, b in cut:
            blocked[a].add(self.ip(b))
            blocked[b].add(self.ip(a))
        for i, ips in blocked.items():
            self._nft(i, ips)

    def heal(self) -> None:
        self.partition([])

    def close(self) -> None:
        for i in range(1, self.n + 1):
            _run(["ip", "netns", "del", self.name(i)], check=False)  # takes its veth along
        _run(["ip", "link", "del", self.bridge], check=False)
        if self._forward_rule:
            _run(["iptables", "-w", "-D", *self._forward_rule], check=False)
            self._forward_rule = []
        (MARKS / self.tag).unlink(missing_ok=True)

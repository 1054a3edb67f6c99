"""A private network for a local cluster: one Linux network namespace per node, joined by a
bridge in the host namespace, so that faults can cut links between nodes.

Each node gets its own address (``10.x.y.11``, ``.12``, ...) and sees only its own interfaces,
so its outgoing connections carry its own address. A partition is a set of nftables rules inside
each namespace that drop packets to and from the nodes on the other side; clients in the host
namespace (the bridge's address ``.1``) stay connected to every node, as in Jepsen, where the
control node is never partitioned. Needs root, ``ip`` and ``nft``; :func:`available` says
whether this machine has them.

A degraded link (:meth:`Netns.degrade`) loses, delays or reorders packets instead: loss is an
nftables rule (``numgen random``) in the same table; delay and reordering queue the packets to
a node's peers (iptables ``NFQUEUE``: this kernel has no netem) to a ``netdelay`` process in
that node's namespace, which lets each go after its delay. Both act on the packets a node
receives from its peers (a drop where a packet is sent would fail the send instead of losing
it), so each direction of a link is delayed, or loses packets, once.
:func:`degrade_available` says whether this machine can delay.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
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


def degrade_available() -> str | None:
    """Why links cannot be delayed here (no namespaces, iptables or NetfilterQueue), or None."""
    if not available() or not shutil.which("iptables"):
        return "needs root, ip, nft and iptables"
    try:
        import netfilterqueue  # noqa: F401
    except ImportError:
        return "needs the NetfilterQueue package (Debian's libnetfilter-queue-dev to build it)"
    return None


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
    _blocked: dict[int, set[str]] = field(default_factory=dict)  # node -> peers cut off
    _lossy: dict[int, set[str]] = field(default_factory=dict)  # node -> peers it loses to
    _loss_pct: float = 0.0
    _delayers: dict[int, subprocess.Popen[str]] = field(default_factory=dict)  # node -> netdelay

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
        self._nft(i)

    def _nft(self, i: int) -> None:
        """Replace node i's rules: drop everything to or from the peers it is cut off from, and
        ``_loss_pct`` percent of what it receives from the peers on its lossy links
        (counted)."""
        ips, lossy = sorted(self._blocked.get(i, ())), sorted(self._lossy.get(i, ()))
        rules = ["table inet db9 {}", "delete table inet db9", "table inet db9 {"]
        rules.append("  chain input { type filter hook input priority 0; policy accept;")
        if ips:
            rules.append(f"    ip saddr {{ {', '.join(ips)} }} drop")
        if lossy and self._loss_pct > 0:
            # On arrival, so the sender does not see it (a drop on output fails the send with
            # EPERM). numgen draws 0..9999 per packet: loss in steps of 0.01%.
            below = round(self._loss_pct * 100)
            rules.append(
                f"    ip saddr {{ {', '.join(lossy)} }} numgen random mod 10000 < {below} "
                'counter drop comment "loss"'
            )
        rules.append("  }")
        rules.append("  chain output { type filter hook output priority 0; policy accept;")
        if ips:
            rules.append(f"    ip daddr {{ {', '.join(ips)} }} drop")
        rules.append("  }")
        rules.append("}")
        _run([*self.exec_prefix(i), "nft", "-f", "-"], stdin="\n".join(rules) + "\n")

    def _peers(self, links: Iterable[tuple[int, int]]) -> dict[int, set[str]]:
        """Each node's peers on the given links (pairs of 1-based node numbers)."""
        peers: dict[int, set[str]] = {i: set() for i in range(1, self.n + 1)}
        for a, b in links:
            peers[a].add(self.ip(b))
            peers[b].add(self.ip(a))
        return peers

    def partition(self, cut: Iterable[tuple[int, int]]) -> None:
        """Cut exactly the given links (pairs of 1-based node numbers); heal every other."""
        self._blocked = self._peers(cut)
        for i in range(1, self.n + 1):
            self._nft(i)

    def degrade(
        self,
        links: Iterable[tuple[int, int]],
        *,
        delay_ms: float = 0.0,
        jitter_ms: float = 0.0,
        loss_pct: float = 0.0,
        reorder: bool = False,
    ) -> None:
        """Degrade exactly the given links, both ways (replacing any earlier degradation):
        each packet that crosses one is lost with probability ``loss_pct`` %, else delayed
        ``delay_ms +- jitter_ms`` (uniform). Without ``reorder`` packets keep their order (a
        later one waits for an earlier one's delay); with it each goes after its own delay,
        so jitter reorders them. Partitions are left as they are."""
        self.undegrade()
        self._lossy, self._loss_pct = self._peers(links), loss_pct
        degraded = {i: peers for i, peers in self._lossy.items() if peers}
        try:
            if loss_pct > 0:
                for i in degraded:
                    self._nft(i)
            if delay_ms > 0 or jitter_ms > 0:
                for i in degraded:  # all started before waiting for any: ~0.3 s each
                    self._delayers[i] = self._start_delay(i, delay_ms, jitter_ms, reorder)
                for i, peers in degraded.items():
                    stdout = self._delayers[i].stdout
                    assert stdout is not None
                    if stdout.readline().strip() != "ready":
                        raise RuntimeError(f"the delay line of node {i} did not start")
                    # Bound to its queue before any packet is queued; if it dies, packets pass.
                    for ip in sorted(peers):
                        _run([*self.exec_prefix(i), "iptables", "-w", "-A", "INPUT", "-s", ip,
                              "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"])  # fmt: skip
        except BaseException:
            self.undegrade()
            raise

    def _start_delay(
        self, i: int, delay_ms: float, jitter_ms: float, reorder: bool
    ) -> subprocess.Popen[str]:
        cmd = [*self.exec_prefix(i), sys.executable, "-m", "tests.cluster.netdelay",
               "--delay-ms", str(delay_ms), "--jitter-ms", str(jitter_ms)]  # fmt: skip
        if not reorder:
            cmd.append("--fifo")
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": root}
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                cwd=root, env=env)  # fmt: skip

    def undegrade(self) -> dict[str, int]:
        """Undo :meth:`degrade`; returns what it did since: ``dropped`` (packets lost),
        ``delayed`` (packets queued to a delay line), ``reordered`` (let go after a later
        one)."""
        stats = {"dropped": 0, "delayed": 0, "reordered": 0}
        for i in sorted(self._delayers):  # the rules first: nothing is queued from now on
            _run([*self.exec_prefix(i), "iptables", "-w", "-F", "INPUT"], check=False)
        for proc in self._delayers.values():
            assert proc.stdin is not None
            proc.stdin.close()  # the delay line lets every packet go and exits
        for proc in self._delayers.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            assert proc.stdout is not None
            out = proc.stdout.read()
            proc.stdout.close()
            with contextlib.suppress(ValueError, IndexError, KeyError):
                last = json.loads(out.strip().splitlines()[-1])
                stats["delayed"] += int(last["packets"])
                stats["reordered"] += int(last["reordered"])
        self._delayers = {}
        lossy = [i for i, peers in self._lossy.items() if peers]
        if self._loss_pct > 0:
            stats["dropped"] = sum(self._dropped(i) for i in lossy)
        self._lossy, self._loss_pct = {}, 0.0
        for i in lossy:
            self._nft(i)
        return stats

    def _dropped(self, i: int) -> int:
        """Packets node i's loss rule has dropped."""
        out = subprocess.run([*self.exec_prefix(i), "nft", "-j", "list", "chain", "inet", "db9",
                              "input"], capture_output=True, text=True).stdout  # fmt: skip
        total = 0
        with contextlib.suppress(ValueError):
            for item in json.loads(out).get("nftables", []):
                rule = item.get("rule")
                if rule and rule.get("comment") == "loss":
                    total += sum(e["counter"]["packets"] for e in rule["expr"] if "counter" in e)
        return total

    def heal(self) -> dict[str, int]:
        """Every link whole again: no partition, no degradation (see :meth:`undegrade`)."""
        stats = self.undegrade()
        self.partition([])
        return stats

    def close(self) -> None:
        try:
            self.undegrade()
        finally:
            self._remove()

    def _remove(self) -> None:
        for i in range(1, self.n + 1):
            _run(["ip", "netns", "del", self.name(i)], check=False)  # takes its veth along
        _run(["ip", "link", "del", self.bridge], check=False)
        if self._forward_rule:
            _run(["iptables", "-w", "-D", *self._forward_rule], check=False)
            self._forward_rule = []
        (MARKS / self.tag).unlink(missing_ok=True)

"""A FUSE file system that loses whatever was not synced when it crashes (Jepsen's LazyFS).

    python -m tests.jepsen.lazyfs BACKING MOUNTPOINT --control NAME [--write-through GLOB ...]

serves BACKING at MOUNTPOINT (libfuse 3 through ``mfusepy``; root). ``LazyMount`` runs one such
daemon as a subprocess and drives it.

What is buffered: the data of ``write`` to regular files (and the dirty pages of shared
writable maps, which the kernel writes back with ``write``). It stays in the daemon's memory,
in 4 KiB pages per file (per backing inode, so across renames and every open handle), until
``fsync`` or ``fdatasync`` of that file writes its pages into the backing file. Reads and the
size ``stat`` reports see the buffered data.

What is not, i.e. goes straight to the backing directory and survives a crash, as LazyFS does
by default: create, mkdir, rmdir, unlink, rename, link, symlink, chmod, chown, utimens,
truncate (which also drops buffered pages past the new end), fallocate (modes 0 and
KEEP_SIZE only), and writes to files whose names match a ``--write-through`` pattern (the test
harness's server.log and clock file, not db9's). ``fsync`` of a directory writes nothing (its
entries are already in the backing directory). A buffered write past the end of the backing
file reserves its blocks there (fallocate KEEP_SIZE), so a full disk fails the write with
ENOSPC, as ext4 does, and not the later fsync. The backing file system is never synced
itself: the crashes made here are the daemon's, and the backing directory survives them.

Crash (``LazyMount.crash``): the control command ``crash`` makes every later operation fail
with EIO and answers how much is about to be dropped; then the daemon is killed (SIGKILL), the
dead mount is detached (``umount -l``) and ``LazyMount.start`` mounts a fresh daemon over the
same backing directory. The old mount's kernel page cache goes with its super block, so no
unsynced byte can be read back through the new one.

Slow disk: ``slow LO HI`` makes every fsync/fdatasync (of files and directories) sleep a
uniform LO-HI ms first, ``fast`` ends it. The control socket (abstract Unix namespace) takes
one command line per connection and answers one JSON line of counters.

Data goes through the kernel page cache (no ``direct_io``), so mmap works: LMDB maps its data
file and reads it through the map.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import fnmatch
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = 4096
FALLOC_FL_KEEP_SIZE = 0x01
_STAT_KEYS = ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_blocks", "st_ino")
_libc = ctypes.CDLL(None, use_errno=True)


def _fallocate(fd: int, mode: int, offset: int, length: int) -> None:
    if _libc.fallocate(fd, mode, ctypes.c_int64(offset), ctypes.c_int64(length)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@dataclass
class _Dirty:
    """A file's unsynced data: pages over the backing file, and its size with them."""

    size: int
    pages: dict[int, bytearray] = field(default_factory=dict)

    def truncate(self, length: int) -> None:
        for p in [p for p in self.pages if p * PAGE >= length]:
            del self.pages[p]
        tail = self.pages.get(length // PAGE)
        if tail is not None:
            tail[length % PAGE :] = bytes(PAGE - length % PAGE)
        self.size = length


class LazyOps:
    """The file system's operations (mfusepy's high-level API, paths relative to the mount).

    Invariant: a backing file's size never exceeds the size its ``_Dirty`` (if any) reports,
    and a page missing from ``pages`` reads as the backing file (zeros past its end).
    """

    use_ns = True

    def __init__(self, backing: str, write_through: Sequence[str] = ()) -> None:
        self.root = os.path.realpath(backing)
        self.write_through = list(write_through)
        self._mutex = threading.Lock()
        self.dirty: dict[int, _Dirty] = {}  # backing inode -> unsynced data
        self.fds: dict[int, tuple[int, bool]] = {}  # open backing fd -> (inode, write-through)
        self.opens: dict[int, int] = {}  # backing inode -> open fds
        self.names: dict[int, str] = {}  # backing inode -> the path it was last opened by
        self.crashed = False
        self.slow_ms: tuple[int, int] | None = None
        self.counters = {"buffered_bytes": 0, "synced_bytes": 0, "fsyncs": 0, "delayed_fsyncs": 0}
        self.ready = threading.Event()

    # -- bookkeeping --------------------------------------------------------------------------

    def _b(self, path: str) -> str:
        return self.root + path

    def _live(self) -> None:
        if self.crashed:
            raise OSError(errno.EIO, "lazyfs crashed")

    def stats(self) -> dict[str, Any]:
        with self._mutex:
            dirty = [i for i, d in self.dirty.items() if d.pages]
            return {
                **self.counters,
                "dirty_bytes": sum(len(d.pages) for d in self.dirty.values()) * PAGE,
                "dirty_files": len(dirty),
                "dirty_names": sorted(self.names.get(i, "?") for i in dirty),
                "slow_ms": self.slow_ms,
                "crashed": self.crashed,
            }

    def _forget_if_gone(self, ino: int, nlink_after: int) -> None:
        """Drop the buffer of a file that no name and no open handle reaches any more."""
        if nlink_after == 0 and self.opens.get(ino, 0) == 0:
            self.dirty.pop(ino, None)
            self.names.pop(ino, None)

    # -- files --------------------------------------------------------------------------------

    def _open(self, path: str, flags: int, mode: int | None) -> int:
        self._live()
        # The backing fd is read-write whatever the caller asked, so that an fsync through a
        # read-only handle can still write the file's pages; the kernel checks access itself.
        # O_APPEND is dropped: the kernel sends appends with their offset.
        keep = flags & (os.O_NOFOLLOW | os.O_EXCL | os.O_DIRECTORY)
        if mode is not None:
            keep |= os.O_CREAT
        perms = 0o644 if mode is None else mode
        fd = os.open(self._b(path), keep | os.O_RDWR | os.O_CLOEXEC, perms)
        ino = os.fstat(fd).st_ino
        through = any(fnmatch.fnmatch(os.path.basename(path), g) for g in self.write_through)
        self.fds[fd] = (ino, through)
        self.names[ino] = path.lstrip("/")
        self.opens[ino] = self.opens.get(ino, 0) + 1
        if flags & os.O_TRUNC:
            self._truncate(fd, ino, 0)
        return fd

    def open(self, path: str, flags: int) -> int:
        with self._mutex:
            return self._open(path, flags, None)

    def create(self, path: str, mode: int, flags: int = os.O_RDWR) -> int:
        with self._mutex:
            return self._open(path, flags, mode)

    def release(self, path: str | None, fh: int) -> int:
        with self._mutex:
            ino, _ = self.fds.pop(fh, (None, False))
            if ino is not None:
                self.opens[ino] -= 1
                if not self.opens[ino]:
                    del self.opens[ino]
                    self._forget_if_gone(ino, os.fstat(fh).st_nlink)
            os.close(fh)
        return 0

    def flush(self, path: str | None, fh: int) -> int:
        return 0  # close() is not fsync()

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        with self._mutex:
            self._live()
            d = self.dirty.get(self.fds[fh][0])
            if d is None:
                return os.pread(fh, size, offset)
            end = min(offset + size, d.size)
            if end <= offset:
                return b""
            buf = bytearray(os.pread(fh, end - offset, offset))
            buf.extend(bytes(end - offset - len(buf)))
            for p in range(offset // PAGE, (end - 1) // PAGE + 1):
                page = d.pages.get(p)
                if page is not None:
                    lo, hi = max(offset, p * PAGE), min(end, (p + 1) * PAGE)
                    buf[lo - offset : hi - offset] = page[lo - p * PAGE : hi - p * PAGE]
            return bytes(buf)

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        with self._mutex:
            self._live()
            ino, through = self.fds[fh]
            if through:
                return os.pwrite(fh, data, offset)
            backing_size = os.fstat(fh).st_size
            end = offset + len(data)
            if end > backing_size:  # reserve the blocks: ENOSPC now, not at fsync
                start = max(offset, backing_size)
                try:
                    _fallocate(fh, FALLOC_FL_KEEP_SIZE, start, end - start)
                except OSError as exc:
                    if exc.errno != errno.EOPNOTSUPP:
                        raise
            d = self.dirty.get(ino)
            if d is None:
                d = self.dirty[ino] = _Dirty(backing_size)
            pos = 0
            while pos < len(data):
                p, at = divmod(offset + pos, PAGE)
                n = min(PAGE - at, len(data) - pos)
                page = d.pages.get(p)
                if page is None:
                    old = os.pread(fh, PAGE, p * PAGE) if n < PAGE else b""
                    page = d.pages[p] = bytearray(old.ljust(PAGE, b"\0"))
                page[at : at + n] = data[pos : pos + n]
                pos += n
            d.size = max(d.size, end)
            self.counters["buffered_bytes"] += len(data)
            return len(data)

    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        self._delay()
        with self._mutex:
            self._live()
            self.counters["fsyncs"] += 1
            ino = self.fds[fh][0]
            d = self.dirty.get(ino)
            if d is None:
                return 0
            for p in sorted(d.pages):
                chunk = d.pages[p][: max(0, min(PAGE, d.size - p * PAGE))]
                os.pwrite(fh, chunk, p * PAGE)
                self.counters["synced_bytes"] += len(chunk)
            if os.fstat(fh).st_size < d.size:
                os.ftruncate(fh, d.size)
            del self.dirty[ino]
        return 0

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        self._delay()
        with self._mutex:
            self._live()
            self.counters["fsyncs"] += 1
        return 0

    def _delay(self) -> None:
        slow = self.slow_ms
        if slow is not None:
            time.sleep(random.uniform(*slow) / 1000)
            with self._mutex:
                self.counters["delayed_fsyncs"] += 1

    def _truncate(self, fd: int, ino: int, length: int) -> None:
        os.ftruncate(fd, length)
        d = self.dirty.get(ino)
        if d is not None:
            d.truncate(length)

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        with self._mutex:
            self._live()
            if fh is not None:
                self._truncate(fh, self.fds[fh][0], length)
                return 0
            assert path is not None
            fd = os.open(self._b(path), os.O_WRONLY | os.O_CLOEXEC)
            try:
                self._truncate(fd, os.fstat(fd).st_ino, length)
            finally:
                os.close(fd)
        return 0

    def fallocate(self, path: str | None, mode: int, offset: int, size: int, fh: int) -> int:
        if mode not in (0, FALLOC_FL_KEEP_SIZE):
            raise OSError(errno.EOPNOTSUPP, "lazyfs: only fallocate modes 0 and KEEP_SIZE")
        with self._mutex:
            self._live()
            _fallocate(fh, mode, offset, size)
            d = self.dirty.get(self.fds[fh][0])
            if d is not None and mode == 0:
                d.size = max(d.size, offset + size)
        return 0

    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, Any]:
        with self._mutex:
            self._live()
            if fh is not None and fh in self.fds:
                st = os.fstat(fh)
            else:
                assert path is not None
                st = os.lstat(self._b(path))
            attrs: dict[str, Any] = {k: getattr(st, k) for k in _STAT_KEYS}
            attrs.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
            d = self.dirty.get(st.st_ino)
            if d is not None:
                attrs["st_size"] = d.size
            return attrs

    # -- metadata: straight to the backing directory ------------------------------------------

    def unlink(self, path: str) -> int:
        with self._mutex:
            self._live()
            st = os.lstat(self._b(path))
            os.unlink(self._b(path))
            self._forget_if_gone(st.st_ino, st.st_nlink - 1)
        return 0

    def rename(self, old: str, new: str) -> int:
        with self._mutex:
            self._live()
            try:
                target: os.stat_result | None = os.lstat(self._b(new))
            except FileNotFoundError:
                target = None
            os.rename(self._b(old), self._b(new))
            if target is not None and target.st_ino != os.lstat(self._b(new)).st_ino:
                self._forget_if_gone(target.st_ino, target.st_nlink - 1)
        return 0

    def _meta(self, fn: Any, *args: Any, **kwargs: Any) -> int:
        with self._mutex:
            self._live()
            fn(*args, **kwargs)
        return 0

    def mkdir(self, path: str, mode: int) -> int:
        return self._meta(os.mkdir, self._b(path), mode)

    def rmdir(self, path: str) -> int:
        return self._meta(os.rmdir, self._b(path))

    def link(self, target: str, source: str) -> int:
        return self._meta(os.link, self._b(source), self._b(target))

    def symlink(self, target: str, source: str) -> int:
        return self._meta(os.symlink, source, self._b(target))

    def readlink(self, path: str) -> str:
        self._live()
        return os.readlink(self._b(path))

    def chmod(self, path: str, mode: int) -> int:
        return self._meta(os.chmod, self._b(path), mode)

    def chown(self, path: str, uid: int, gid: int) -> int:
        return self._meta(os.chown, self._b(path), uid, gid)

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        return self._meta(os.utime, self._b(path), ns=times)

    def access(self, path: str, amode: int) -> int:
        self._live()
        if not os.access(self._b(path), amode):
            raise OSError(errno.EACCES, "access")
        return 0

    def readdir(self, path: str, fh: int) -> list[str]:
        self._live()
        return [".", "..", *os.listdir(self._b(path))]

    def statfs(self, path: str) -> dict[str, int]:
        st = os.statvfs(self.root)
        keys = ("f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree",
                "f_favail", "f_namemax")  # fmt: skip
        return {k: getattr(st, k) for k in keys}

    def init(self, path: str) -> None:
        self.ready.set()

    # -- control ------------------------------------------------------------------------------

    def command(self, line: str) -> dict[str, Any]:
        words = line.split()
        if words[:1] == ["slow"] and len(words) == 3:
            self.slow_ms = (int(words[1]), int(words[2]))
        elif words == ["fast"]:
            self.slow_ms = None
        elif words == ["crash"]:
            with self._mutex:
                self.crashed = True
        elif words != ["stats"]:
            return {"error": f"unknown command {line!r}"}
        return self.stats()


def _serve_control(ops: LazyOps, name: str) -> None:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + name)
    srv.listen(8)
    ops.ready.wait()
    print("ready", flush=True)  # the mount is live and the control socket listens
    while True:
        conn, _ = srv.accept()
        with conn:
            line = conn.makefile("r").readline()
            conn.sendall((json.dumps(ops.command(line)) + "\n").encode())


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.jepsen.lazyfs")
    ap.add_argument("backing")
    ap.add_argument("mountpoint")
    ap.add_argument("--control", required=True, help="abstract Unix socket name")
    ap.add_argument("--write-through", action="append", default=[], metavar="GLOB")
    args = ap.parse_args(argv)
    for what, path in (("backing directory", args.backing), ("mount point", args.mountpoint)):
        if not os.path.isdir(path):
            ap.error(f"the {what} {path} is not a directory")
    import mfusepy  # type: ignore[import-untyped]

    ops = LazyOps(args.backing, args.write_through)
    threading.Thread(target=_serve_control, args=(ops, args.control), daemon=True).start()
    try:
        mfusepy.FUSE(ops, args.mountpoint, foreground=True, fsname="lazyfs", hard_remove=True)
    except RuntimeError as exc:  # libfuse's mount failed; it printed why on stderr
        sys.exit(f"python -m tests.jepsen.lazyfs: cannot mount {args.mountpoint} (libfuse {exc})")


# -- the harness's side ----------------------------------------------------------------------


class LazyMount:
    """One daemon serving ``mountpoint`` from ``backing``: start it, command it, crash it.

    Invariant: after ``stop`` nothing is mounted at ``mountpoint`` and no daemon runs.
    """

    def __init__(
        self,
        backing: Path,
        mountpoint: Path,
        write_through: Sequence[str] = (),
        log: Path | None = None,
    ) -> None:
        self.backing, self.mountpoint = backing, mountpoint
        self.write_through = list(write_through)
        self.log = log or backing.with_name(backing.name + ".log")
        self.proc: subprocess.Popen[bytes] | None = None
        self.control = ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def mounted(self) -> bool:
        """Whether a lazyfs (live or dead) is the top mount at ``mountpoint``."""
        return mounted_here(self.mountpoint)

    def start(self, timeout_s: float = 60.0) -> None:
        """Mount a fresh daemon; returns once the mount serves requests."""
        assert not self.alive and not self.mounted, self.mountpoint
        self.control = f"db9-lazyfs-{uuid.uuid4().hex}"
        cmd = [sys.executable, "-m", "tests.jepsen.lazyfs", str(self.backing),
               str(self.mountpoint), "--control", self.control]  # fmt: skip
        for g in self.write_through:
            cmd += ["--write-through", g]
        root = Path(__file__).resolve().parents[2]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=log)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        line = self.proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.stop()
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"lazyfs did not mount {self.mountpoint}: {tail}")

    def command(self, line: str) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect("\0" + self.control)
            s.sendall(line.encode() + b"\n")
            reply: dict[str, Any] = json.loads(s.makefile("r").readline())
        return reply

    def crash(self) -> dict[str, Any]:
        """Lose every unsynced byte: freeze the daemon, kill it, detach the dead mount.
        Returns what was dropped (``dirty_bytes``, ``dirty_files``). ``start`` mounts anew."""
        dropped = self.command("crash")
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        subprocess.run(["umount", "-l", str(self.mountpoint)], check=True)
        self._close()
        return dropped

    def stop(self) -> None:
        """Unmount (the daemon exits with it) and make sure it is gone; unsynced data is lost."""
        if self.mounted:
            done = subprocess.run(["umount", str(self.mountpoint)], capture_output=True)
            if done.returncode:  # busy: detach it, the daemon exits when the last user goes
                subprocess.run(["umount", "-l", str(self.mountpoint)], check=False)
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


def mounted_here(path: Path) -> bool:
    """Whether the top mount at ``path`` is a lazyfs (the disk nemesis's tmpfs may be under
    it)."""
    want = os.path.realpath(path).replace(" ", "\\040")
    top = ""
    with open("/proc/self/mounts") as f:
        for line in f:
            source, target = line.split()[:2]
            if target == want:
                top = source
    return top == "lazyfs"


def unavailable() -> str | None:
    """Why a LazyFS mount cannot be made here, or None."""
    import ctypes.util
    import importlib.util

    if os.geteuid() != 0:
        return "lazyfs mounts a FUSE file system per node: run as root"
    if not os.path.exists("/dev/fuse"):
        return "lazyfs needs /dev/fuse (the kernel's FUSE module)"
    if not ctypes.util.find_library("fuse3") and not ctypes.util.find_library("fuse"):
        return "lazyfs needs libfuse (apt-get install libfuse3-3 fuse3)"
    if importlib.util.find_spec("mfusepy") is None:
        return "lazyfs needs the mfusepy package (pip install mfusepy)"
    return None


if __name__ == "__main__":
    main()

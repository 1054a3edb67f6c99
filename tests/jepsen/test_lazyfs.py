"""The FUSE file system of the lost-writes and slow-disk nemeses (``lazyfs``): what was synced
survives its crash, what was not is gone (also from the kernel's page cache), mmap reads see
buffered writes, fsyncs are delayed while it is slow, a full backing disk fails the write."""

from __future__ import annotations

import mmap
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from control.tokens import load_or_create_key
from pgwire.tls import ensure_tls_files, server_context
from tests.jepsen.lazyfs import PAGE, LazyMount, unavailable

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))


@pytest.fixture
def fs(tmp_path: Path) -> Iterator[LazyMount]:
    backing, mnt = tmp_path / "backing", tmp_path / "mnt"
    backing.mkdir()
    mnt.mkdir()
    m = LazyMount(backing, mnt, write_through=["*.log"])
    m.start()
    try:
        yield m
    finally:
        m.stop()
        assert not os.path.ismount(mnt) and not m.alive and not m.mounted


def write(path: Path, data: bytes, offset: int = 0, sync: bool = False) -> None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, data, offset)
        if sync:
            os.fdatasync(fd)
    finally:
        os.close(fd)


def crash(fs: LazyMount) -> dict[str, object]:
    dropped = fs.crash()
    assert not os.path.ismount(fs.mountpoint) and not fs.mounted
    fs.start()
    assert fs.mounted
    return dropped


def test_synced_data_survives_a_crash_and_unsynced_data_is_gone(fs: LazyMount) -> None:
    m = fs.mountpoint
    write(m / "synced", b"a" * 10000, sync=True)
    write(m / "synced", b"b" * 100, offset=10000)  # an unsynced append
    write(m / "synced", b"c" * 10, offset=5)  # an unsynced overwrite
    write(m / "unsynced", b"x" * 3 * PAGE)
    write(m / "server.log", b"written through\n")
    assert (m / "synced").read_bytes() == b"a" * 5 + b"c" * 10 + b"a" * 9985 + b"b" * 100
    assert (m / "unsynced").stat().st_size == 3 * PAGE
    assert (fs.backing / "unsynced").stat().st_size == 0  # nothing reached the backing file

    dropped = crash(fs)

    assert dropped["dirty_files"] == 2 and dropped["dirty_bytes"] == 5 * PAGE, dropped
    assert (m / "synced").read_bytes() == b"a" * 10000
    assert (m / "unsynced").read_bytes() == b""  # created (metadata), data lost
    assert (m / "server.log").read_bytes() == b"written through\n"
    assert fs.command("stats")["dirty_bytes"] == 0


def test_fsync_through_any_handle_syncs_the_file_and_renames_are_durable(fs: LazyMount) -> None:
    m = fs.mountpoint
    write(m / "f.tmp", b"new contents")
    fd = os.open(m / "f.tmp", os.O_RDONLY)  # as a snapshot's durable_replace does
    os.fsync(fd)
    os.close(fd)
    os.replace(m / "f.tmp", m / "f")
    write(m / "g.tmp", b"never synced")
    os.replace(m / "g.tmp", m / "g")
    (m / "d").mkdir()
    write(m / "doomed", b"z" * 100)
    os.unlink(m / "doomed")

    dropped = crash(fs)

    assert dropped["dirty_files"] == 1, dropped  # g; doomed's buffer went with its last name
    assert (m / "f").read_bytes() == b"new contents"
    assert (m / "g").read_bytes() == b""
    assert (m / "d").is_dir() and not (m / "doomed").exists()


def test_truncate_is_durable_and_drops_buffered_pages_past_the_end(fs: LazyMount) -> None:
    m = fs.mountpoint
    write(m / "t", b"s" * 3 * PAGE, sync=True)
    write(m / "t", b"u" * 3 * PAGE)
    os.truncate(m / "t", PAGE + 10)
    assert (m / "t").read_bytes() == b"u" * (PAGE + 10)
    crash(fs)
    assert (m / "t").read_bytes() == b"s" * (PAGE + 10)


def test_mmap_reads_see_buffered_and_synced_writes(fs: LazyMount) -> None:
    """LMDB writes its pages with pwrite and reads them through a shared map of the file."""
    path = fs.mountpoint / "data.mdb"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, b"1" * 4 * PAGE, 0)
        with mmap.mmap(fd, 4 * PAGE, access=mmap.ACCESS_READ) as mm:
            assert mm[:PAGE] == b"1" * PAGE and mm[3 * PAGE : 4 * PAGE] == b"1" * PAGE
            os.pwrite(fd, b"2" * 100, PAGE + 7)  # into a page the map has already read
            os.pwrite(fd, b"3" * PAGE, 4 * PAGE)  # past the end of the map
            assert mm[PAGE + 7 : PAGE + 107] == b"2" * 100
            os.fdatasync(fd)
            os.pwrite(fd, b"4" * 10, 2 * PAGE)
            assert mm[2 * PAGE : 2 * PAGE + 10] == b"4" * 10
        with mmap.mmap(fd, 5 * PAGE, access=mmap.ACCESS_READ) as mm:
            assert mm[4 * PAGE : 5 * PAGE] == b"3" * PAGE
    finally:
        os.close(fd)
    crash(fs)
    fd = os.open(path, os.O_RDONLY)
    try:
        with mmap.mmap(fd, 5 * PAGE, access=mmap.ACCESS_READ) as mm:
            assert mm[PAGE + 7 : PAGE + 107] == b"2" * 100  # synced
            assert mm[2 * PAGE : 2 * PAGE + 10] == b"1" * 10  # the unsynced write is gone
    finally:
        os.close(fd)


def test_fsyncs_are_delayed_while_slow_and_not_after(fs: LazyMount) -> None:
    path, n = fs.mountpoint / "j", 8
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def syncs() -> float:
            began = time.monotonic()
            for i in range(n):
                os.pwrite(fd, b"r", i)
                os.fdatasync(fd)
            return time.monotonic() - began

        before = fs.command("slow 20 80")["delayed_fsyncs"]
        slow = syncs()
        after = fs.command("fast")["delayed_fsyncs"]
        syncs()
        final = fs.command("stats")
    finally:
        os.close(fd)
    assert after - before == n and final["delayed_fsyncs"] == after, final
    assert slow >= n * 0.020  # each slow fsync sleeps at least 20 ms
    assert final["slow_ms"] is None


def test_a_full_backing_disk_fails_the_write_not_the_fsync(tmp_path: Path) -> None:
    backing, mnt = tmp_path / "small", tmp_path / "mnt"
    backing.mkdir()
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(backing)], check=True)
    fs = LazyMount(backing, mnt, log=tmp_path / "lazyfs.log")
    try:
        fs.start()
        fd = os.open(mnt / "big", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            with pytest.raises(OSError) as err:
                for i in range(64):
                    os.pwrite(fd, b"f" * 65536, i * 65536)
            assert err.value.errno == 28  # ENOSPC
            os.fdatasync(fd)  # what the writes did buffer fits
        finally:
            os.close(fd)
    finally:
        fs.stop()
        subprocess.run(["umount", str(backing)], check=True)


def test_a_nodes_key_and_certificate_survive_a_crash(fs: LazyMount) -> None:
    """They were written without fsync: after a crash the node found empty files and could not
    start (found by the lost-writes nemesis). Now each is synced and renamed in."""
    ca, cert, key = ensure_tls_files(str(fs.mountpoint / "tls"))
    load_or_create_key(str(fs.mountpoint / "connect-token.key"))
    dropped = crash(fs)
    assert dropped["dirty_files"] == 0, dropped
    server_context(cert, key)  # loads both
    assert "BEGIN CERTIFICATE" in Path(ca).read_text()
    load_or_create_key(str(fs.mountpoint / "connect-token.key"))

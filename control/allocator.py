"""The server's memory allocator: jemalloc where it is installed, so freed memory goes back.

CPython's own small-object allocator (pymalloc) carves objects from 1 MiB arenas and returns
an arena to the OS only when every object in it is dead. Under mixed load (four sessions
running PostgreSQL's regression scripts) a burst of short-lived objects spreads over many
arenas while a few long-lived ones (cached catalogs and parse trees, other sessions' state)
land among them, and after the load 180 arenas held 54 MB of live objects: the server kept
~200 MB it did not use. With ``PYTHONMALLOC=malloc`` and jemalloc preloaded, freed pages go
back to the OS page by page, within about a second (``dirty_decay_ms`` with jemalloc's
background thread), at about the same CPU cost as pymalloc.

Both must be in place before the interpreter starts, so ``use_jemalloc`` re-executes the
server once with them set (same PID, same arguments and file descriptors). Without jemalloc
the server runs as before and says so once. ``DB9_ALLOCATOR=pymalloc`` keeps CPython's own.
"""

from __future__ import annotations

import ctypes.util
import glob
import logging
import os
import sys

log = logging.getLogger("db9.allocator")

# Purge freed pages after a second, from jemalloc's own thread (an idle server allocates
# nothing, so decay driven by allocation alone would never return them).
MALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
_DONE = "DB9_ALLOCATOR_SET"  # set in the re-executed process: never re-execute twice
_SEARCH = (
    "/usr/lib/*/libjemalloc.so.2",
    "/usr/lib/libjemalloc.so.2",
    "/usr/local/lib/libjemalloc.so.2",
)


def find_jemalloc() -> str | None:
    """The path of libjemalloc.so.2 (Debian's libjemalloc2), or None."""
    for pattern in _SEARCH:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    name = ctypes.util.find_library("jemalloc")
    return name if name and os.path.isabs(name) else None


def preloaded() -> bool:
    """True when this process runs on jemalloc with CPython's objects allocated by it."""
    return os.environ.get("PYTHONMALLOC") == "malloc" and "jemalloc" in os.environ.get(
        "LD_PRELOAD", ""
    )


def use_jemalloc() -> None:
    """Re-execute this process under jemalloc unless it already is, is told not to
    (``DB9_ALLOCATOR=pymalloc``), or jemalloc is not installed. Call it first thing in
    ``main``, before any thread starts: on success it does not return."""
    choice = os.environ.get("DB9_ALLOCATOR", "jemalloc")
    if choice not in ("jemalloc", "pymalloc"):
        raise ValueError(f"DB9_ALLOCATOR must be jemalloc or pymalloc, not {choice!r}")
    if choice == "pymalloc" or preloaded() or os.environ.get(_DONE):
        return
    lib = find_jemalloc()
    if lib is None:
        log.warning(
            "jemalloc is not installed (Debian: libjemalloc2); memory freed after a load "
            "may stay with the server"
        )
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    env["PYTHONMALLOC"] = "malloc"
    env.setdefault("MALLOC_CONF", MALLOC_CONF)
    env[_DONE] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)

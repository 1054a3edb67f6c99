"""How much memory a statement holds: cheap size estimates, the nodes' accounts, the limits.

A statement's account is its ``kv.interrupt.Control`` (cap: the ``db9.statement_mem_limit``
setting, 1GB by default; past it 53200 out_of_memory). Nodes that hold rows (sorts, hash
tables, aggregate groups, window partitions, CTE results) keep a ``Held`` that charges
estimates in steps and gives them back when the node is done, so a node that runs once per
outer row does not pile up charges. Sizes are estimated, never measured: ``sys.getsizeof`` of
one row in every ``SAMPLE`` is taken for the ``SAMPLE`` rows around it.

A single value may not exceed PostgreSQL's MaxAllocSize (1 GB - 1): building one fails with
54000 before it is allocated (``check_value``), and a value under that which still does not
fit in what is left of the statement's cap fails with 53200.

``work_mem`` is accepted and shown as PostgreSQL does; nothing here spills to disk, so it only
decides which statements are large enough to hand freed memory back to the OS afterwards
(``trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterable
from typing import Any

from kv import interrupt
from sql.errors import ProgramLimitExceeded

MAX_VALUE = (1 << 30) - 1  # PostgreSQL's MaxAllocSize
SAMPLE = 64  # rows per size sample
_STEP = 1 << 16  # charge the account in steps of this many bytes
_getsizeof = sys.getsizeof


def row_size(row: tuple[Any, ...]) -> int:
    """Bytes a row holds, shallowly: the tuple and its values (a list value counts its slots
    and 32 bytes per element, not a deep walk)."""
    n = _getsizeof(row)
    for v in row:
        n += _getsizeof(v)
        if v.__class__ is list:
            n += 32 * len(v)
    return n


class Held:
    """What one node holds, charged to the running statement's account; ``close`` gives it
    back. Charges go to the control that was running when the node started, so a generator
    closed later (from another thread, or after the statement) releases the right account."""

    __slots__ = ("control", "held", "pending")

    def __init__(self) -> None:
        self.control = interrupt.current()
        self.held = 0
        self.pending = 0

    def add(self, nbytes: int) -> None:
        self.pending += nbytes
        if self.pending >= _STEP:
            self.flush()

    def flush(self) -> None:
        n, self.pending = self.pending, 0
        if self.control is not None and n:
            self.control.charge(n)  # raises OutOfMemory past the cap, having charged nothing
            self.held += n
            _charged[0] += n

    def collect(self, rows: Iterable[tuple[Any, ...]], factor: int = 1) -> list[tuple[Any, ...]]:
        """``list(rows)``, charging a sampled estimate (times ``factor`` for the structures the
        caller builds over the list, e.g. a hash table)."""
        out: list[tuple[Any, ...]] = []
        append = out.append
        for row in rows:
            append(row)
            if not len(out) % SAMPLE:
                self.add(row_size(row) * SAMPLE * factor)
        if out:
            self.add(row_size(out[-1]) * (len(out) % SAMPLE) * factor)
        self.flush()
        return out

    def close(self) -> None:
        if self.control is not None and self.held:
            self.control.release(self.held)
        self.held = self.pending = 0


def check_value(nbytes: int, message: str = "requested length too large") -> None:
    """Refuse to build a value of ``nbytes``: 54000 past PostgreSQL's 1 GB limit, 53200 past
    what is left of the statement's cap. Call it before allocating."""
    if nbytes > MAX_VALUE:
        raise ProgramLimitExceeded(message)
    if nbytes > _STEP:
        interrupt.charge(nbytes)  # raises past the cap; the value is the caller's to hold
        interrupt.release(nbytes)


def check_concat(held: int, more: int) -> None:
    """A string built by appending ``more`` bytes to ``held``: PostgreSQL's StringInfo limit."""
    if held + more > MAX_VALUE:
        raise ProgramLimitExceeded(
            "out of memory",
            detail=f"Cannot enlarge string buffer containing {held} bytes by {more} more bytes.",
        )
    check_value(held + more)


# -- handing memory back ----------------------------------------------------------------------


def _load_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


_malloc_trim = _load_trim()


_charged = [0]  # bytes charged by all statements since the last trim


def maybe_trim(threshold: int) -> None:
    """``trim`` once statements have charged more than ``threshold`` bytes since the last."""
    if _charged[0] > threshold:
        _charged[0] = 0
        trim()


def trim() -> None:
    """Give the C allocator's free pages back to the OS (glibc keeps freed memory in its arenas,
    so RSS stays at a large statement's peak otherwise). Costs a few ms: call it after
    statements that held more than work_mem, not after every one."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def release() -> None:
    """Free what the statements left behind and hand it to the OS: for a server gone quiet.

    Much of a statement's garbage is cyclic (sqlglot trees link children to parents; plans,
    closures and tracebacks point back at their owners) and waits for CPython's full
    collection, which runs only as new objects pile up, so an idle server would keep it for
    good: after the regression scripts from four sessions, 23,000 such objects held ~110 MB.
    A full collection takes ~0.1 s for a few hundred thousand objects."""
    gc.collect()
    trim()


def fits(nbytes: int) -> None:
    """53200 unless ``nbytes`` more fit in what is left of the statement's cap."""
    interrupt.charge(nbytes)
    interrupt.release(nbytes)

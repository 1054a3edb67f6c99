"""A Jepsen-style history: every client operation as an invocation and a completion.

``type`` is "invoke", then one of "ok" (it happened), "fail" (it surely did not) or "info"
(unknown: a timeout or a lost connection; it may or may not have happened, at any time
after its invocation). Times are seconds since the run started.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

#: The error text of an operation a client recorded as ``info`` because it raised something
#: unexpected (a harness bug, or a reply the client could not make sense of) starts with this.
CLIENT_ERROR = "client error: "
#: ``f`` of the final reads, one per node after the faults heal; process ``FINAL_PROCESS + i``
#: reads through node ``i`` (0-based).
FINAL_READ = "final-read"
FINAL_PROCESS = 1000


@dataclass
class Op:
    process: int
    type: str  # invoke, ok, fail, info
    f: str
    value: Any
    time: float
    error: str | None = None


@dataclass
class History:
    ops: list[Op] = field(default_factory=list)
    faults: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, what
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def now(self) -> float:
        return time.monotonic() - self.started

    def add(self, process: int, type_: str, f: str, value: Any, error: str | None = None) -> Op:
        op = Op(process, type_, f, value, self.now(), error)
        with self._lock:
            self.ops.append(op)
        return op

    def pairs(self) -> Iterator[tuple[Op, Op | None]]:
        """(invocation, completion or None if the run ended first), in invocation order."""
        open_: dict[int, Op] = {}
        done: list[tuple[Op, Op | None]] = []
        for op in self.ops:
            if op.type == "invoke":
                open_[op.process] = op
            else:
                inv = open_.pop(op.process, None)
                if inv is not None:
                    done.append((inv, op))
        done.extend((inv, None) for inv in open_.values())
        done.sort(key=lambda p: p[0].time)
        return iter(done)

    @classmethod
    def load(cls, path: str) -> History:
        """A history written by ``dump``."""
        h = cls()
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if "fault" in row:
                    h.faults.append((row["start"], row["end"], row["fault"]))
                else:
                    h.ops.append(Op(**row))
        return h

    def dump(self, path: str) -> None:
        with open(path, "w") as f:
            for op in self.ops:
                f.write(json.dumps(asdict(op)) + "\n")
            for start, end, what in self.faults:
                f.write(json.dumps({"fault": what, "start": start, "end": end}) + "\n")


def history_of(*rows: tuple[int, str, str, Any]) -> History:
    """A hand-made history for checker tests: (process, type, f, value), one time step each."""
    h = History()
    for i, (p, t, f, v) in enumerate(rows):
        h.ops.append(Op(p, t, f, v, float(i)))
    return h

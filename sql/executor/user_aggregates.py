"""Running user aggregates (CREATE AGGREGATE): a state advanced by the transition function,
and over a window frame PostgreSQL's nodeWindowAgg sequence of calls, which a transition
function can observe (the regression suite's logging aggregates do).

A strict transition function is not called with a NULL argument, and with no INITCOND the
first argument becomes the state (nodeAgg's rule). In the moving mode the state counts the
rows it holds: the last row is removed by starting afresh, never by the inverse, and an
inverse that answers NULL makes the aggregate start afresh from the frame's first row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kv import interrupt
from sql.errors import SqlError
from sql.plan.nodes import Transition, UserAgg


class UserState:
    """One user aggregate's running state in one mode."""

    def __init__(self, t: Transition) -> None:
        self.t = t
        self.value: Any = t.init
        self.count = 0  # rows in the state (PostgreSQL's transValueCount)

    def reset(self) -> None:
        self.value, self.count = self.t.init, 0

    def add(self, args: tuple[Any, ...]) -> None:
        t = self.t
        if t.strict:
            if any(v is None for v in args):
                return
            if self.count == 0 and self.value is None:
                self.value, self.count = args[0], 1
                return
            if self.value is None:
                return  # a strict function answered NULL: it stays NULL
        self.count += 1
        self.value = t.step.fn((self.value, *args))
        if t.inverse is not None and self.value is None:
            raise SqlError("moving-aggregate transition function must not return null").with_state(
                "22004"
            )

    def remove(self, args: tuple[Any, ...]) -> bool:
        """Take a row out by the inverse; False: it answered NULL, start afresh."""
        t = self.t
        assert t.inverse is not None
        if t.inverse_strict and any(v is None for v in args):
            return True
        if self.count == 1:
            self.reset()
            return True
        value = t.inverse.fn((self.value, *args))
        if value is None:
            return False
        self.value = value
        self.count -= 1
        return True

    def result(self) -> Any:
        t = self.t
        if t.final is None:
            return self.value
        if t.final_strict and self.value is None:
            return None
        return t.final.fn((self.value,))


def over_frames(
    user: UserAgg,
    value: Callable[[int], tuple[bool, Any]],
    starts: list[int],
    ends: list[int],
    head_moves: bool,
    segments: Callable[[int], list[tuple[int, int]]] | None,
    step: Callable[[], None],
) -> list[Any]:
    """The aggregate at each position of a partition whose frames are ``[starts, ends)``
    (``segments``: the frames less EXCLUDE's rows, when it excludes any). ``value(pos)``
    says whether the row at ``pos`` feeds the aggregate (FILTER) and gives its arguments.
    The moving mode serves frames whose start moves, unless the call is volatile. ``step()``
    is called once per row fed or removed (it checks for a cancel or timeout)."""
    moving = user.moving if head_moves and not user.volatile else None
    st = UserState(moving or user.plain)
    out: list[Any] = []
    base = upto = 0
    for pos in range(len(starts)):
        if not pos & 1023:
            interrupt.check()
        head, tail = starts[pos], max(ends[pos], starts[pos])
        restart = (
            pos == 0 or (base != head and moving is None) or segments is not None or upto <= head
        )
        while not restart and base < head:
            step()
            fed, args = value(base)
            if fed and not st.remove(args):
                restart = True
            base += 1
        base = head
        if restart:
            st.reset()
            upto = head
        if segments is not None:
            for lo, hi in segments(pos):
                for p in range(lo, hi):
                    step()
                    fed, args = value(p)
                    if fed:
                        st.add(args)
            upto = tail
        while upto < tail:
            step()
            fed, args = value(upto)
            if fed:
                st.add(args)
            upto += 1
        out.append(st.result())
    return out

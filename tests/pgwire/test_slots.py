"""Statement slots on their own: the bound, each tenant's share, round-robin grants across
tenants (FIFO within one), interrupting a queued statement, and a caller that goes away."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from kv import interrupt
from kv.interrupt import Interrupted, Reason
from pgwire.slots import StatementSlots, Ticket, default_tenant_share


class Gate:
    """Work that blocks until released, recording the order it started in."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.events: dict[str, threading.Event] = {}

    def work(self, name: str) -> Callable[[], str]:
        event = self.events[name] = threading.Event()

        def fn() -> str:
            self.started.append(name)
            assert event.wait(10)
            return name

        return fn


async def until(cond: Callable[[], bool]) -> None:
    for _ in range(1000):
        if cond():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


def test_tenant_share_leaves_others_a_slot() -> None:
    assert [default_tenant_share(n) for n in (1, 2, 4, 8, 16)] == [1, 1, 3, 6, 12]


def test_bound_share_and_round_robin_across_tenants() -> None:
    async def main() -> None:
        slots = StatementSlots(3, 2)
        gate = Gate()
        tasks = {}
        for name in ["a1", "a2", "a3", "a4", "b1", "b2", "c1", "c2"]:
            tasks[name] = asyncio.create_task(slots.run(Ticket(name[0].encode()), gate.work(name)))
            await asyncio.sleep(0)
        await until(lambda: len(gate.started) == 3)
        # a1, a2 take a's share; b1 fits; everything else waits.
        assert sorted(gate.started) == ["a1", "a2", "b1"]
        assert slots.running == 3 and slots.queued == 5
        for done in ["a1", "b1", "a2", "c1", "a3"]:
            before = len(gate.started)
            gate.events[done].set()
            assert await tasks[done] == done
            await until(lambda b=before: len(gate.started) == b + 1)  # type: ignore[misc]
            assert slots.running <= 3 and slots.running_for(b"a") <= 2
        # Freed slots went round-robin over the waiting tenants, FIFO within each.
        assert gate.started[3:] == ["a3", "b2", "c1", "a4", "c2"]
        for event in gate.events.values():
            event.set()
        await asyncio.gather(*tasks.values())
        assert slots.running == 0 and slots.queued == 0

    asyncio.run(main())


def test_interrupting_a_queued_statement_takes_it_out_of_the_queue() -> None:
    async def main() -> None:
        slots = StatementSlots(1, 1)
        gate = Gate()
        first = asyncio.create_task(slots.run(Ticket(b"a"), gate.work("first")))
        await until(lambda: gate.started == ["first"])
        seen: list[Reason] = []
        ticket = Ticket(b"b", seen.append)
        queued = asyncio.create_task(slots.run(ticket, gate.work("never")))
        await until(lambda: slots.queued == 1)
        slots.interrupt(ticket, Reason.CANCEL)
        with pytest.raises(Interrupted) as err:
            await queued
        assert err.value.sqlstate == "57014" and seen == []
        assert slots.queued == 0
        # A caller that goes away while queued leaves no trace either.
        leaving = asyncio.create_task(slots.run(Ticket(b"c"), gate.work("never2")))
        await until(lambda: slots.queued == 1)
        leaving.cancel()
        await asyncio.gather(leaving, return_exceptions=True)
        assert slots.queued == 0
        gate.events["first"].set()
        await first
        assert gate.started == ["first"] and slots.running == 0

    asyncio.run(main())


def test_close_interrupts_running_and_refuses_new_statements() -> None:
    async def main() -> None:
        slots = StatementSlots(2, 2)
        gate = Gate()
        seen: list[Reason] = []
        running = asyncio.create_task(slots.run(Ticket(b"a", seen.append), gate.work("r")))
        await until(lambda: gate.started == ["r"])
        slots.close(Reason.SHUTDOWN)
        assert seen == [Reason.SHUTDOWN]  # the running statement is told to stop
        with pytest.raises(Interrupted) as err:
            await slots.run(Ticket(b"a"), gate.work("late"))
        assert err.value.sqlstate == "57P01"
        assert not await slots.wait_idle(0.05)
        gate.events["r"].set()
        await running
        assert await slots.wait_idle(1.0)

    asyncio.run(main())


def test_on_idle_runs_once_the_slots_go_quiet_and_never_while_one_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server hands memory back when it goes quiet (issue 12): ``on_idle`` runs once no
    statement has ended for IDLE_S and none runs, once per quiet period, and not at all
    after close."""
    monkeypatch.setattr("pgwire.slots.IDLE_S", 0.05)
    calls: list[int] = []  # statements running when on_idle was called
    idle = threading.Event()

    async def main() -> None:
        slots: StatementSlots

        def on_idle() -> None:
            calls.append(slots.running)
            idle.set()

        slots = StatementSlots(2, 2, on_idle)
        assert not idle.wait(0.2), "on_idle ran before any statement"
        gate = Gate()
        long = asyncio.create_task(slots.run(Ticket(b"t"), gate.work("long")))
        await until(lambda: gate.started == ["long"])
        await slots.run(Ticket(b"t"), lambda: "short")  # ends while "long" still runs
        assert not await asyncio.to_thread(idle.wait, 0.3), "on_idle ran while one ran"
        gate.events["long"].set()
        await long
        assert await asyncio.to_thread(idle.wait, 5)
        assert calls == [0]
        idle.clear()
        assert not await asyncio.to_thread(idle.wait, 0.3), "twice in one quiet period"
        await slots.run(Ticket(b"t"), lambda: "again")
        assert await asyncio.to_thread(idle.wait, 5)
        assert calls == [0, 0]
        idle.clear()
        slots.close()
        assert not await asyncio.to_thread(idle.wait, 0.3), "on_idle ran after close"

    asyncio.run(main())


def test_a_statement_waiting_for_a_lock_lends_its_slot_and_takes_it_back() -> None:
    """A statement parked on a row lock (kv.interrupt.parked) gives its slot to the next one,
    which may be the lock's holder; back from the wait it runs on without queueing."""

    async def main() -> None:
        slots = StatementSlots(1, 1)
        parked, resume = threading.Event(), threading.Event()

        def waiter() -> str:
            with interrupt.parked():
                parked.set()
                assert resume.wait(10)
            return "waiter"

        first = asyncio.create_task(slots.run(Ticket(b"a"), waiter))
        await until(parked.is_set)
        assert await slots.run(Ticket(b"a"), lambda: "holder") == "holder"
        resume.set()
        assert await first == "waiter"
        assert slots.running == 0

    asyncio.run(main())

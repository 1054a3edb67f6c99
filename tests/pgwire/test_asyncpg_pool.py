"""asyncpg's default pool end to end: every release runs its reset query
(``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;``), so connections are
acquired, used and released many times, concurrently, and what one user left behind (a
session advisory lock, a setting, an open cursor) is gone for the next."""

from __future__ import annotations

import asyncio

from tests.pgwire.conftest import PASSWORD, USER, Running


def test_asyncpg_pool_acquires_uses_and_releases_concurrently(pg: Running) -> None:
    import asyncpg

    async def main() -> None:
        pool = await asyncpg.create_pool(
            host="127.0.0.1",
            port=pg.port,
            user=USER,
            password=PASSWORD,
            database="postgres",
            ssl="require",
            min_size=2,
            max_size=4,
        )
        assert pool is not None
        try:
            async with pool.acquire() as conn:
                await conn.execute("CREATE TABLE hits (worker int, n int)")

            async def worker(i: int) -> None:
                for n in range(5):
                    async with pool.acquire() as conn:
                        # left held on purpose: the pool's reset must release it
                        assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", i)
                        await conn.execute("SET application_name = 'dirty'")
                        async with conn.transaction():
                            # bound, so binary results: a void travels as no bytes
                            assert (
                                await conn.fetchval("SELECT pg_advisory_xact_lock($1)", 1000)
                                is None
                            )
                            await conn.execute("INSERT INTO hits VALUES ($1, $2)", i, n)
                            await conn.execute("DECLARE c CURSOR WITH HOLD FOR SELECT 1")

            await asyncio.gather(*(worker(i) for i in range(8)))
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT count(*) FROM hits") == 40
                assert await conn.fetchval("SHOW application_name") == ""
                assert await conn.fetchval("SELECT count(*) FROM pg_cursors") == 0
                assert await conn.fetchval("SELECT count(*) FROM pg_locks") == 0
                for i in range(8):  # every worker's session lock was released
                    assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", i)
        finally:
            await pool.close()

    asyncio.run(asyncio.wait_for(main(), 120))


def test_a_dropped_connection_releases_its_advisory_locks(pg: Running) -> None:
    import asyncpg

    async def main() -> None:
        kw = dict(host="127.0.0.1", port=pg.port, user=USER, password=PASSWORD,
                  database="postgres", ssl="require")  # fmt: skip
        holder = await asyncpg.connect(**kw)  # type: ignore[arg-type]
        other = await asyncpg.connect(**kw)  # type: ignore[arg-type]
        try:
            await holder.execute("SELECT pg_advisory_lock(42)")
            assert not await other.fetchval("SELECT pg_try_advisory_lock(42)")
            waiting = asyncio.ensure_future(other.execute("SELECT pg_advisory_lock(42)"))
            holder.terminate()  # the socket closes without a Terminate message
            await asyncio.wait_for(waiting, 30)
            pid = await other.fetchval("SELECT pg_backend_pid()")
            assert await other.fetch("SELECT pid, mode, granted FROM pg_locks") == [
                (pid, "ExclusiveLock", True)
            ]
        finally:
            await other.close()

    asyncio.run(main())


def test_a_waiter_that_drops_its_connection_takes_nothing(pg: Running) -> None:
    import asyncpg

    async def main() -> None:
        kw = dict(host="127.0.0.1", port=pg.port, user=USER, password=PASSWORD,
                  database="postgres", ssl="require")  # fmt: skip
        holder = await asyncpg.connect(**kw)  # type: ignore[arg-type]
        waiter = await asyncpg.connect(**kw)  # type: ignore[arg-type]
        try:
            await holder.execute("SELECT pg_advisory_lock(43)")
            waiting = asyncio.ensure_future(waiter.execute("SELECT pg_advisory_lock(43)"))
            query = "SELECT count(*) FROM pg_locks WHERE NOT granted"
            while not await holder.fetchval(query):  # the wait is visible in pg_locks
                await asyncio.sleep(0.005)
            waiter.terminate()
            while await holder.fetchval(query):  # the statement stopped, its wait is gone
                await asyncio.sleep(0.005)
            assert await holder.fetchval("SELECT pg_advisory_unlock(43)")
            assert await holder.fetchval("SELECT pg_try_advisory_lock(43)")
            waiting.cancel()
        finally:
            await holder.close()

    asyncio.run(asyncio.wait_for(main(), 60))

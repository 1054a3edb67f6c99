"""Time settings (statement_timeout, lock_timeout, idle_in_transaction_session_timeout,
idle_session_timeout) read, print and scope as PostgreSQL 15 does: the same accepted values,
the same normalised SHOW text, the same 22023 message and HINT for garbage, and SET inside a
transaction reverting with it (SET LOCAL lasting only to its end). Compared with a real
PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv.errors import Db9Error
from tests.sql.differential import Differ

TIME_SETTINGS = (
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
)

# What SET accepts and refuses, as PostgreSQL 15 reads it: numbers are milliseconds; units are
# case-sensitive; fractions round to the next smaller unit, then to a whole millisecond.
VALUES = [
    "'2s'",
    "2000",
    "'2000'",
    "'1min'",
    "'90min'",
    "'1.5h'",
    "0",
    "'0'",
    "'1.5s'",
    "'1.25s'",
    "'1.0005s'",
    "'1 s'",
    "' 1s '",
    "'+5s'",
    "'60s'",
    "'3600000'",
    "'86400000'",
    "'7d'",
    "'24d'",
    "'25d'",
    "'2147483647'",
    "'2147483648'",
    "'0x10'",
    "'010'",
    "1e3",
    "'1.5e3'",
    "'1e3ms'",
    "1.5",
    "'2.5'",
    "'3.5'",
    "'0.5ms'",
    "'1.5ms'",
    "'1500us'",
    "'1.5us'",
    "-1",
    "'-1'",
    "'-5s'",
    "'abc'",
    "abc",
    "on",
    "''",
    "'  '",
    "'nan'",
    "'inf'",
    "'1e400'",
    "'5 parsecs'",
    "'1S'",
    "'1sec'",
    "'100 abcd'",
    "'1s x'",
    "2s",
    "1, 2",
    "DEFAULT",
]


TINY = ("1.5", "'2.5'", "'3.5'", "'1.5ms'", "'1500us'", "'0x10'", "'010'")


def _pg(conn: psycopg.Connection[Any], sql: str) -> tuple[Any, ...]:
    try:
        cur = conn.execute(sql.encode())
    except psycopg.Error as exc:
        return ("error", exc.sqlstate, exc.diag.message_primary, exc.diag.message_hint)
    return ("ok", cur.statusmessage, cur.fetchall() if cur.description else None)


def _db9(differ: Differ, sql: str) -> tuple[Any, ...]:
    try:
        result = differ.session.execute(sql)[-1]
    except Db9Error as exc:
        return ("error", exc.sqlstate, exc.message, getattr(exc, "hint", None))
    return ("ok", result.tag, result.rows)


def _same(differ: Differ, sql: str) -> None:
    ours, theirs = _db9(differ, sql), _pg(differ.pg, sql)
    assert ours == theirs, f"{sql}\n  db9:        {ours}\n  postgresql: {theirs}"


def _set_and_show(differ: Differ, name: str, value: str) -> None:
    _same(differ, f"SET {name} = {value}")
    _same(differ, f"SHOW {name}")
    _same(differ, f"SELECT current_setting('{name}')")
    _same(differ, f"SELECT setting, unit, vartype, min_val, max_val FROM pg_settings "
                  f"WHERE name = '{name}'")  # fmt: skip
    _same(differ, f"RESET {name}")


@pytest.mark.parametrize("name", TIME_SETTINGS)
def test_time_settings_read_and_print_as_postgresql(differ: Differ, name: str) -> None:
    differ.pg.autocommit = True
    for value in VALUES:
        if name in ("statement_timeout", "idle_session_timeout") and value in TINY:
            continue  # 2 ms cancels the next statement (or ends the session) on both sides
        _set_and_show(differ, name, value)
    _same(differ, f"SET {name} TO '3s'")
    _same(differ, f"SET SESSION {name} TO DEFAULT")
    _same(differ, f"SHOW {name}")


_UNITS = st.sampled_from(["", "us", "ms", "s", "min", "h", "d", " ms", "S", "sec", "m"])
_NUMBERS = st.one_of(
    st.integers(min_value=-10, max_value=3_000_000_000).map(str),
    st.decimals(min_value=-1, max_value=100_000, places=3, allow_nan=False).map(str),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=_NUMBERS, unit=_UNITS)
def test_numbers_with_units_read_and_print_as_postgresql(
    differ: Differ, number: str, unit: str
) -> None:
    differ.pg.autocommit = True
    _set_and_show(differ, "lock_timeout", f"'{number}{unit}'")


def test_set_in_a_rolled_back_transaction_reverts_and_set_local_ends_with_it(
    differ: Differ,
) -> None:
    differ.pg.autocommit = True
    script = [
        "SET LOCAL lock_timeout = '1s'",  # outside a block: a warning, no effect
        "SHOW lock_timeout",
        "SET lock_timeout = '2s'",
        "BEGIN",
        "SET lock_timeout = '3s'",
        "SHOW lock_timeout",
        "ROLLBACK",
        "SHOW lock_timeout",
        "BEGIN",
        "SET lock_timeout = '3s'",
        "SAVEPOINT a",
        "SET lock_timeout = '4s'",
        "SET LOCAL statement_timeout = '5min'",
        "SHOW lock_timeout",
        "ROLLBACK TO SAVEPOINT a",
        "SHOW lock_timeout",
        "SHOW statement_timeout",
        "SET LOCAL lock_timeout = '5s'",
        "SHOW lock_timeout",
        "COMMIT",
        "SHOW lock_timeout",
        "BEGIN",
        "SET LOCAL lock_timeout = '6s'",
        "SET lock_timeout = '7s'",
        "RELEASE SAVEPOINT nosuch",  # fails the block: what it set reverts
        "ROLLBACK",
        "SHOW lock_timeout",
        "BEGIN",
        "SAVEPOINT b",
        "SET idle_session_timeout = '1min'",
        "RELEASE SAVEPOINT b",
        "SET LOCAL lock_timeout = '8s'",
        "COMMIT",
        "SHOW idle_session_timeout",
        "SHOW lock_timeout",
        "BEGIN",
        "RESET ALL",
        "SHOW lock_timeout",
        "ROLLBACK",
        "SHOW lock_timeout",
        "BEGIN",
        "SELECT set_config('lock_timeout', '9000', true)",
        "SHOW lock_timeout",
        "SELECT set_config('statement_timeout', '1h', false)",
        "COMMIT",
        "SHOW lock_timeout",
        "SHOW statement_timeout",
        "SELECT set_config('lock_timeout', 'abc', false)",
        "SELECT set_config('lock_timeout', '2min', true)",  # outside a block: this statement only
        "SHOW lock_timeout",
        "BEGIN",
        "DISCARD ALL",
        "ROLLBACK",
        "SHOW statement_timeout",
        "DISCARD ALL",  # what a connection pooler sends between clients
        "SHOW statement_timeout",
        "SHOW lock_timeout",
    ]
    for sql in script:
        _same(differ, sql)

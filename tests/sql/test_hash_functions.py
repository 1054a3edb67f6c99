"""hashtext, hashtextextended, hashint4 and hashint8 as PostgreSQL computes them (apps make
advisory lock keys of names with ``pg_advisory_lock(hashtext('...'))``)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    s=_TEXT,
    seed=st.integers(-(2**63), 2**63 - 1),
    i4=st.integers(-(2**31), 2**31 - 1),
    i8=st.integers(-(2**63), 2**63 - 1),
)
def test_hash_functions_match_postgres(differ: Differ, s: str, seed: int, i4: int, i8: int) -> None:
    lit = "'" + s.replace("'", "''") + "'"
    differ.check(
        f"SELECT hashtext({lit}), hashtextextended({lit}, {seed}), hashint4({i4}), "
        f"hashint8({i8}), hashtext(NULL)"
    )


def test_an_advisory_lock_keyed_by_a_name(differ: Differ) -> None:
    differ.check("SELECT pg_try_advisory_lock(hashtext('schema_migrations'))")
    differ.check("SELECT objid::int4, objsubid FROM pg_locks WHERE locktype = 'advisory'")
    differ.check("SELECT pg_advisory_unlock(hashtext('schema_migrations'))")


def test_oid_and_int4_cast_as_the_same_bits(differ: Differ) -> None:
    differ.check("SELECT 2771225302::oid::int4, (-1)::oid, (-1523741994)::int4::oid")
    differ.check("SELECT 4294967295::oid::integer, 0::oid::int4, 2147483647::oid::int4")

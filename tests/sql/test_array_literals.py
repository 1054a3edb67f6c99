"""Array text input (array_in) against a live PostgreSQL: which characters are the
whitespace around unquoted elements (ASCII only: a no-break space is element text, as in
psycopg's unquoted text[] parameters), escapes that keep trailing spaces, quotes, NULL."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

PIECES = st.sampled_from(
    [" ", "\t", "\n", "\xa0", "\u2003", "a", "é", "\\", '"', ",", "{", "}", "NULL", "\\ ", "1"]
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(elements=st.lists(st.lists(PIECES, max_size=4).map("".join), min_size=1, max_size=3))
@example(elements=["\xa08x"])
@example(elements=[" a\\ ", "\xa0"])
@example(elements=["\u2003NULL\u2003"])
def test_text_array_input_matches_postgresql(differ: Differ, elements: list[str]) -> None:
    text = "{" + ",".join(elements) + "}"
    differ.check(f"SELECT {_literal(text)}::text[], {_literal(text)}::varchar[]")

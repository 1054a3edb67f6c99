"""pg_trgm (built in: sql.trigram) against a live PostgreSQL with the extension installed:
show_trgm, similarity, word_similarity and strict_word_similarity, their operators and
thresholds (set_limit, the pg_trgm.* settings), and trgm indexes accepted; hypothesis draws
strings of words, punctuation and non-ASCII letters for the similarity functions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

SETUP = [
    # before CREATE EXTENSION there are no such functions or operators
    "SELECT similarity('a', 'b')",
    "SELECT 'a' <% 'b'",
    "SELECT show_limit()",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE cities (id int PRIMARY KEY, name text)",
    "INSERT INTO cities VALUES (1, 'Baykal'), (2, 'Kabankala'), (3, 'Lake Baikal shore'),"
    " (4, 'Krasnoyarsk Kray'), (5, NULL), (6, 'Bay-kal'), (7, 'cat sat on the mat')",
]
SCRIPT = [
    "SELECT show_trgm('Cat sat! on: a MAT, 42x')",
    "SELECT show_trgm(''), show_trgm('  ,, '), show_trgm('ä é Zürich')",
    "SELECT similarity('word', 'two words'), similarity('', 'x'), similarity('abc', NULL)",
    "SELECT word_similarity('word', 'two words'), strict_word_similarity('word', 'two words')",
    "SELECT id, similarity(name, 'Baykal'), word_similarity('Baykal', name),"
    " strict_word_similarity('Baykal', name) FROM cities ORDER BY id",
    "SELECT id FROM cities WHERE name % 'Baykal' ORDER BY id",
    "SELECT id FROM cities WHERE 'Baykal' <% name ORDER BY id",
    "SELECT id FROM cities WHERE name %> 'Baykal' ORDER BY id",
    "SELECT id FROM cities WHERE 'Baykal' <<% name ORDER BY id",
    "SELECT id FROM cities WHERE name %>> 'Baykal' ORDER BY id",
    "SELECT id, name <-> 'Baykal', 'Baykal' <<-> name, name <->> 'Baykal',"
    " 'Baykal' <<<-> name, name <->>> 'Baykal' FROM cities ORDER BY id",
    "SELECT id FROM cities ORDER BY name <-> 'Kabankala', id LIMIT 3",
    "SELECT show_limit(), current_setting('pg_trgm.similarity_threshold')",
    "SELECT set_limit(0.5)",
    "SELECT show_limit(), current_setting('pg_trgm.similarity_threshold')",
    "SELECT id FROM cities WHERE name % 'Baykal' ORDER BY id",
    "SET pg_trgm.word_similarity_threshold = 0.3",
    "SHOW pg_trgm.word_similarity_threshold",
    "SELECT id FROM cities WHERE 'Baykal' <% name ORDER BY id",
    "SET pg_trgm.strict_word_similarity_threshold TO 0.25",
    "SELECT id FROM cities WHERE 'Baykal' <<% name ORDER BY id",
    "SET pg_trgm.similarity_threshold = 1.5",
    "SET pg_trgm.similarity_threshold = 'abc'",
    "SELECT set_limit(2)",
    "SELECT 7 % 3, 7.5 % 2",
    "SELECT 1 <% 2",
    "CREATE INDEX cities_gin ON cities USING gin (name gin_trgm_ops)",
    "CREATE INDEX cities_gist ON cities USING gist (name gist_trgm_ops)",
    "CREATE INDEX cities_gist2 ON cities USING gist (name gist_trgm_ops(siglen=32))",
    "SELECT id FROM cities WHERE name % 'Baykal' ORDER BY id",
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cities' ORDER BY 1",
]


def test_pg_trgm_matches_postgres(differ: Differ) -> None:
    for sql in SETUP + SCRIPT:
        differ.check(sql)


_WORDS = st.lists(
    st.one_of(
        st.sampled_from(["cat", "Cats", "kal", "Baykal", "bay", "x", "42", "ab1", "é", "Zürich"]),
        st.text(alphabet="abcxyzAB19 -,.éü", max_size=8),
    ),
    max_size=5,
).map(" ".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=_WORDS, b=_WORDS)
def test_similarities_match_postgres(differ: Differ, a: str, b: str) -> None:
    differ.check("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    qa, qb = (s.replace("'", "''") for s in (a, b))
    differ.check(
        f"SELECT show_trgm('{qa}'), similarity('{qa}', '{qb}'), word_similarity('{qa}', '{qb}'),"
        f" strict_word_similarity('{qa}', '{qb}'), '{qa}' <->>> '{qb}', '{qa}' % '{qb}'"
    )

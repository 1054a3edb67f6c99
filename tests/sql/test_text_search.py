"""Full-text search against PostgreSQL 15: tsvector/tsquery input and output, the default
parser's tokens seen through to_tsvector (simple and english), to_tsquery and its plain,
phrase and web-search forms, ``@@`` with phrases, weights, prefixes and negation,
ts_headline, ts_rank/ts_rank_cd, json documents, values stored in tables, and the errors
of bad input. Hypothesis draws documents from words, numbers, hyphenated words, hosts,
e-mail addresses, tags, stop words and punctuation, and queries from the tsquery grammar;
db9 must answer as PostgreSQL does."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

_SETTINGS = settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

WORDS = st.sampled_from([
    "fat", "cats", "rats", "the", "and", "running", "ran", "supernovae", "Stars", "a", "in",
    "über", "naïve", "café", "abc123", "123abc", "42", "-7", "+3", "3.14", "1e5", "1.2.3",
    "foo-bar", "x-1", "a1-b2", "über-straße", "me@x.org", "www.x.org", "x.y", "readme.txt",
    "/usr/lib/x.so", "http://x.org/a", "<b>", "</b>", "&amp;", "it's", "ab_cd",
])  # fmt: skip
SEPARATORS = st.sampled_from([" ", "  ", ", ", ". ", "; ", " - ", "\n", " (", ") "])
QUERY_WORDS = st.sampled_from(["fat", "cat", "rat", "star", "supernova", "run", "a", "the",
                               "foo", "bar", "foo-bar", "42", "x"])  # fmt: skip


@st.composite
def document(draw: st.DrawFn, max_words: int = 12) -> str:
    words = draw(st.lists(WORDS, min_size=0, max_size=max_words))
    out = ""
    for i, w in enumerate(words):
        out += (draw(SEPARATORS) if i else "") + w
    return out


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def query(draw: st.DrawFn, depth: int = 0) -> str:
    """A tsquery text: operands with optional :* and weights, ! & | <-> <N> and parens."""
    kind = draw(st.integers(0, 5 if depth < 2 else 0))
    if kind == 0:
        suffix = draw(st.sampled_from(["", "", ":*", ":A", ":BC", ":*D"]))
        return draw(QUERY_WORDS) + suffix
    if kind == 1:
        return "!" + draw(query(depth + 1))
    op = draw(st.sampled_from(["&", "|", "<->", "<2>", "<0>"]))
    left, right = draw(query(depth + 1)), draw(query(depth + 1))
    return f"({left} {op} {right})" if draw(st.booleans()) else f"{left} {op} {right}"


@_SETTINGS
@given(doc=document(), cfg=st.sampled_from(["simple", "english"]))
def test_to_tsvector_of_generated_documents_matches_postgres(
    differ: Differ, doc: str, cfg: str
) -> None:
    differ.check(f"SELECT to_tsvector('{cfg}', {_lit(doc)}), length(to_tsvector({_lit(doc)}))")


@_SETTINGS
@given(doc=document(), q=query(), cfg=st.sampled_from(["simple", "english"]))
def test_match_of_generated_queries_matches_postgres(
    differ: Differ, doc: str, q: str, cfg: str
) -> None:
    vec = f"to_tsvector('{cfg}', {_lit(doc)})"
    differ.check(
        f"SELECT to_tsquery('{cfg}', {_lit(q)}), {vec} @@ to_tsquery('{cfg}', {_lit(q)}), "
        f"strip({vec}) @@ to_tsquery('{cfg}', {_lit(q)}), {_lit(q)}::tsquery"
    )


@_SETTINGS
@given(doc=document(max_words=60), text=document())
def test_query_forms_and_headline_of_generated_text_match_postgres(
    differ: Differ, doc: str, text: str
) -> None:
    t = _lit(text)
    differ.check(
        f"SELECT plainto_tsquery('english', {t}), phraseto_tsquery('english', {t}), "
        f"websearch_to_tsquery('english', {t}), ts_headline('english', {_lit(doc)}, "
        f"plainto_tsquery('english', {t})), ts_headline('simple', {_lit(doc)}, "
        f"to_tsquery('simple', 'fat | cats'), 'MaxWords=5, MinWords=2, ShortWord=2'), "
        f"ts_headline('english', {_lit(doc)}, to_tsquery('english', 'fat | star & cat'), "
        f"'MaxFragments=2, MaxWords=6, MinWords=2')"
    )


CASES = [
    # input and output forms
    """SELECT 'a:1A,2 b:3'::tsvector, $$'it''s' 'a\\\\b'$$::tsvector, 'b a a:3,1,3B'::tsvector""",
    "SELECT 'w:13* asd:1dc'::tsvector, ''::tsvector, ' '::tsquery",
    "SELECT 'a <-> (b <-> c)'::tsquery, '!(a & b)'::tsquery, '!!a'::tsquery, "
    "'a & (b | c)'::tsquery, '(a <-> b) <-> c'::tsquery, 'c:* & d:AB'::tsquery",
    "SELECT 'a:1bx'::tsvector",
    "SELECT 'a & '::tsquery",
    "SELECT 'a <x> b'::tsquery",
    # configurations and query forms
    "SELECT to_tsquery('english', 'foo-bar & !the & (a|b) <-> c:* & d:AB')",
    "SELECT to_tsquery('english','(fat | rat) <-> cat'), to_tsquery('a <-> (b <-> c)'), "
    "to_tsquery('a <2> b'), to_tsquery('!(a & b)')",
    "SELECT plainto_tsquery('english','The Fat Rats'), "
    "phraseto_tsquery('english','The Fat Rats in the house'), "
    """websearch_to_tsquery('english','"supernovae stars" -crab or fat')""",
    "SELECT websearch_to_tsquery('simple', 'x or or y'), websearch_to_tsquery('simple', "
    "'abc <-> def'), websearch_to_tsquery('english', 'this is ----fine'), "
    "websearch_to_tsquery('simple', 'cat OR')",
    "SELECT to_tsvector('xx', 'a')",
    "SELECT 'english'::regconfig, get_current_ts_config(), to_tsvector('pg_catalog.simple', 'A')",
    # matching
    "SELECT to_tsvector('english', 'a fat cat sat on a mat') @@ to_tsquery('english', q) "
    "FROM (VALUES ('fat <-> cat'), ('cat <-> fat'), ('fat <2> sat'), ('sat <-> !cat'), "
    "('!fat <-> cat'), ('ma:*'), ('(fat | rat) <-> cat'), ('fat & !dog')) v(q)",
    "SELECT 'fat:1A cat:2'::tsvector @@ 'fat:A'::tsquery, 'fat:1A cat:2'::tsvector @@ "
    "'cat:A'::tsquery, 'fat cats' @@ 'cat', to_tsvector('fat cats') @@ 'cat'",
    "SELECT strip(to_tsvector('simple', 'x y q y')) @@ q::tsquery FROM (VALUES "
    "('!(x <-> y)'), ('!x <-> !y'), ('x <-> y'), ('x & y'), ('!q')) v(q)",
    # functions of vectors and queries
    "SELECT setweight(to_tsvector('english','fat cat'), 'A'), strip('a:1 b:2'::tsvector), "
    "length(to_tsvector('english','fat cat fat')), numnode('a & b'::tsquery), "
    "to_tsvector('a b') || to_tsvector('c a')",
    "SELECT 'a & b'::tsquery && 'c'::tsquery, 'a'::tsquery || 'b | c'::tsquery, "
    "'a' <-> 'b & d'::tsquery, tsquery_phrase('a <3> g', 'b & d', 10), "
    "'foo & bar'::tsquery || !!'asd & fg'::tsquery",
    "SELECT ts_delete('a:1 b:2 c:3'::tsvector, 'b'), ts_delete('a b c'::tsvector, ARRAY['a', "
    "NULL, 'x']), ts_filter('a:1A b:2 c:3B'::tsvector, '{a,b}'), tsvector_to_array('a b'), "
    "array_to_tsvector(ARRAY['b', 'a', 'b'])",
    "SELECT array_to_tsvector(ARRAY['a', NULL])",
    "SELECT ts_filter('a:1A'::tsvector, '{a,NULL}')",
    "SELECT 'a' < 'b & c'::tsquery, 'a | f' < 'b & c'::tsquery, 'a | ff' < 'b & c'::tsquery",
    # ranking
    "SELECT ts_rank(v::tsvector, q::tsquery), ts_rank_cd(v::tsvector, q::tsquery), "
    "ts_rank(v::tsvector, q::tsquery, 1|4|32), ts_rank('{0.1, 0.2, 0.4, 0.9}', v::tsvector, "
    "q::tsquery) FROM (VALUES (' a:1 s:2C d g', 'a | s'), (' a:1 sa:2C d g', 'a | s:*'), "
    "(' a:1 s:2B d g', 'a & s'), (' a:1 s:2A d g', 'a <-> s'), (' a:1 sa:2A sb:2D g', "
    "'a <-> s:*'), ('a b c', 'a & c')) x(v, q)",
    # headlines
    "SELECT ts_headline('english','The quick brown fox jumps over the lazy dog and then the "
    "quick fox runs away quickly from all the dogs in the farm while the farmer sleeps "
    "soundly', to_tsquery('fox & dog'))",
    "SELECT ts_headline('english','a-b foo-bar baz <i>x</i> bar', to_tsquery('bar')), "
    "ts_headline('english','aaa bbb', to_tsquery('bbb & ddd')), "
    "ts_headline('english', 'The quick brown fox jumps', to_tsquery('fox'), "
    "'StartSel=<<, StopSel=>>, MaxWords=3, MinWords=1')",
    "SELECT ts_headline('english', 'The quick brown fox', to_tsquery('fox'), "
    "'MaxWords=1, MinWords=2')",
    # a NOT on the left of a phrase matches where nothing is, before the first word too
    # (hypothesis found '!fat <-> fat' against 'fat')
    "SELECT to_tsvector('simple', 'fat') @@ to_tsquery('simple', '!fat <-> fat'), "
    "to_tsvector('simple', 'b') @@ '!a <-> b'::tsquery, "
    "to_tsvector('simple', 'b') @@ '!a <2> b'::tsquery, "
    "to_tsvector('simple', 'a b') @@ '!a <-> b'::tsquery",
    # quoted option values (Django's SearchHeadline quotes each): '' and "" inside
    "SELECT ts_headline('english', 'Sir Robin ran. Brave Sir Robin', to_tsquery('robin'), "
    "'StartSel=''<span>'', StopSel=\"</\"\"span>\", MaxFragments=2, "
    "FragmentDelimiter=''...<br>'', MinWords=1, MaxWords=3')",
    # json documents
    """SELECT ts_headline('{"a": "aaa bbb", "b": {"c": "ccc ddd fff", "c1": "ccc1 ddd1"}, """
    """"d": ["ggg hhh", "iii jjj"]}'::json, tsquery('bbb & ddd & hhh')), ts_headline('{"a": """
    """"aaa bbb", "d": ["ggg hhh", 1]}'::jsonb, tsquery('bbb & hhh'))""",
    """SELECT json_to_tsvector('english', '{"a": "aaa in bbb", "b": 123, "c": 456, "d": true, """
    """"f": false, "g": null}'::json, '"all"'), jsonb_to_tsvector('english', '{"a": "aaa", """
    """"b": 123.50}'::jsonb, '["numeric","key"]'), to_tsvector('{"a": ["x y", 2]}'::jsonb)""",
    """SELECT json_to_tsvector('english', '{"a": "aaa"}'::json, '""')""",
    """SELECT json_to_tsvector('english', '{"a": "aaa"}'::json, '{}')""",
    """SELECT json_to_tsvector('english', '{"a": "aaa"}'::json, '["all", null]')""",
]


@pytest.mark.parametrize("sql", CASES)
def test_text_search_statement_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(sql)


def test_text_search_values_are_stored_filtered_and_ordered_as_postgres(differ: Differ) -> None:
    differ.check(
        "CREATE TABLE docs (id int PRIMARY KEY, body text, v tsvector, q tsquery, cfg regconfig)"
    )
    differ.check(
        "INSERT INTO docs VALUES (1, 'fat cats ate fat rats', to_tsvector('english', "
        "'fat cats ate fat rats'), 'fat & rat', 'english'), (2, 'the supernovae', "
        "'supernova:2', 'star:*', 'simple'), (3, NULL, NULL, NULL, NULL)"
    )
    differ.check("SELECT * FROM docs ORDER BY id")
    differ.check("SELECT id FROM docs WHERE v @@ q ORDER BY id")
    differ.check("SELECT id FROM docs WHERE v @@ to_tsquery(cfg, 'supernovae') ORDER BY id")
    differ.check("UPDATE docs SET v = v || 'new:1A' WHERE id = 1")
    differ.check("SELECT v, q FROM docs ORDER BY v, id")
    differ.check("SELECT id FROM docs WHERE to_tsvector(cfg, body) @@ 'fat' ORDER BY id")

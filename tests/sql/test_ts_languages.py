"""PostgreSQL's snowball text search configurations beyond english (Django's SearchVector
and SearchQuery with config='french' ...), against a live PostgreSQL: stemming, the
language's stop words, ASCII words of the non-Latin configurations stemmed as english."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT to_tsvector('french', 'Les chevaux mangeaient des pommes dans les prairies')",
    "SELECT to_tsvector('french', 'Nous aimons les bicyclettes, elles roulaient vite')",
    "SELECT to_tsquery('french', 'chevaux & pommes'), plainto_tsquery('french', 'Les chevaux')",
    "SELECT to_tsvector('french', 'Les chevaux') @@ plainto_tsquery('french', 'cheval')",
    "SELECT to_tsvector('german', 'Die Häuser und die Bäume waren grün')",
    "SELECT to_tsvector('spanish', 'Los caballos corrían por las montañas')",
    "SELECT to_tsvector('russian', 'running horses bought')",
    "SELECT to_tsvector('pg_catalog.dutch', 'De fietsen stonden buiten'), "
    "to_tsvector('italian', 'Le biciclette erano rosse')",
    "SELECT websearch_to_tsquery('french', '\"les chevaux\" -pommes')",
    "SELECT to_tsvector('klingon', 'x')",
]


def test_snowball_configurations_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)

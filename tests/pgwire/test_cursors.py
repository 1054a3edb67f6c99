"""psycopg's server-side (named) cursors over pgwire: DECLARE with bound parameters,
Describe of the cursor as a portal, FETCH FORWARD in batches, scrolling, CLOSE."""

from __future__ import annotations

import psycopg

from tests.pgwire.conftest import Running


def test_psycopg_named_cursor_streams_in_batches(pg: Running) -> None:
    with psycopg.connect(pg.dsn()) as conn:
        conn.execute("CREATE TABLE big (id int PRIMARY KEY, label text)")
        conn.execute("INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, 250) g")
        conn.commit()
        with conn.cursor(name="c") as cur:
            cur.itersize = 40
            cur.execute("SELECT id, label FROM big WHERE id > %s ORDER BY id", (5,))
            assert [d.name for d in cur.description or []] == ["id", "label"]
            first = cur.fetchone()
            assert first == (6, "row 6")
            assert cur.fetchmany(3) == [(7, "row 7"), (8, "row 8"), (9, "row 9")]
            rest = list(cur)
            assert len(rest) == 241 and rest[-1] == (250, "row 250")
        with conn.cursor(name="s", scrollable=True) as cur:
            cur.execute("SELECT id FROM big ORDER BY id")
            cur.scroll(10, mode="absolute")
            assert cur.fetchone() == (11,)
            cur.scroll(-3)
            assert cur.fetchone() == (9,)
        conn.commit()
        with conn.cursor(name="h", withhold=True) as cur:
            cur.execute("SELECT count(*) FROM big")
            conn.commit()  # a held cursor outlives its transaction
            assert cur.fetchone() == (250,)

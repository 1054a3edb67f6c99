"""Alembic's autogenerate round trip on a schema of every common column type, index kind,
foreign key and constraint, against PostgreSQL 15 and db9.

    .venv/bin/python -m bench.alembic_roundtrip            # both servers
    .venv/bin/python -m bench.alembic_roundtrip --servers db9 --keep /tmp/alembic

Steps, each on a fresh server: ``alembic revision --autogenerate`` against the empty database
(must generate the whole create), ``alembic upgrade head``, autogenerate again against the
unchanged schema (must report no changes), ``alembic downgrade base`` (must leave no
table). Prints each step's result per server; ``roundtrip()`` is what the CI test runs.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import alembic
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql as pg

from bench.servers import Server, db9_server, free_base, pg_server

_ENV = """
from alembic import context
from sqlalchemy import create_engine

from bench.alembic_roundtrip import OPTIONS, metadata

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata(), **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""
# Compare everything autogenerate can: types and server defaults are off by default.
OPTIONS: dict[str, Any] = {"compare_type": True, "compare_server_default": True}


def metadata() -> sa.MetaData:
    """The schema: every common column type, index kind, FK action and constraint."""
    md = sa.MetaData()
    mood = pg.ENUM("sad", "ok", "happy", name="mood")
    sa.Table(
        "parent", md,
        sa.Column("id", sa.Integer, sa.Identity(always=True), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.Text, server_default=sa.text("'unnamed'"), comment="display name"),
        sa.UniqueConstraint("code", name="uq_parent_code"),
        comment="the parent table",
    )  # fmt: skip
    kinds = sa.Table(
        "kinds", md,
        sa.Column("id", sa.Integer, primary_key=True),  # serial
        sa.Column("big_id", sa.BigInteger, sa.Identity(start=10, increment=5), nullable=False),
        sa.Column("parent_id", sa.Integer,
                  sa.ForeignKey("parent.id", ondelete="CASCADE", onupdate="RESTRICT")),
        sa.Column("other_parent", sa.Integer, sa.ForeignKey("parent.id", ondelete="SET NULL")),
        sa.Column("i_small", sa.SmallInteger, server_default=sa.text("0")),
        sa.Column("i_int", sa.Integer, nullable=False),
        sa.Column("i_big", sa.BigInteger),
        sa.Column("amount", sa.Numeric(12, 2), server_default=sa.text("0.00")),
        sa.Column("ratio", pg.DOUBLE_PRECISION),
        sa.Column("ratio_r", pg.REAL),
        sa.Column("flag", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("txt", sa.Text),
        sa.Column("name", sa.String(50), comment="a name"),
        sa.Column("code", sa.CHAR(3)),
        sa.Column("day", sa.Date),
        sa.Column("at", sa.Time),
        sa.Column("ts", sa.DateTime),
        sa.Column("tstz", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("span", sa.Interval),
        sa.Column("uid", sa.Uuid),
        sa.Column("doc", sa.JSON),
        sa.Column("docb", pg.JSONB, server_default=sa.text("'{}'::jsonb")),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("ints", pg.ARRAY(sa.Integer)),
        sa.Column("tags", pg.ARRAY(sa.Text)),
        sa.Column("mood", mood),
        sa.CheckConstraint("i_small >= 0", name="ck_kinds_small"),
        sa.UniqueConstraint("i_big", "txt", name="uq_kinds_big_txt"),
        comment="one column of each kind",
    )  # fmt: skip
    sa.Index("ix_kinds_multi", kinds.c.i_int, kinds.c.i_big)
    sa.Index("ix_kinds_name", kinds.c.name, unique=True)
    sa.Index("ix_kinds_lower_txt", sa.func.lower(kinds.c.txt))
    sa.Index("ix_kinds_partial", kinds.c.i_int, postgresql_where=kinds.c.flag)
    sa.Index("ix_kinds_ts_desc", kinds.c.ts.desc())
    sa.Table(
        "child", md,
        sa.Column("kind_id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("note", sa.String(200)),
        sa.ForeignKeyConstraint(["kind_id"], ["kinds.id"], name="fk_child_kind",
                                ondelete="CASCADE", onupdate="CASCADE"),
    )  # fmt: skip
    return md


@dataclass
class Roundtrip:
    server: str
    created: list[str] = field(default_factory=list)  # the first revision's operations
    upgraded: bool = False
    changes: list[str] = field(default_factory=list)  # autogenerate after the upgrade
    downgraded: bool = False
    left: list[str] = field(default_factory=list)  # tables after the downgrade
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error and bool(self.created) and self.upgraded and not self.changes
            and self.downgraded and not self.left
        )  # fmt: skip


def sqlalchemy_url(server: Server) -> str:
    fields = dict(part.split("=", 1) for part in server.conninfo.split())
    auth = fields["user"] + (f":{server.password}" if server.password else "")
    return f"postgresql+psycopg://{auth}@{fields['host']}:{fields['port']}/{fields['dbname']}"


def _ops(diffs: list[Any]) -> list[str]:
    out = []
    for d in diffs:
        if isinstance(d, list):  # a column's modifications come as a list of tuples
            out += [f"{m[0]} {m[2]}.{m[3]}" for m in d]
        else:
            target = getattr(d[1], "name", d[1])
            out.append(f"{d[0]} {target}")
    return out


def roundtrip(url: str, name: str, keep: Path | None = None) -> Roundtrip:
    """The round trip against the database at ``url`` (empty on entry)."""
    result = Roundtrip(name)
    work = Path(tempfile.mkdtemp(prefix="db9-alembic-")) if keep is None else keep
    cfg = Config()
    cfg.set_main_option("script_location", str(work / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    scripts = work / "migrations"
    (scripts / "versions").mkdir(parents=True, exist_ok=True)
    (scripts / "env.py").write_text(_ENV)
    template = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    (scripts / "script.py.mako").write_text(template.read_text())
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts=OPTIONS)
            result.created = _ops(compare_metadata(ctx, metadata()))
        command.revision(cfg, message="create", autogenerate=True)
        command.upgrade(cfg, "head")
        result.upgraded = True
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts=OPTIONS)
            result.changes = _ops(compare_metadata(ctx, metadata()))
        command.downgrade(cfg, "base")
        result.downgraded = True
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            # Alembic's downgrade drops tables, not the enum types their creation made (on
            # PostgreSQL too): only tables count.
            result.left = [t for t in insp.get_table_names() if t != "alembic_version"]
    except Exception as exc:  # the step that failed is the finding
        lines = str(exc).splitlines()
        statement = next((ln.strip() for ln in lines if ln.startswith("[SQL:")), "")
        result.error = f"{type(exc).__name__}: {lines[0][:200]} {statement[:300]}"
    finally:
        engine.dispose()
    return result


def main(argv: list[str] | None = None) -> list[Roundtrip]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", default="postgresql,db9", help="comma-separated: postgresql,db9")
    ap.add_argument("--keep", type=Path, help="write the migration scripts under this folder")
    args = ap.parse_args(argv)
    results = []
    for name in args.servers.split(","):
        base = free_base(1)
        server_cm = pg_server(base) if name == "postgresql" else db9_server(base)
        keep = args.keep / name if args.keep else None
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
        with server_cm as server:
            results.append(roundtrip(sqlalchemy_url(server), name, keep))
    print("| server | ops in the first revision | upgrade | changes after upgrade | "
          "downgrade | left after downgrade | error |")  # fmt: skip
    print("|---|---:|---|---:|---|---|---|")
    for r in results:
        print(f"| {r.server} | {len(r.created)} | {'ok' if r.upgraded else '-'} | "
              f"{len(r.changes)} {', '.join(r.changes)} | {'ok' if r.downgraded else '-'} | "
              f"{', '.join(r.left)} | {r.error} |")  # fmt: skip
    return results


if __name__ == "__main__":
    main()

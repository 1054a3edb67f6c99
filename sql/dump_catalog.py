"""The pg_catalog relations pg_dump 15 reads beyond what psql and the drivers need.

pg_dump names every object by (tableoid, oid) and matches pg_description, pg_depend and
pg_init_privs rows to it by the catalog's oid, so each system relation answers ``tableoid``
with PostgreSQL's own fixed oid for that catalog (``sql.system_oids``), and ``'pg_class'::regclass``
is that oid too. Dependencies db9 knows are pg_depend rows: a serial or identity column's
sequence (deptype a / i, which pg_dump turns into OWNED BY), a column default's sequence, and a
view's query on the relations it reads (through the view's ``_RETURN`` rule in pg_rewrite), so
pg_dump orders what it writes as PostgreSQL's own dump would. Catalogs of objects db9 does not
have (operators, casts, text search configurations, foreign servers, publications, ...) have
PostgreSQL's columns and hold no user rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql import extension_catalog, extensions
from sql import types as T
from sql.catalog import Catalog, TableDef
from sql.sequences import NEXTVAL
from sql.system_oids import BY_NAME
from sql.types import SqlType

Rows = list[tuple[Any, ...]]
I2, I4, TXT, BOOL, OIDT, NAME, CHR = T.INT2, T.INT4, T.TEXT, T.BOOL, T.OID, T.NAME, T.CHAR

PG_CLASS, PG_ATTRDEF, PG_REWRITE = BY_NAME["pg_class"], 2604, 2618

# Languages (pg_language): the built-in ones and plpgsql, as initdb makes them.
LANGUAGES = [(12, "internal", False), (13, "c", False), (14, "sql", False),
             (13576, "plpgsql", True)]  # fmt: skip


def pg_language(_c: Catalog) -> Rows:
    return [(oid, name, 10, ispl, ispl, 0, 0, 0, None) for oid, name, ispl in LANGUAGES]


def _sequence(c: Catalog, name: str | None, table: TableDef) -> TableDef | None:
    if not name:
        return None
    schema, _, rel = name.rpartition(".")
    return c.find(rel.strip('"'), schema.strip('"') or table.schema, [table.schema])


def rewrite_oid(view: TableDef) -> int:
    """The oid of a view's ``_RETURN`` rule: unique among pg_rewrite's rows, which is all
    pg_dump needs of it (relation oids are spaced far enough apart)."""
    return view.id * 1000 + 999


def pg_depend(c: Catalog) -> Rows:
    """(classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)."""
    rows: Rows = []
    for t in c.all_tables():
        if t.kind == "view":
            rule = rewrite_oid(t)
            rows.append((PG_REWRITE, rule, 0, PG_CLASS, t.id, 0, "i"))
            rows += [(PG_REWRITE, rule, 0, PG_CLASS, d, 0, "n") for d in t.depends if d != t.id]
            continue
        if t.kind != "table":
            continue
        for num, col in enumerate(t.live_columns, 1):
            seq = _sequence(c, col.sequence, t)
            if seq is not None:
                rows.append(
                    (PG_CLASS, seq.id, 0, PG_CLASS, t.id, num, "i" if col.identity else "a")
                )
            if col.default is not None and not col.identity:
                for name in NEXTVAL.findall(col.default):
                    used = _sequence(c, name.replace('"', ""), t)
                    if used is not None:
                        rows.append((PG_ATTRDEF, t.id * 1000 + num, 0, PG_CLASS, used.id, 0, "n"))
    return rows + extensions.depend_rows(c) + extension_catalog.depend_rows(c)


def pg_rewrite(c: Catalog) -> Rows:
    """Views' ``_RETURN`` rules (a table's CREATE RULE rules are not listed: pg_dump could not
    print them without pg_get_ruledef)."""
    return [
        (rewrite_oid(t), "_RETURN", t.id, "1", "O", True, None, None)
        for t in c.all_tables()
        if t.kind == "view"
    ]


def empty(_c: Catalog) -> Rows:
    return []


Cols = list[tuple[str, SqlType]]
ACL = TXT.array_of()  # aclitem[] in PostgreSQL: db9 has no aclitem type
RELATIONS: dict[tuple[str, str], tuple[Cols, Callable[..., Rows], bool]] = {
    ("pg_catalog", "pg_language"): (
        [("oid", OIDT), ("lanname", NAME), ("lanowner", OIDT), ("lanispl", BOOL),
         ("lanpltrusted", BOOL), ("lanplcallfoid", OIDT), ("laninline", OIDT),
         ("lanvalidator", OIDT), ("lanacl", ACL)],
        pg_language, False,
    ),
    ("pg_catalog", "pg_depend"): (
        [("classid", OIDT), ("objid", OIDT), ("objsubid", I4), ("refclassid", OIDT),
         ("refobjid", OIDT), ("refobjsubid", I4), ("deptype", CHR)],
        pg_depend, False,
    ),
    ("pg_catalog", "pg_rewrite"): (
        [("oid", OIDT), ("rulename", NAME), ("ev_class", OIDT), ("ev_type", CHR),
         ("ev_enabled", CHR), ("is_instead", BOOL), ("ev_qual", TXT), ("ev_action", TXT)],
        pg_rewrite, False,
    ),
    ("pg_catalog", "pg_init_privs"): (
        [("objoid", OIDT), ("classoid", OIDT), ("objsubid", I4), ("privtype", CHR),
         ("initprivs", ACL)],
        empty, False,
    ),
    ("pg_catalog", "pg_operator"): (
        [("oid", OIDT), ("oprname", NAME), ("oprnamespace", OIDT), ("oprowner", OIDT),
         ("oprkind", CHR), ("oprleft", OIDT), ("oprright", OIDT), ("oprresult", OIDT),
         ("oprcode", T.REGPROC)],
        empty, False,
    ),
    ("pg_catalog", "pg_opfamily"): (
        [("oid", OIDT), ("opfmethod", OIDT), ("opfname", NAME), ("opfnamespace", OIDT),
         ("opfowner", OIDT)],
        empty, False,
    ),
    ("pg_catalog", "pg_amop"): (
        [("oid", OIDT), ("amopfamily", OIDT), ("amoplefttype", OIDT),
         ("amoprighttype", OIDT), ("amopstrategy", I2), ("amopopr", OIDT)],
        empty, False,
    ),
    ("pg_catalog", "pg_amproc"): (
        [("oid", OIDT), ("amprocfamily", OIDT), ("amproclefttype", OIDT),
         ("amprocrighttype", OIDT), ("amprocnum", I2), ("amproc", T.REGPROC)],
        empty, False,
    ),
    ("pg_catalog", "pg_ts_parser"): (
        [("oid", OIDT), ("prsname", NAME), ("prsnamespace", OIDT), ("prsstart", T.REGPROC),
         ("prstoken", T.REGPROC), ("prsend", T.REGPROC), ("prsheadline", T.REGPROC),
         ("prslextype", T.REGPROC)],
        empty, False,
    ),
    ("pg_catalog", "pg_ts_template"): (
        [("oid", OIDT), ("tmplname", NAME), ("tmplnamespace", OIDT), ("tmplinit", T.REGPROC),
         ("tmpllexize", T.REGPROC)],
        empty, False,
    ),
    ("pg_catalog", "pg_ts_dict"): (
        [("oid", OIDT), ("dictname", NAME), ("dictnamespace", OIDT), ("dictowner", OIDT),
         ("dicttemplate", OIDT), ("dictinitoption", TXT)],
        empty, False,
    ),
    ("pg_catalog", "pg_ts_config"): (
        [("oid", OIDT), ("cfgname", NAME), ("cfgnamespace", OIDT), ("cfgowner", OIDT),
         ("cfgparser", OIDT)],
        empty, False,
    ),
    ("pg_catalog", "pg_foreign_data_wrapper"): (
        [("oid", OIDT), ("fdwname", NAME), ("fdwowner", OIDT), ("fdwhandler", OIDT),
         ("fdwvalidator", OIDT), ("fdwacl", ACL), ("fdwoptions", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_foreign_server"): (
        [("oid", OIDT), ("srvname", NAME), ("srvowner", OIDT), ("srvfdw", OIDT),
         ("srvtype", TXT), ("srvversion", TXT), ("srvacl", ACL),
         ("srvoptions", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_foreign_table"): (
        [("ftrelid", OIDT), ("ftserver", OIDT), ("ftoptions", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_user_mapping"): (
        [("oid", OIDT), ("umuser", OIDT), ("umserver", OIDT), ("umoptions", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_default_acl"): (
        [("oid", OIDT), ("defaclrole", OIDT), ("defaclnamespace", OIDT),
         ("defaclobjtype", CHR), ("defaclacl", ACL)],
        empty, False,
    ),
    ("pg_catalog", "pg_conversion"): (
        [("oid", OIDT), ("conname", NAME), ("connamespace", OIDT), ("conowner", OIDT),
         ("conforencoding", I4), ("contoencoding", I4), ("conproc", T.REGPROC),
         ("condefault", BOOL)],
        empty, False,
    ),
    ("pg_catalog", "pg_cast"): (
        [("oid", OIDT), ("castsource", OIDT), ("casttarget", OIDT), ("castfunc", OIDT),
         ("castcontext", CHR), ("castmethod", CHR)],
        empty, False,
    ),
    ("pg_catalog", "pg_transform"): (
        [("oid", OIDT), ("trftype", OIDT), ("trflang", OIDT), ("trffromsql", T.REGPROC),
         ("trftosql", T.REGPROC)],
        empty, False,
    ),
    ("pg_catalog", "pg_event_trigger"): (
        [("oid", OIDT), ("evtname", NAME), ("evtevent", NAME), ("evtowner", OIDT),
         ("evtfoid", OIDT), ("evtenabled", CHR), ("evttags", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_subscription"): (
        [("oid", OIDT), ("subdbid", OIDT), ("subname", NAME), ("subowner", OIDT),
         ("subenabled", BOOL), ("subbinary", BOOL), ("substream", BOOL),
         ("subtwophasestate", CHR), ("subdisableonerr", BOOL), ("subconninfo", TXT),
         ("subslotname", NAME), ("subsynccommit", TXT), ("subpublications", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_largeobject_metadata"): (
        [("oid", OIDT), ("lomowner", OIDT), ("lomacl", ACL)],
        empty, False,
    ),
    ("pg_catalog", "pg_seclabels"): (
        [("objoid", OIDT), ("classoid", OIDT), ("objsubid", I4), ("objtype", TXT),
         ("objnamespace", OIDT), ("objname", TXT), ("provider", TXT), ("label", TXT)],
        empty, False,
    ),
    ("pg_catalog", "pg_seclabel"): (
        [("objoid", OIDT), ("classoid", OIDT), ("objsubid", I4), ("provider", TXT),
         ("label", TXT)],
        empty, False,
    ),
    ("pg_catalog", "pg_shseclabel"): (
        [("objoid", OIDT), ("classoid", OIDT), ("provider", TXT), ("label", TXT)],
        empty, False,
    ),
    ("pg_catalog", "pg_db_role_setting"): (
        [("setdatabase", OIDT), ("setrole", OIDT), ("setconfig", TXT.array_of())],
        empty, False,
    ),
    ("pg_catalog", "pg_tablespace"): (
        [("oid", OIDT), ("spcname", NAME), ("spcowner", OIDT), ("spcacl", ACL),
         ("spcoptions", TXT.array_of())],
        lambda _c: [(1663, "pg_default", 10, None, None), (1664, "pg_global", 10, None, None)],
        False,
    ),
}  # fmt: skip

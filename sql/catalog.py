"""The catalog: schemas, tables, columns, constraints, indexes and sequences, stored in KV.

Definitions are rows like any other, read at the transaction's snapshot, so a transaction
(and a branch forked at a timestamp) sees the schema as of its snapshot, and DDL commits or
rolls back with the transaction. Every DDL bumps the catalog version in the same transaction:
concurrent DDL conflicts like any write, and sessions cache a parsed catalog per version.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from kv.client import Transaction
from kv.codec import decode_key
from sql import layout
from sql.errors import (
    DuplicateObject,
    DuplicateSchema,
    DuplicateTable,
    FeatureNotSupported,
    InvalidSchemaName,
    UndefinedColumn,
    UndefinedTable,
    WrongObjectType,
)
from sql.types import SqlType, type_by_name, type_from_json, with_modifiers

_U64 = struct.Struct(">Q")
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
FIRST_USER_OID = 16384
PUBLIC_OID = 2200
SYSTEM_SCHEMA_OIDS = {"pg_catalog": 11, "information_schema": 13181}
BOOTSTRAP_ROLE = 10  # the superuser that logged in (PostgreSQL's BOOTSTRAP_SUPERUSERID)
# The collations every PostgreSQL database has (pg_collation's rows: sql.system_catalog); all
# compare text byte by byte, as db9 does.
BUILT_IN_COLLATIONS = ("default", "C", "POSIX", "ucs_basic")


@dataclass(slots=True)
class ColumnDef:
    name: str
    type_name: str  # base type name, as type_by_name reads it
    attnum: int  # position in the stored row tuple (1-based, stable)
    modifiers: list[int] = field(default_factory=list)
    array: bool = False
    not_null: bool = False
    default: str | None = None  # a SQL expression in PostgreSQL syntax
    identity: str | None = None  # "always" / "by default" for GENERATED ... AS IDENTITY
    # GENERATED ALWAYS AS (expr) STORED: the expression (PostgreSQL syntax) over the row's
    # other columns, computed by sql.dml.TableWriter.generate on every INSERT and UPDATE
    generated: str | None = None
    sequence: str | None = None  # the sequence feeding a serial/identity column
    dropped: bool = False
    inherited: int = 0  # parents the column comes from (attinhcount)
    local: bool = True  # defined by the table itself too (attislocal)
    comment: str | None = None  # COMMENT ON (sql.comments)
    acl: list[list[Any]] | None = None  # column privileges (sql.privileges); None: none granted
    collation: str | None = None  # COLLATE naming one of BUILT_IN_COLLATIONS

    udt: dict[str, Any] | None = None  # a user-defined type, as sql.types.type_to_json

    @property
    def type(self) -> SqlType:
        if self.udt is not None:
            t = type_from_json(self.udt)
            return t.array_of() if self.array else t
        base = type_by_name(self.type_name)
        assert base is not None, self.type_name
        t = with_modifiers(base, self.modifiers)
        return t.array_of() if self.array else t


@dataclass(slots=True)
class IndexDef:
    id: int
    name: str
    columns: list[str]
    unique: bool = False
    primary: bool = False
    descending: list[bool] = field(default_factory=list)
    oid: int = 0  # pg_class oid, unique in the database
    opclasses: list[str] = field(default_factory=list)  # per column, "" for the default
    include: list[str] = field(default_factory=list)  # INCLUDE columns: shown, not keyed
    method: str = "btree"  # as CREATE INDEX named it; every method is kept as a btree
    # Expression keys: per position the SQL of the key ("" for the plain column named in
    # ``columns``, which holds "" at an expression's position); empty when all are plain.
    exprs: list[str] = field(default_factory=list)
    predicate: str | None = None  # a partial index's WHERE, as SQL
    comment: str | None = None  # COMMENT ON (sql.comments)
    nulls_not_distinct: bool = False  # UNIQUE NULLS NOT DISTINCT: one NULL key at most
    options: list[str] = field(default_factory=list)  # WITH (...): reloptions, "name=value"
    # A partition's index attached to its partitioned table's index: that index's oid
    # (pg_inherits; pg_partition_tree of an index follows these).
    parent_oid: int = 0
    clustered: bool = False  # ALTER TABLE ... CLUSTER ON (sql.index_marks)
    replident: bool = False  # ALTER TABLE ... REPLICA IDENTITY USING INDEX

    @property
    def computed(self) -> bool:
        """Keys or membership computed by expressions: kept and enforced, never scanned."""
        return bool(self.exprs) or self.predicate is not None

    @property
    def scannable(self) -> bool:
        """A way for the planner to find rows by key: a btree (or hash) index of plain
        columns (sql.access_methods says why the others are not)."""
        return not self.computed and self.method in ("btree", "hash")


@dataclass(slots=True)
class ConstraintDef:
    name: str
    kind: str  # "p" primary key, "u" unique, "f" foreign key, "c" check, "n" not null,
    # "x" exclusion (sql.exclusion)
    columns: list[str] = field(default_factory=list)
    check: str | None = None  # SQL expression
    ref_table: str | None = None  # "schema.table"
    ref_columns: list[str] = field(default_factory=list)
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    index: str | None = None  # the index enforcing a "p"/"u"/"x" constraint
    operators: list[str] = field(default_factory=list)  # "x": per key of its index
    oid: int = 0
    comment: str | None = None  # COMMENT ON (sql.comments)
    inherited: bool = False  # a parent has it too (coninhcount > 0): not dropped alone
    local: bool = True  # the table defined it itself too (conislocal)
    # DEFERRABLE (a "u" constraint checked at the end of its statement, or at commit when
    # deferred: INITIALLY DEFERRED or SET CONSTRAINTS ... DEFERRED; sql.unique_checks; an
    # "f" constraint's checks wait for commit only when deferred, sql.deferrals.FkWaiting)
    deferrable: bool = False
    deferred: bool = False  # INITIALLY DEFERRED
    nulls_not_distinct: bool = False  # UNIQUE NULLS NOT DISTINCT
    no_inherit: bool = False  # CHECK ... NO INHERIT: this table's alone, never its children's
    # False: added NOT VALID (a "c"/"f" constraint the rows before it were not checked
    # against; new rows are) until ALTER TABLE ... VALIDATE CONSTRAINT checks them
    validated: bool = True


@dataclass(slots=True)
class TriggerDef:
    """CREATE TRIGGER: ``function`` (a routine's oid) runs ``timing`` ("before", "after",
    "instead") the ``events`` ("insert", "update", "delete", "truncate") for each row or
    once per statement."""

    name: str
    oid: int
    function: int
    timing: str
    events: list[str]
    row: bool
    columns: list[str] = field(default_factory=list)  # UPDATE OF
    when: str | None = None  # WHEN (...), as SQL over NEW and OLD
    args: list[str] = field(default_factory=list)  # TG_ARGV
    enabled: bool = True


@dataclass(slots=True)
class ArgDef:
    name: str  # "" when unnamed
    type: str  # SQL of its type, as CREATE FUNCTION spelt it
    mode: str = "i"  # PostgreSQL's proargmodes: i, o, b (inout), v (variadic), t (table)
    default: str | None = None  # SQL


@dataclass(slots=True)
class RoutineDef:
    """CREATE FUNCTION / PROCEDURE / AGGREGATE (pg_proc). An aggregate (kind "a") has no
    body: ``aggregate`` holds its CREATE AGGREGATE options (pg_aggregate) by lower-case name,
    as SQL text (``sfunc``, ``stype``, ``initcond``, ``msfunc``, ...)."""

    oid: int
    schema: str
    name: str
    kind: str  # "f" function, "p" procedure, "a" aggregate
    args: list[ArgDef]
    returns: str  # SQL of the result type: a type, "void", "trigger" or "record"
    retset: bool
    language: str  # "sql" or "plpgsql"
    body: str  # the source (prosrc); a BEGIN ATOMIC body's statements are in ``atomic``
    strict: bool = False
    volatility: str = "v"  # i, s, v
    atomic: list[str] = field(default_factory=list)
    aggregate: dict[str, str] = field(default_factory=dict)
    owner: int = BOOTSTRAP_ROLE  # the owning role's oid (proowner; ALTER ... OWNER TO)

    @property
    def in_args(self) -> list[ArgDef]:
        return [a for a in self.args if a.mode in ("i", "b", "v")]

    @property
    def out_args(self) -> list[ArgDef]:
        return [a for a in self.args if a.mode in ("o", "b", "t")]

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> RoutineDef:
        d: dict[str, Any] = json.loads(raw)
        d["args"] = [ArgDef(**a) for a in d["args"]]
        return cls(**d)


@dataclass(slots=True)
class RoleDef:
    """A role of the database (CREATE ROLE; pg_authid). The bootstrap superuser, the user that
    logged in, has oid BOOTSTRAP_ROLE and no entry (sql.roles makes its RoleDef)."""

    oid: int
    name: str
    superuser: bool = False
    inherit: bool = True
    createrole: bool = False
    createdb: bool = False
    login: bool = False
    replication: bool = False
    bypassrls: bool = False
    connlimit: int = -1
    password: str | None = None
    valid_until: str | None = None
    # Memberships (GRANT role TO this one; pg_auth_members): [role oid, admin option, grantor]
    member_of: list[list[Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> RoleDef:
        return cls(**json.loads(raw))


@dataclass(slots=True)
class TableDef:
    id: int
    schema: str
    name: str
    columns: list[ColumnDef]
    primary_key: list[str] = field(default_factory=list)  # empty: a hidden row id is the key
    indexes: list[IndexDef] = field(default_factory=list)
    constraints: list[ConstraintDef] = field(default_factory=list)
    kind: str = "table"  # "table", "sequence" or "view"
    # sequences: start, increment, min, max, cache (ints), type (its name), cycle (bool)
    seq: dict[str, Any] = field(default_factory=dict)
    index_seq: int = 0  # the highest index id given out: never reused (see kv.dropped)
    stats: dict[str, Any] = field(default_factory=dict)  # ANALYZE's numbers (sql.stats)
    comment: str | None = None  # COMMENT ON (sql.comments)
    query: str | None = None  # a view's query, relation names qualified (sql.views)
    # A materialized view (sql.matviews) is a table (kind "table") with its query kept.
    materialized: bool = False
    populated: bool = True  # a materialized view made or refreshed WITH NO DATA: False
    depends: list[int] = field(default_factory=list)  # ids of the relations a view reads
    # Inheritance (sql.inheritance): the parents' ids in INHERITS order; a partition has one.
    parents: list[int] = field(default_factory=list)
    # A partitioned table's key (sql.partitions): {"strategy": "list"|"range"|"hash",
    # "keys": [SQL of each key, a column name for a plain column], "opclasses": [...]}.
    partkey: dict[str, Any] | None = None
    # A partition's bound (sql.partitions): {"kind": "list", "values": [...]}, {"kind":
    # "range", "from": [...], "to": [...]}, {"kind": "hash", "modulus": m, "remainder": r}
    # or {"kind": "default"}; values are SQL literals ("MINVALUE"/"MAXVALUE" in a range).
    bound: dict[str, Any] | None = None
    triggers: list[TriggerDef] = field(default_factory=list)
    # Rules (sql.rules): {"name", "event": "insert"|"update"|"delete", "instead": bool,
    # "where": SQL or None, "actions": [SQL of each action statement]}.
    rules: list[dict[str, Any]] = field(default_factory=list)
    check_option: str | None = None  # a view's WITH [LOCAL|CASCADED] CHECK OPTION
    # A user-defined type (kind in TYPE_KINDS): an enum's "labels", a range's "subtype" and
    # "multirange_oid", a multirange's "subtype", "range_id", "range_name" and
    # "range_array_oid", and "array_oid"; a composite type's fields are its columns, a
    # domain's base type its one column "value" (with NOT NULL and DEFAULT) and its CHECKs
    # its constraints.
    type_def: dict[str, Any] = field(default_factory=dict)
    owner: int = BOOTSTRAP_ROLE  # the owning role's oid (relowner)
    # Privileges granted (sql.privileges): [grantee oid (0: PUBLIC), letters, grantor oid];
    # None is the default, the owner's every privilege (relacl NULL).
    acl: list[list[Any]] | None = None
    # Row-level security (sql.policies): ALTER TABLE ... ENABLE / FORCE ROW LEVEL SECURITY
    rls: bool = False
    rls_forced: bool = False
    # CREATE POLICY: {"name", "permissive" (bool), "command" (all, select, insert, update,
    # delete), "roles" (oids; [] is PUBLIC), "using" and "check" (SQL or None)}
    policies: list[dict[str, Any]] = field(default_factory=list)
    replident: str = "d"  # pg_class.relreplident: d, f, n, or i (sql.index_marks)

    @property
    def live_columns(self) -> list[ColumnDef]:
        return [c for c in self.columns if not c.dropped]

    def column(self, name: str) -> ColumnDef:
        for c in self.columns:
            if c.name == name and not c.dropped:
                return c
        raise UndefinedColumn(f'column "{name}" of relation "{self.name}" does not exist')

    def has_column(self, name: str) -> bool:
        return any(c.name == name and not c.dropped for c in self.columns)

    @property
    def width(self) -> int:
        """Length of the stored row tuple: every column ever added, dropped ones included."""
        return max((c.attnum for c in self.columns), default=0)

    def index(self, name: str) -> IndexDef | None:
        return next((i for i in self.indexes if i.name == name), None)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> TableDef:
        d: dict[str, Any] = json.loads(raw)
        d["columns"] = [ColumnDef(**c) for c in d["columns"]]
        d["indexes"] = [IndexDef(**i) for i in d["indexes"]]
        d["constraints"] = [ConstraintDef(**c) for c in d["constraints"]]
        d["triggers"] = [TriggerDef(**t) for t in d.get("triggers", [])]
        return cls(**d)


@dataclass(slots=True)
class Catalog:
    """An immutable picture of one database's catalog at one version."""

    version: int
    schemas: list[str]
    tables: dict[int, TableDef]
    schema_oids: dict[str, int] = field(default_factory=dict)
    routines: dict[int, RoutineDef] = field(default_factory=dict)
    _by_name: dict[tuple[str, str], TableDef] = field(init=False, repr=False, compare=False)

    types: dict[int, TableDef] = field(default_factory=dict)  # user-defined types
    roles: dict[int, RoleDef] = field(default_factory=dict)  # created roles (sql.roles)
    # installed extensions (sql.extensions); plpgsql from the start, as initdb installs it
    extensions: dict[str, Installed] = field(default_factory=lambda: dict(_PLPGSQL))
    # ALTER DEFAULT PRIVILEGES (pg_default_acl): [role oid, schema ("" all), object type ("r"
    # tables, "S" sequences), ACL, the entry's oid]; what a relation that role makes there
    # starts with.
    default_acls: list[list[Any]] = field(default_factory=list)
    _types_by_name: dict[tuple[str, str], TableDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name = {(t.schema, t.name): t for t in self.tables.values()}
        self._types_by_name = {(t.schema, t.name): t for t in self.types.values()}

    def find(self, name: str, schema: str | None, search_path: list[str]) -> TableDef | None:
        return _lookup(self._by_name, name, schema, search_path)

    def find_type(self, name: str, schema: str | None, search_path: list[str]) -> TableDef | None:
        """A user-defined type (CREATE TYPE, CREATE DOMAIN) by name."""
        return _lookup(self._types_by_name, name, schema, search_path)

    def table(self, name: str, schema: str | None, search_path: list[str]) -> TableDef:
        t = self.find(name, schema, search_path)
        if t is not None and t.kind == "view":
            raise FeatureNotSupported(f'cannot change view "{name}": db9 views are read-only')
        if t is not None and t.kind == "sequence":  # read by a query, changed by setval
            raise WrongObjectType(f'cannot change sequence "{name}"')
        schemas = [schema] if schema is not None else search_path
        if t is None and any(x.index(name) for x in self.tables.values() if x.schema in schemas):
            raise WrongObjectType(f'"{name}" is an index')
        if t is None or t.kind != "table":
            shown = f"{schema}.{name}" if schema else name
            raise UndefinedTable(f'relation "{shown}" does not exist')
        return t

    def all_tables(self) -> list[TableDef]:
        return sorted(self.tables.values(), key=lambda t: t.id)

    def children(self, table: TableDef) -> list[TableDef]:
        """The tables inheriting directly from ``table`` (a partitioned table's partitions)."""
        return [t for t in self.all_tables() if table.id in t.parents]

    def by_regclass(self, value: Any, search_path: list[str]) -> TableDef | None:
        """The relation a regclass value names: db9's regclass values are names (maybe
        schema-qualified); an oid, or an oid written as text ('16384'::regclass), works too."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return self.tables.get(int(value))
        schema, _, name = str(value).rpartition(".")
        return self.find(name.strip('"'), schema.strip('"') or None, search_path)

    def index_by_oid(self, oid: int) -> IndexDef | None:
        for t in self.tables.values():
            for i in t.indexes:
                if i.oid == oid:
                    return i
        return None

    def index_by_name(self, value: str, search_path: list[str]) -> IndexDef | None:
        """The index a regclass name (maybe schema-qualified) names, found as a relation
        name is: in the schema named, else the first schema of the path that has it."""
        schema, _, name = str(value).rpartition(".")
        name, schema = name.strip('"'), schema.strip('"')
        for s in [schema] if schema else search_path:
            for t in self.tables.values():
                if t.schema == s:
                    for i in t.indexes:
                        if i.name == name:
                            return i
        return None

    def ancestors(self, table: TableDef) -> list[TableDef]:
        """The partitioned tables above a partition, nearest first (a partition's rows are
        its ancestors' rows: what references them references it)."""
        out: list[TableDef] = []
        while table.bound is not None and table.parents:
            parent = self.tables.get(table.parents[0])
            if parent is None:
                break
            out.append(parent)
            table = parent
        return out

    def descendants(self, table: TableDef) -> list[TableDef]:
        """Every table below ``table`` in its inheritance tree, each once, parents first."""
        out: list[TableDef] = []
        todo = self.children(table)
        while todo:
            t = todo.pop(0)
            if all(t.id != o.id for o in out):
                out.append(t)
                todo += self.children(t)
        return out

    def routines_named(
        self, name: str, schema: str | None, search_path: list[str]
    ) -> list[RoutineDef]:
        """The routines called ``name``: of ``schema``, else of the first schema on the
        search path that has any."""
        schemas = [schema] if schema is not None else search_path
        for s in schemas:
            found = [r for r in self.routines.values() if r.name == name and r.schema == s]
            if found:
                return found
        return []


def _lookup(
    by_name: dict[tuple[str, str], TableDef], name: str, schema: str | None, path: list[str]
) -> TableDef | None:
    if schema is not None:
        return by_name.get((schema, name))
    for s in path:
        t = by_name.get((s, name))
        if t is not None:
            return t
    return None


# "base": an extension's base type (sql.extensions), e.g. hstore: type_def holds its
# "extension" and "category"
TYPE_KINDS = frozenset({"enum", "composite", "domain", "range", "multirange", "base"})


class Installed(NamedTuple):
    """An installed extension (sql.extensions): its oid, schema and comment (None: none)."""

    oid: int
    schema: str
    comment: str | None


_PLPGSQL: dict[str, Installed] = {
    "plpgsql": Installed(13_575, "pg_catalog", "PL/pgSQL procedural language")
}


def _extensions(raw: Any) -> dict[str, Installed]:
    """The installed extensions as stored: name -> [oid, schema, comment] (before: a list of
    names, plpgsql and pgcrypto only)."""
    if isinstance(raw, list):
        crypto = Installed(16_390, "public", "cryptographic functions")
        return {n: _PLPGSQL["plpgsql"] if n == "plpgsql" else crypto for n in raw}
    return {name: Installed(int(v[0]), str(v[1]), v[2] if len(v) > 2 else None)
            for name, v in raw.items()}  # fmt: skip


_CACHED_VERSIONS = 4


class CatalogStore:
    """Reads and writes catalog entries inside a KV transaction, for one database prefix."""

    def __init__(self, db: bytes) -> None:
        self.db = db
        self._cache: dict[int, Catalog] = {}
        # The definitions the last load read, by their stored bytes: a definition no DDL
        # changed is shared by the next version's catalog instead of parsed again (every
        # DDL makes a version, and parsing thousands of tables made each DDL O(catalog)).
        # Shared as cached catalogs are: never changed in place (DDL edits a copy,
        # ddl._catalog); a transaction that has written parses its own.
        self._defs: dict[bytes, TableDef] = {}

    def version(self, txn: Transaction) -> int:
        raw = txn.get(layout.meta_key(self.db, "catalog_version"))
        return _U64.unpack(raw)[0] if raw else 0

    def plan_version(self, txn: Transaction) -> int | None:
        """The catalog version a plan cached now is valid for; None while ``txn``'s own DDL
        is uncommitted: a rolled-back version's number is made again by the next DDL (of
        this transaction after ROLLBACK TO, or of the next one), for another catalog, and a
        plan of the old one would read a table that is gone."""
        if txn.wrote(layout.meta_key(self.db, "catalog_version")):
            return None
        return self.version(txn)

    def load(self, txn: Transaction) -> Catalog:
        version = self.version(txn)
        cached = self._cache.get(version)
        if cached is not None:
            return cached
        lo, hi = layout.table_defs_range(self.db)
        tables: dict[int, TableDef] = {}
        types: dict[int, TableDef] = {}
        known: dict[bytes, TableDef] = {} if txn.write_count else self._defs
        read = {}
        for _, raw in txn.iter_scan(lo, hi):
            t = known.get(raw) or TableDef.from_json(raw)
            read[raw] = t
            (types if t.kind in TYPE_KINDS else tables)[t.id] = t
        if not txn.write_count:
            self._defs = read
        slo, shi = layout.schemas_range(self.db)
        oids = dict(SYSTEM_SCHEMA_OIDS)
        schemas = []
        for k, v in txn.iter_scan(slo, shi):
            name = decode_key(k, len(slo))[0]
            schemas.append(name)
            oids[name] = _U64.unpack(v)[0] if len(v) == 8 else PUBLIC_OID
        if "public" not in schemas and version == 0:
            schemas.append("public")
            oids["public"] = PUBLIC_OID
        flo, fhi = layout.routines_range(self.db)
        routines = {}
        for _, raw in txn.iter_scan(flo, fhi):
            r = RoutineDef.from_json(raw)
            routines[r.oid] = r
        alo, ahi = layout.roles_range(self.db)
        roles = {}
        for _, raw in txn.iter_scan(alo, ahi):
            role = RoleDef.from_json(raw)
            roles[role.oid] = role
        raw_ext = txn.get(layout.meta_key(self.db, "extensions"))
        installed = _extensions(json.loads(raw_ext)) if raw_ext else dict(_PLPGSQL)
        raw_acls = txn.get(layout.meta_key(self.db, "default_acl"))
        catalog = Catalog(
            version,
            [*schemas, *SYSTEM_SCHEMAS],
            tables,
            oids,
            routines,
            types,
            roles,
            installed,
            json.loads(raw_acls) if raw_acls else [],
        )
        # Only a committed version is shared: a transaction's own DDL stays private to it.
        if not txn.write_count:
            self._cache[version] = catalog
            # Only the newest versions are worth keeping: every DDL makes one, and an old
            # snapshot that needs an evicted one reads it again.
            while len(self._cache) > _CACHED_VERSIONS:
                del self._cache[min(self._cache)]
        return catalog

    def _bump(self, txn: Transaction) -> None:
        txn.put(layout.meta_key(self.db, "catalog_version"), _U64.pack(self.version(txn) + 1))

    def next_id(self, txn: Transaction) -> int:
        key = layout.meta_key(self.db, "next_oid")
        raw = txn.get(key)
        value = _U64.unpack(raw)[0] if raw else FIRST_USER_OID
        txn.put(key, _U64.pack(value + 1))
        return value

    def create_schema(self, txn: Transaction, name: str, catalog: Catalog) -> None:
        if name in catalog.schemas:
            raise DuplicateSchema(f'schema "{name}" already exists')
        self.ensure_public(txn)
        txn.put(layout.schema_key(self.db, name), _U64.pack(self.next_id(txn)))
        self._bump(txn)

    def ensure_public(self, txn: Transaction) -> None:
        key = layout.schema_key(self.db, "public")
        if self.version(txn) == 0 and txn.get(key) is None:
            txn.put(key, _U64.pack(PUBLIC_OID))

    def set_extensions(self, txn: Transaction, installed: dict[str, Installed]) -> None:
        """The database's installed extensions are now ``installed``."""
        self.ensure_public(txn)
        rows = {name: list(v) for name, v in sorted(installed.items())}
        txn.put(layout.meta_key(self.db, "extensions"), json.dumps(rows).encode())
        self._bump(txn)

    def drop_schema(self, txn: Transaction, name: str) -> None:
        txn.delete(layout.schema_key(self.db, name))
        self._bump(txn)

    def put_table(self, txn: Transaction, table: TableDef, catalog: Catalog, *, new: bool) -> None:
        if table.schema not in catalog.schemas or table.schema in SYSTEM_SCHEMAS:
            raise InvalidSchemaName(f'schema "{table.schema}" does not exist')
        if new and catalog.find(table.name, table.schema, []) is not None:
            if table.kind in TYPE_KINDS:
                raise DuplicateObject(f'type "{table.name}" already exists')
            raise DuplicateTable(f'relation "{table.name}" already exists')
        clash = catalog.find_type(table.name, table.schema, []) if new else None
        if clash is not None and clash.kind == "composite" and table.kind not in TYPE_KINDS:
            raise DuplicateTable(f'relation "{table.name}" already exists')
        if clash is not None:
            raise DuplicateObject(f'type "{table.name}" already exists')
        self.ensure_public(txn)
        for index in table.indexes:
            if not index.oid:
                index.oid = self.next_id(txn)
        for con in table.constraints:
            if not con.oid:
                con.oid = self.next_id(txn)
        txn.put(layout.table_def_key(self.db, table.id), table.to_json())
        txn.put(layout.name_key(self.db, table.schema, table.name), _U64.pack(table.id))
        self._bump(txn)

    def rename_table(
        self, txn: Transaction, table: TableDef, old_name: str, schema: str | None = None
    ) -> None:
        """Drop the table's old name (in ``schema``, else its own); put_table writes the new."""
        txn.delete(layout.name_key(self.db, schema or table.schema, old_name))

    def rename_schema(self, txn: Transaction, old: str, new: str) -> None:
        """The schema under its new name, with its oid; its relations are the caller's."""
        raw = txn.get(layout.schema_key(self.db, old))
        txn.put(layout.schema_key(self.db, new), raw or _U64.pack(PUBLIC_OID))
        txn.delete(layout.schema_key(self.db, old))
        self._bump(txn)

    def put_routine(self, txn: Transaction, routine: RoutineDef) -> None:
        self.ensure_public(txn)
        txn.put(layout.routine_key(self.db, routine.oid), routine.to_json())
        self._bump(txn)

    def drop_routine(self, txn: Transaction, routine: RoutineDef) -> None:
        txn.delete(layout.routine_key(self.db, routine.oid))
        self._bump(txn)

    def put_role(self, txn: Transaction, role: RoleDef) -> None:
        self.ensure_public(txn)
        txn.put(layout.role_key(self.db, role.oid), role.to_json())
        self._bump(txn)

    def set_default_acls(self, txn: Transaction, entries: list[list[Any]]) -> None:
        txn.put(layout.meta_key(self.db, "default_acl"), json.dumps(entries).encode())
        self._bump(txn)

    def drop_role(self, txn: Transaction, role: RoleDef) -> None:
        txn.delete(layout.role_key(self.db, role.oid))
        self._bump(txn)

    def drop_table(self, txn: Transaction, table: TableDef) -> None:
        txn.delete(layout.table_def_key(self.db, table.id))
        txn.delete(layout.name_key(self.db, table.schema, table.name))
        self._bump(txn)

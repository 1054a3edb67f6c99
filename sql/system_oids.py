"""The fixed oids of PostgreSQL 15's system catalogs (pg_class.dat / the catalog headers), so
that ``1259::regclass`` prints ``pg_class`` and ``'pg_class'::regclass::oid`` is 1259, as
pg_description.classoid, pg_depend.classid and the clients comparing with them expect."""

from __future__ import annotations

# db9's default btree operator classes: this plus their type's oid (pg_opclass; pg_catalog's).
OPCLASS_BASE = 100_000

BY_NAME: dict[str, int] = {
    "pg_default_acl": 826,
    "pg_tablespace": 1213,
    "pg_shdepend": 1214,
    "pg_type": 1247,
    "pg_attribute": 1249,
    "pg_proc": 1255,
    "pg_class": 1259,
    "pg_authid": 1260,
    "pg_auth_members": 1261,
    "pg_database": 1262,
    "pg_foreign_server": 1417,
    "pg_user_mapping": 1418,
    "pg_sequence": 2224,
    "pg_foreign_data_wrapper": 2328,
    "pg_shdescription": 2396,
    "pg_aggregate": 2600,
    "pg_am": 2601,
    "pg_amop": 2602,
    "pg_amproc": 2603,
    "pg_attrdef": 2604,
    "pg_cast": 2605,
    "pg_constraint": 2606,
    "pg_conversion": 2607,
    "pg_depend": 2608,
    "pg_description": 2609,
    "pg_index": 2610,
    "pg_inherits": 2611,
    "pg_language": 2612,
    "pg_largeobject": 2613,
    "pg_namespace": 2615,
    "pg_opclass": 2616,
    "pg_operator": 2617,
    "pg_rewrite": 2618,
    "pg_statistic": 2619,
    "pg_trigger": 2620,
    "pg_opfamily": 2753,
    "pg_db_role_setting": 2964,
    "pg_largeobject_metadata": 2995,
    "pg_extension": 3079,
    "pg_foreign_table": 3118,
    "pg_policy": 3256,
    "pg_partitioned_table": 3350,
    "pg_statistic_ext": 3381,
    "pg_init_privs": 3394,
    "pg_collation": 3456,
    "pg_event_trigger": 3466,
    "pg_enum": 3501,
    "pg_range": 3541,
    "pg_transform": 3576,
    "pg_shseclabel": 3592,
    "pg_seclabel": 3596,
    "pg_ts_dict": 3600,
    "pg_ts_parser": 3601,
    "pg_ts_config": 3602,
    "pg_ts_template": 3764,
    "pg_replication_origin": 6000,
    "pg_subscription": 6100,
    "pg_publication": 6104,
    "pg_publication_rel": 6106,
    "pg_publication_namespace": 6237,
}
BY_OID: dict[int, str] = {oid: name for name, oid in BY_NAME.items()}


def oid_of(value: str) -> int | None:
    """The oid of a system catalog named ``value`` (maybe ``pg_catalog.``-qualified)."""
    schema, _, name = value.rpartition(".")
    if schema.strip('"') not in ("", "pg_catalog"):
        return None
    return BY_NAME.get(name.strip('"'))

"""Rows for the data files the regression scripts load (``COPY t FROM '.../data/x.data'``).

The files are not shipped with the scripts, so both servers get the same generated rows in
COPY text format. onek and tenk1 follow the layout PostgreSQL's data has (unique1 a
permutation of 0..n-1, unique2 the row number, the other int columns unique1 modulo 2, 4, 10,
..., the name columns derived from them), because most scripts filter and join on those
columns; any other table gets ``GENERIC_ROWS`` rows made from its column types, which the
caller reads from PostgreSQL's catalogs.
"""

from __future__ import annotations

import datetime as dt

GENERIC_ROWS = 100
_SIZES = {"onek.data": 1000, "tenk.data": 10000}
_STEP = 7919  # a prime: (i * _STEP) % n permutes 0..n-1 for the sizes above


def _name(n: int) -> str:
    """PostgreSQL's stringu1 style: n in base 26 as letters, padded to 6 with 'x'."""
    letters = ""
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n //= 26
        if not n:
            break
    return (letters + "xxxxxx")[: max(6, len(letters))]


def tenk_rows(n: int) -> str:
    out = []
    for i in range(n):
        u1 = (i * _STEP) % n
        cols = [u1, i, u1 % 2, u1 % 4, u1 % 10, u1 % 20, u1 % 100, u1 % 1000, u1 % 2000,
                u1 % 5000, u1 % 10000, (u1 % 100) * 2 + 1, (u1 % 100) * 2]  # fmt: skip
        s4 = ("AAAAxx", "HHHHxx", "OOOOxx", "VVVVxx")[i % 4]
        out.append("\t".join([*map(str, cols), _name(u1), _name(i), s4]) + "\n")
    return "".join(out)


def _value(type_name: str, i: int, col: int) -> str:
    t = type_name.lower()
    if t.endswith("[]"):
        inner = t[:-2]
        return "{" + ",".join(_value(inner, i + k, col) for k in range(1 + i % 3)) + "}"
    if t in ("smallint", "integer", "bigint", "oid"):
        return str((i * 37 + col * 11) % 1000 - (100 if t != "oid" else 0))
    if t in ("real", "double precision") or t.startswith("numeric"):
        return f"{((i * 37 + col) % 1000) / 8 - 20}"
    if t == "boolean":
        return "t" if (i + col) % 2 else "f"
    if t == "date":
        return str(dt.date(2000, 1, 1) + dt.timedelta(days=i * 13 + col))
    if t.startswith("timestamp"):
        return f"{dt.date(2000, 1, 1) + dt.timedelta(days=i * 13 + col)} 12:{i % 60:02d}:00"
    if t == "point":
        return f"({i % 50},{(i * 7 + col) % 50})"
    if t == "box":
        return f"({i % 50 + 5},{(i * 7) % 50 + 5}),({i % 50},{(i * 7) % 50})"
    if t == "path":
        return f"[({i % 50},0),({(i * 7) % 50},{col})]"
    if t.startswith("character(") or t.startswith("character varying(") or t == "character":
        width = int(t.split("(")[1].rstrip(")")) if "(" in t else 1
        return ("s" + str(i))[:width]
    return f"s{col}_{i}"  # text, name, varchar and anything else that reads text


def generic_rows(types: list[str], n: int = GENERIC_ROWS) -> str:
    return "".join("\t".join(_value(t, i, c) for c, t in enumerate(types)) + "\n"
                   for i in range(n))  # fmt: skip


def rows_for(file_name: str, types: list[str]) -> str:
    """COPY text rows for the data file ``file_name`` loaded into a table of ``types``."""
    if file_name in _SIZES and len(types) == 16:
        return tenk_rows(_SIZES[file_name])
    return generic_rows(types)

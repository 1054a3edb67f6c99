"""The geometric types' binary form, as PostgreSQL's *_send and *_recv functions write and read
it: float8 coordinates in order (a box its upper right corner first), a path a closed byte and
an int4 point count before its points, a polygon the count; recv's checks and their 22P03."""

from __future__ import annotations

import struct
from typing import Any

from sql.errors import InvalidBinaryRepresentation
from sql.geometry import Box, Circle, Line, Lseg, Path, Point, Polygon, fp_zero, make_box
from sql.wire_source import Source

_F8 = struct.Struct("!d")
_I4 = struct.Struct("!i")


def _floats(*values: float) -> bytes:
    return struct.pack(f"!{len(values)}d", *values)


def _points(points: tuple[Point, ...]) -> bytes:
    return _floats(*(c for p in points for c in (p.x, p.y)))


def send(v: Any) -> bytes:
    if isinstance(v, Point):
        return _floats(v.x, v.y)
    if isinstance(v, Lseg):
        return _points((v.p1, v.p2))
    if isinstance(v, Line):
        return _floats(v.a, v.b, v.c)
    if isinstance(v, Box):
        return _points((v.high, v.low))
    if isinstance(v, Path):
        return bytes([1 if v.closed else 0]) + _I4.pack(len(v.points)) + _points(v.points)
    if isinstance(v, Polygon):
        return _I4.pack(len(v.points)) + _points(v.points)
    assert isinstance(v, Circle)
    return _floats(v.center.x, v.center.y, v.radius)


def _float8(src: Source) -> float:
    return float(_F8.unpack(src.take(8))[0])


def _point(src: Source) -> Point:
    return Point(_float8(src), _float8(src))


# the point counts past which path_recv and poly_recv refuse (what a varlena can hold)
_MAX_POINTS = {"path": (2**31 - 1 - 16) // 16, "polygon": (2**31 - 1 - 40) // 16}


def _point_list(src: Source, type_name: str) -> tuple[Point, ...]:
    n = int(_I4.unpack(src.take(4))[0])
    if n <= 0 or n >= _MAX_POINTS[type_name]:
        raise InvalidBinaryRepresentation(
            f'invalid number of points in external "{type_name}" value'
        )  # fmt: skip
    return tuple(_point(src) for _ in range(n))


def recv(src: Source, type_name: str) -> Any:
    """The value of type ``type_name`` read from ``src``."""
    v: Any
    if type_name == "point":
        v = _point(src)
    elif type_name == "lseg":
        v = Lseg(_point(src), _point(src))
    elif type_name == "line":
        v = Line(_float8(src), _float8(src), _float8(src))
        if fp_zero(v.a) and fp_zero(v.b):
            raise InvalidBinaryRepresentation(
                "invalid line specification: A and B cannot both be zero"
            )  # fmt: skip
    elif type_name == "box":
        v = make_box(_point(src), _point(src))
    elif type_name == "path":
        closed = src.take(1)[0] != 0
        v = Path(_point_list(src, "path"), closed)
    elif type_name == "polygon":
        v = Polygon(_point_list(src, "polygon"))
    else:
        v = Circle(_point(src), _float8(src))
        if v.radius < 0:
            raise InvalidBinaryRepresentation('invalid radius in external "circle" value')
    return v

"""The functions of the geometric types by PostgreSQL's names and argument types: the
constructors (point(x, y), box(point, point), circle(box), polygon(box), ...) and the measures
(area, center, width, height, radius, diameter, npoints, length, isopen, ...)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sql import geometry as G
from sql import types as T
from sql.casts import coerce_to
from sql.functions_text import strict_call
from sql.scope import Typed
from sql.types import SqlType

_P, _B, _C, _POLY, _PATH, _L = "point", "box", "circle", "polygon", "path", "lseg"
_F = "double precision"


def _circle_polygon(n: int, c: G.Circle) -> G.Polygon:
    step = 2 * math.pi / n
    return G.Polygon(
        tuple(
            G.Point(c.center.x - c.radius * math.cos(i * step),
                    c.center.y + c.radius * math.sin(i * step))
            for i in range(n)
        )
    )  # fmt: skip


def _path_area(p: G.Path | G.Polygon) -> float:
    pts = p.points
    return abs(
        sum(pts[i].x * pts[(i + 1) % len(pts)].y - pts[(i + 1) % len(pts)].x * pts[i].y
            for i in range(len(pts)))
    ) / 2  # fmt: skip


def _polygon_center(p: G.Polygon) -> G.Point:
    return G.box_center(G.bounding_box(p.points))


# (name, argument type names) -> (result type, implementation)
_OVERLOADS: dict[tuple[str, tuple[str, ...]], tuple[SqlType, Callable[..., Any]]] = {
    ("point", (_F, _F)): (T.POINT, G.Point),
    ("point", (_B,)): (T.POINT, G.box_center),
    ("point", (_C,)): (T.POINT, lambda c: c.center),
    ("point", (_L,)): (T.POINT, lambda s: G.Point((s.p1.x + s.p2.x) / 2, (s.p1.y + s.p2.y) / 2)),
    ("point", (_POLY,)): (T.POINT, _polygon_center),
    ("box", (_P, _P)): (T.BOX, G.make_box),
    ("box", (_P,)): (T.BOX, lambda p: G.Box(p, p)),
    ("box", (_C,)): (T.BOX, G.circle_box),
    ("box", (_POLY,)): (T.BOX, lambda p: G.bounding_box(p.points)),
    ("circle", (_P, _F)): (T.CIRCLE, G.Circle),
    ("circle", (_B,)): (T.CIRCLE, G.box_circle),
    ("circle", (_POLY,)): (T.CIRCLE, G.polygon_circle),
    ("polygon", (_B,)): (T.POLYGON, G.box_polygon),
    ("polygon", (_C,)): (T.POLYGON, lambda c: _circle_polygon(12, c)),
    ("polygon", ("integer", _C)): (T.POLYGON, _circle_polygon),
    ("polygon", (_PATH,)): (T.POLYGON, lambda p: G.Polygon(p.points)),
    ("path", (_POLY,)): (T.PATH, lambda p: G.Path(p.points, True)),
    ("lseg", (_P, _P)): (T.LSEG, G.Lseg),
    ("lseg", (_B,)): (T.LSEG, lambda b: G.Lseg(b.high, b.low)),
    ("line", (_P, _P)): (T.LINE, G.line_through),
    ("circle_center", (_C,)): (T.POINT, lambda c: c.center),
    ("center", (_B,)): (T.POINT, G.box_center),
    ("center", (_C,)): (T.POINT, lambda c: c.center),
    ("area", (_B,)): (T.FLOAT8, G.box_area),
    ("area", (_C,)): (T.FLOAT8, G.circle_area),
    ("area", (_POLY,)): (T.FLOAT8, _path_area),
    ("width", (_B,)): (T.FLOAT8, lambda b: b.high.x - b.low.x),
    ("height", (_B,)): (T.FLOAT8, lambda b: b.high.y - b.low.y),
    ("diagonal", (_B,)): (T.LSEG, lambda b: G.Lseg(b.high, b.low)),
    ("radius", (_C,)): (T.FLOAT8, lambda c: c.radius),
    ("diameter", (_C,)): (T.FLOAT8, lambda c: 2 * c.radius),
    ("npoints", (_PATH,)): (T.INT4, lambda p: len(p.points)),
    ("npoints", (_POLY,)): (T.INT4, lambda p: len(p.points)),
    ("length", (_PATH,)): (T.FLOAT8, G.path_length),
    ("length", (_L,)): (T.FLOAT8, lambda s: G.point_distance(s.p1, s.p2)),
    ("isopen", (_PATH,)): (T.BOOL, lambda p: not p.closed),
    ("isclosed", (_PATH,)): (T.BOOL, lambda p: p.closed),
    ("popen", (_PATH,)): (T.PATH, lambda p: G.Path(p.points, False)),
    ("pclose", (_PATH,)): (T.PATH, lambda p: G.Path(p.points, True)),
}
NAMES = frozenset(name for name, _ in _OVERLOADS)
_NUMBERS = frozenset({"smallint", "integer", "bigint", "numeric", "real", _F})


def compile_geometric(name: str, args: list[Typed]) -> Typed | None:
    """The geometric function ``name`` of ``args``, or None when none takes these types."""
    for (fname, params), (rtype, impl) in _OVERLOADS.items():
        if fname != name or len(params) != len(args):
            continue
        if all(
            a.type.name == p or (p in (_F, "integer") and a.type.name in _NUMBERS | {"unknown"})
            for a, p in zip(args, params, strict=True)
        ):
            typed = [
                coerce_to(a, T.type_by_name(p) or T.FLOAT8) if a.type.name != p else a
                for a, p in zip(args, params, strict=True)
            ]
            return strict_call(name, typed, rtype, impl)
    return None

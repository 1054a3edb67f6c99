"""PostgreSQL's geometric types (point, lseg, line, box, path, polygon, circle): their values,
their text input and output as geo_ops.c reads and prints them, and the operations on them.

Coordinates are float8, printed as float8out prints them. Comparisons are fuzzy as
PostgreSQL's are: two coordinates within EPSILON (1e-6) are equal (FPeq and friends).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sql.errors import DivisionByZero, InvalidTextRepresentation
from sql.float_text import format_float

EPSILON = 1.0e-06


def fp_zero(a: float) -> bool:
    return abs(a) <= EPSILON


def fp_eq(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= EPSILON


def fp_lt(a: float, b: float) -> bool:
    return b - a > EPSILON


def fp_le(a: float, b: float) -> bool:
    return a - b <= EPSILON


def fp_gt(a: float, b: float) -> bool:
    return a - b > EPSILON


def fp_ge(a: float, b: float) -> bool:
    return b - a <= EPSILON


@dataclass(frozen=True, order=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True, order=True)
class Lseg:
    p1: Point
    p2: Point


@dataclass(frozen=True, order=True)
class Line:
    """Ax + By + C = 0."""

    a: float
    b: float
    c: float


@dataclass(frozen=True, order=True)
class Box:
    high: Point  # the upper right corner
    low: Point


@dataclass(frozen=True, order=True)
class Path:
    points: tuple[Point, ...]
    closed: bool


@dataclass(frozen=True, order=True)
class Polygon:
    points: tuple[Point, ...]


@dataclass(frozen=True, order=True)
class Circle:
    center: Point
    radius: float


GEOMETRIC = ("point", "lseg", "line", "box", "path", "polygon", "circle")

# -- text input ----------------------------------------------------------------------------------

_FLOAT = re.compile(r"\s*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))", re.I)


class _Reader:
    """A cursor over a geometric value's text, reading as geo_ops.c's *_decode functions."""

    def __init__(self, text: str, type_name: str) -> None:
        self.s, self.i, self.type_name = text, 0, type_name

    def bad(self) -> InvalidTextRepresentation:
        return InvalidTextRepresentation(
            f'invalid input syntax for type {self.type_name}: "{self.s}"'
        )

    def skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, ch: str) -> bool:
        if self.peek() == ch:
            self.i += 1
            return True
        return False

    def number(self) -> float:
        m = _FLOAT.match(self.s, self.i)
        if not m:
            raise self.bad()
        self.i = m.end()
        v = float(m[1])
        if math.isinf(v) and "inf" not in m[1].lower():
            raise InvalidTextRepresentation(
                f'"{m[1]}" is out of range for type double precision'
            )  # fmt: skip
        self.skip()
        return v

    def pair(self) -> Point:
        self.skip()
        delim = self.take("(")
        x = self.number()
        if not self.take(","):
            raise self.bad()
        y = self.number()
        if delim:
            self.skip()
            if not self.take(")"):
                raise self.bad()
        self.skip()
        return Point(x, y)

    def points(self, n: int, open_ok: bool) -> tuple[list[Point], bool]:
        """path_decode: ``n`` points, optionally within [...] (open, if ``open_ok``) or
        (...); returns them and whether the value was written open."""
        self.skip()
        depth = 0
        is_open = self.peek() == "["
        if is_open:
            if not open_ok:
                raise self.bad()
            depth += 1
            self.i += 1
        elif self.peek() == "(":
            j = self.i + 1
            while j < len(self.s) and self.s[j].isspace():
                j += 1
            if (j < len(self.s) and self.s[j] == "(") or self.s.rfind("(") == self.i:
                depth += 1
                self.i = j
        out = []
        for _ in range(n):
            out.append(self.pair())
            self.take(",")
        while depth > 0:
            if self.peek() == ")" or (self.peek() == "]" and is_open and depth == 1):
                depth -= 1
                self.i += 1
                self.skip()
            else:
                raise self.bad()
        return out, is_open

    def end(self) -> None:
        self.skip()
        if self.i != len(self.s):
            raise self.bad()


def _pair_count(s: str) -> int:
    n = s.count(",")
    if n % 2 == 0:
        return -1
    return (n + 1) // 2


def parse(text: str, type_name: str) -> Any:
    """A geometric value of ``type_name`` from its text (22P02 for bad input)."""
    r = _Reader(text, type_name)
    if type_name == "point":
        p = r.pair()
        r.end()
        return p
    if type_name in ("lseg", "box"):
        (a, b), _ = r.points(2, type_name == "lseg")
        r.end()
        if type_name == "lseg":
            return Lseg(a, b)
        return make_box(a, b)
    if type_name in ("path", "polygon"):
        n = _pair_count(text)
        if n <= 0:
            raise r.bad()
        depth = 0
        r.skip()
        if type_name == "path" and r.peek() == "(" and text.rfind("(") == r.i:
            r.i += 1
            depth = 1
        pts, is_open = r.points(n, type_name == "path")
        if depth and not r.take(")"):
            raise r.bad()
        r.end()
        if type_name == "polygon":
            return Polygon(tuple(pts))
        return Path(tuple(pts), not is_open)
    if type_name == "circle":
        return _parse_circle(r)
    if type_name == "line":
        return _parse_line(r)
    raise AssertionError(type_name)


def _parse_circle(r: _Reader) -> Circle:
    r.skip()
    depth = 0
    closer = ""
    if r.peek() in ("<", "("):
        j = r.i + 1
        while j < len(r.s) and r.s[j].isspace():
            j += 1
        if r.peek() == "<" or (j < len(r.s) and r.s[j] == "("):
            closer = ">" if r.peek() == "<" else ")"
            depth = 1
            r.i = j if r.peek() == "<" else r.i + 1
    center = r.pair()
    if not r.take(","):
        raise r.bad()
    radius = r.number()
    if radius < 0:
        raise r.bad()
    if depth:
        r.skip()
        if not r.take(closer):
            raise r.bad()
    r.end()
    return Circle(center, radius)


def _parse_line(r: _Reader) -> Line:
    r.skip()
    if r.take("{"):
        a = r.number()
        if not r.take(","):
            raise r.bad()
        b = r.number()
        if not r.take(","):
            raise r.bad()
        c = r.number()
        if not r.take("}"):
            raise r.bad()
        r.end()
        if fp_eq(a, 0) and fp_eq(b, 0):
            raise InvalidTextRepresentation(
                "invalid line specification: A and B cannot both be zero"
            )  # fmt: skip
        return Line(a, b, c)
    (p1, p2), _ = r.points(2, True)
    r.end()
    if fp_eq(p1.x, p2.x) and fp_eq(p1.y, p2.y):
        raise InvalidTextRepresentation("invalid line specification: must be two distinct points")
    return line_through(p1, p2)


def line_through(p1: Point, p2: Point) -> Line:
    """line_construct_pts: the line through two points."""
    if fp_eq(p1.x, p2.x):
        return Line(-1.0, 0.0, p1.x)
    if fp_eq(p1.y, p2.y):
        return Line(0.0, -1.0, p1.y)
    m = (p2.y - p1.y) / (p2.x - p1.x)
    return Line(m, -1.0, p1.y - m * p1.x)


def make_box(a: Point, b: Point) -> Box:
    return Box(Point(max(a.x, b.x), max(a.y, b.y)), Point(min(a.x, b.x), min(a.y, b.y)))


# -- text output ---------------------------------------------------------------------------------


def _pt(p: Point) -> str:
    return f"({format_float(p.x)},{format_float(p.y)})"


def format_geometric(v: Any) -> str:
    if isinstance(v, Point):
        return _pt(v)
    if isinstance(v, Lseg):
        return f"[{_pt(v.p1)},{_pt(v.p2)}]"
    if isinstance(v, Box):
        return f"{_pt(v.high)},{_pt(v.low)}"
    if isinstance(v, Path):
        inner = ",".join(map(_pt, v.points))
        return f"({inner})" if v.closed else f"[{inner}]"
    if isinstance(v, Polygon):
        return "(" + ",".join(map(_pt, v.points)) + ")"
    if isinstance(v, Circle):
        return f"<{_pt(v.center)},{format_float(v.radius)}>"
    if isinstance(v, Line):
        return "{" + ",".join(format_float(x) for x in (v.a, v.b, v.c)) + "}"
    raise AssertionError(v)


# -- storage: plain tuples of floats ---------------------------------------------------------------


def to_tuple(v: Any) -> tuple[Any, ...]:
    if isinstance(v, Point):
        return (v.x, v.y)
    if isinstance(v, Lseg):
        return (v.p1.x, v.p1.y, v.p2.x, v.p2.y)
    if isinstance(v, Box):
        return (v.high.x, v.high.y, v.low.x, v.low.y)
    if isinstance(v, Path):
        return (v.closed, *[c for p in v.points for c in (p.x, p.y)])
    if isinstance(v, Polygon):
        return tuple(c for p in v.points for c in (p.x, p.y))
    if isinstance(v, Circle):
        return (v.center.x, v.center.y, v.radius)
    if isinstance(v, Line):
        return (v.a, v.b, v.c)
    raise AssertionError(v)


def _points(xs: tuple[Any, ...]) -> tuple[Point, ...]:
    return tuple(Point(xs[i], xs[i + 1]) for i in range(0, len(xs), 2))


def from_tuple(v: tuple[Any, ...], type_name: str) -> Any:
    if type_name == "point":
        return Point(*v)
    if type_name == "lseg":
        return Lseg(Point(v[0], v[1]), Point(v[2], v[3]))
    if type_name == "box":
        return Box(Point(v[0], v[1]), Point(v[2], v[3]))
    if type_name == "path":
        return Path(_points(v[1:]), v[0])
    if type_name == "polygon":
        return Polygon(_points(v))
    if type_name == "circle":
        return Circle(Point(v[0], v[1]), v[2])
    if type_name == "line":
        return Line(*v)
    raise AssertionError(type_name)


# -- operations ------------------------------------------------------------------------------------


def point_eq(a: Point, b: Point) -> bool:
    """point_eq (~=): within EPSILON in both coordinates (NaN equals NaN)."""
    return _coord_eq(a.x, b.x) and _coord_eq(a.y, b.y)


def _coord_eq(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return fp_eq(a, b)


def hypot(x: float, y: float) -> float:
    """pg_hypot, whose rounding PostgreSQL's distances show (not C's hypot)."""
    if math.isinf(x) or math.isinf(y):
        return math.inf
    if math.isnan(x) or math.isnan(y):
        return math.nan
    x, y = abs(x), abs(y)
    if x < y:
        x, y = y, x
    if y == 0.0:
        return x
    yx = y / x
    return x * math.sqrt(1.0 + yx * yx)


def point_distance(a: Point, b: Point) -> float:
    return hypot(a.x - b.x, a.y - b.y)


def box_area(b: Box) -> float:
    return (b.high.x - b.low.x) * (b.high.y - b.low.y)


def box_center(b: Box) -> Point:
    return Point((b.high.x + b.low.x) / 2, (b.high.y + b.low.y) / 2)


def box_contains_point(b: Box, p: Point) -> bool:
    return b.low.x <= p.x <= b.high.x and b.low.y <= p.y <= b.high.y


def box_overlaps(a: Box, b: Box) -> bool:
    return (
        fp_le(a.low.x, b.high.x)
        and fp_le(b.low.x, a.high.x)
        and fp_le(a.low.y, b.high.y)
        and fp_le(b.low.y, a.high.y)
    )


def box_contains_box(a: Box, b: Box) -> bool:
    return (
        fp_le(a.low.x, b.low.x)
        and fp_le(b.high.x, a.high.x)
        and fp_le(a.low.y, b.low.y)
        and fp_le(b.high.y, a.high.y)
    )


def circle_contains_point(c: Circle, p: Point) -> bool:
    return point_distance(c.center, p) <= c.radius


def circle_overlaps(a: Circle, b: Circle) -> bool:
    return fp_le(point_distance(a.center, b.center), a.radius + b.radius)


def circle_area(c: Circle) -> float:
    return math.pi * c.radius * c.radius


def lseg_closest_distance(s: Lseg, p: Point) -> float:
    """Distance from ``p`` to the segment ``s``."""
    dx, dy = s.p2.x - s.p1.x, s.p2.y - s.p1.y
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return point_distance(s.p1, p)
    t = max(0.0, min(1.0, ((p.x - s.p1.x) * dx + (p.y - s.p1.y) * dy) / length2))
    return point_distance(Point(s.p1.x + t * dx, s.p1.y + t * dy), p)


def _edges(points: tuple[Point, ...], closed: bool) -> list[Lseg]:
    n = len(points)
    out = [Lseg(points[i], points[i + 1]) for i in range(n - 1)]
    if closed and n > 1:
        out.append(Lseg(points[-1], points[0]))
    return out


def path_point_distance(path: Path, p: Point) -> float:
    if len(path.points) == 1:
        return point_distance(path.points[0], p)
    return min(lseg_closest_distance(e, p) for e in _edges(path.points, path.closed))


def polygon_contains_point(poly: Polygon, p: Point) -> bool:
    """poly_contain_pt: point_inside's winding count, an edge counting as inside."""
    pts = poly.points
    if not pts:
        return False
    x0, y0 = pts[0].x - p.x, pts[0].y - p.y
    prev_x, prev_y = x0, y0
    total = 0
    for q in pts[1:]:
        x, y = q.x - p.x, q.y - p.y
        cross = _crossing(x, y, prev_x, prev_y)
        if cross is None:
            return True
        total += cross
        prev_x, prev_y = x, y
    cross = _crossing(x0, y0, prev_x, prev_y)
    return cross is None or total + cross != 0


def _crossing(x: float, y: float, prev_x: float, prev_y: float) -> int | None:
    """lseg_crossing: how the edge from (prev_x, prev_y) to (x, y) crosses the positive X
    axis (the point tested is the origin); None when the origin is on the edge."""
    if fp_zero(y):
        if fp_zero(x):
            return None
        if fp_gt(x, 0):
            if fp_zero(prev_y):
                return 0 if fp_gt(prev_x, 0.0) else None
            return 1 if fp_lt(prev_y, 0.0) else -1
        if fp_zero(prev_y):
            return 0 if fp_lt(prev_x, 0.0) else None
        return 0
    y_sign = 1 if fp_gt(y, 0.0) else -1
    if fp_zero(prev_y):
        return 0 if fp_lt(prev_x, 0.0) else y_sign
    if (y_sign < 0 and fp_lt(prev_y, 0.0)) or (y_sign > 0 and fp_gt(prev_y, 0.0)):
        return 0
    if fp_ge(x, 0.0) and fp_gt(prev_x, 0.0):
        return 2 * y_sign
    if fp_lt(x, 0.0) and fp_le(prev_x, 0.0):
        return 0
    z = (x - prev_x) * y - (y - prev_y) * x
    if fp_zero(z):
        return None
    if (y_sign < 0 and fp_lt(z, 0.0)) or (y_sign > 0 and fp_gt(z, 0.0)):
        return 0
    return 2 * y_sign


def polygon_point_distance(poly: Polygon, p: Point) -> float:
    if polygon_contains_point(poly, p):
        return 0.0
    return path_point_distance(Path(poly.points, True), p)


def box_point_distance(b: Box, p: Point) -> float:
    dx = max(b.low.x - p.x, 0.0, p.x - b.high.x)
    dy = max(b.low.y - p.y, 0.0, p.y - b.high.y)
    return hypot(dx, dy)


def circle_point_distance(c: Circle, p: Point) -> float:
    return max(point_distance(c.center, p) - c.radius, 0.0)


def bounding_box(points: tuple[Point, ...]) -> Box:
    xs, ys = [p.x for p in points], [p.y for p in points]
    return Box(Point(max(xs), max(ys)), Point(min(xs), min(ys)))


def polygon_overlaps(a: Polygon, b: Polygon) -> bool:
    if not box_overlaps(bounding_box(a.points), bounding_box(b.points)):
        return False
    if any(polygon_contains_point(b, p) for p in a.points):
        return True
    if any(polygon_contains_point(a, p) for p in b.points):
        return True
    return any(
        _segments_cross(e, f) for e in _edges(a.points, True) for f in _edges(b.points, True)
    )


def _segments_cross(s: Lseg, t: Lseg) -> bool:
    def orient(p: Point, q: Point, r: Point) -> float:
        return (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)

    d1, d2 = orient(t.p1, t.p2, s.p1), orient(t.p1, t.p2, s.p2)
    d3, d4 = orient(s.p1, s.p2, t.p1), orient(s.p1, s.p2, t.p2)
    return (d1 * d2 <= 0) and (d3 * d4 <= 0)


def box_polygon(b: Box) -> Polygon:
    """polygon(box): the corners from the low one, counter-clockwise as PostgreSQL lists them."""
    lo, hi = b.low, b.high
    return Polygon((lo, Point(lo.x, hi.y), hi, Point(hi.x, lo.y)))


def box_circle(b: Box) -> Circle:
    c = box_center(b)
    return Circle(c, point_distance(c, b.high))


def polygon_circle(poly: Polygon) -> Circle:
    n = len(poly.points)
    c = Point(sum(p.x for p in poly.points) / n, sum(p.y for p in poly.points) / n)
    return Circle(c, sum(point_distance(c, p) for p in poly.points) / n)


def circle_box(c: Circle) -> Box:
    d = c.radius / math.sqrt(2.0)
    return Box(
        Point(c.center.x + d, c.center.y + d), Point(c.center.x - d, c.center.y - d)
    )  # fmt: skip


def path_length(path: Path) -> float:
    return sum(point_distance(e.p1, e.p2) for e in _edges(path.points, path.closed))


def same_as(a: Any, b: Any) -> bool:
    """``~=``: the same point, box, circle or polygon (fuzzily)."""
    if isinstance(a, Point):
        return point_eq(a, b)
    if isinstance(a, Box):
        return point_eq(a.high, b.high) and point_eq(a.low, b.low)
    if isinstance(a, Circle):
        return point_eq(a.center, b.center) and fp_eq(a.radius, b.radius)
    if isinstance(a, Polygon):
        return _polygon_same(a, b)
    raise AssertionError(a)


def _polygon_same(a: Polygon, b: Polygon) -> bool:
    """poly_same: the same points in the same cyclic order, either direction."""
    n = len(a.points)
    if n != len(b.points):
        return False
    if n == 0:
        return True
    for shift in range(n):
        if all(point_eq(a.points[i], b.points[(i + shift) % n]) for i in range(n)):
            return True
        if all(point_eq(a.points[i], b.points[(shift - i) % n]) for i in range(n)):
            return True
    return False


def equal(a: Any, b: Any) -> bool:
    """``=`` where PostgreSQL has it: boxes and circles by area, lsegs and lines by their
    points / coefficients, paths by their number of points."""
    if isinstance(a, Box):
        return fp_eq(box_area(a), box_area(b))
    if isinstance(a, Circle):
        return fp_eq(circle_area(a), circle_area(b))
    if isinstance(a, Lseg):
        return point_eq(a.p1, b.p1) and point_eq(a.p2, b.p2)
    if isinstance(a, Path):
        return len(a.points) == len(b.points)
    if isinstance(a, Line):
        return _line_eq(a, b)
    raise AssertionError(a)


def _line_eq(a: Line, b: Line) -> bool:
    if not fp_eq(b.a, 0):
        k = a.a / b.a
    elif not fp_eq(b.b, 0):
        k = a.b / b.b
    else:
        k = a.c / b.c if b.c else 1.0
    return fp_eq(a.a, k * b.a) and fp_eq(a.b, k * b.b) and fp_eq(a.c, k * b.c)


def measure(v: Any) -> float:
    """What ``<``/``>`` compare for boxes and circles (area), paths (number of points)."""
    if isinstance(v, Box):
        return box_area(v)
    if isinstance(v, Circle):
        return circle_area(v)
    if isinstance(v, Path):
        return float(len(v.points))
    raise AssertionError(v)


# PostgreSQL's = and ordering operators of each geometric type (point and polygon have none).
COMPARABLE = frozenset({"box", "circle", "path"})
EQUATABLE = frozenset({"box", "circle", "path", "lseg", "line"})


def distance(a: Any, b: Any) -> float | None:
    """``<->`` for the pairs PostgreSQL has, None for the others."""
    if isinstance(b, Point) and not isinstance(a, Point):
        a, b = b, a
    if isinstance(a, Point):
        if isinstance(b, Point):
            return point_distance(a, b)
        if isinstance(b, Box):
            return box_point_distance(b, a)
        if isinstance(b, Circle):
            return circle_point_distance(b, a)
        if isinstance(b, Lseg):
            return lseg_closest_distance(b, a)
        if isinstance(b, Path):
            return path_point_distance(b, a)
        if isinstance(b, Polygon):
            return polygon_point_distance(b, a)
        return None
    if isinstance(a, Circle) and isinstance(b, Circle):
        return max(point_distance(a.center, b.center) - a.radius - b.radius, 0.0)
    if isinstance(a, Box) and isinstance(b, Box):
        return point_distance(box_center(a), box_center(b))
    return None


def contains(outer: Any, inner: Any) -> bool | None:
    """``outer @> inner`` for the pairs PostgreSQL has, None for the others."""
    if isinstance(outer, Box):
        if isinstance(inner, Point):
            return box_contains_point(outer, inner)
        if isinstance(inner, Box):
            return box_contains_box(outer, inner)
    if isinstance(outer, Circle):
        if isinstance(inner, Point):
            return circle_contains_point(outer, inner)
        if isinstance(inner, Circle):
            return fp_le(point_distance(outer.center, inner.center) + inner.radius, outer.radius)
    if isinstance(outer, Polygon):
        if isinstance(inner, Point):
            return polygon_contains_point(outer, inner)
        if isinstance(inner, Polygon):
            return all(polygon_contains_point(outer, p) for p in inner.points)
    if isinstance(outer, Path) and isinstance(inner, Point):
        return path_point_distance(outer, inner) <= EPSILON
    return None


def overlaps(a: Any, b: Any) -> bool | None:
    """``&&`` for boxes, circles and polygons."""
    if isinstance(a, Box) and isinstance(b, Box):
        return box_overlaps(a, b)
    if isinstance(a, Circle) and isinstance(b, Circle):
        return circle_overlaps(a, b)
    if isinstance(a, Polygon) and isinstance(b, Polygon):
        return polygon_overlaps(a, b)
    return None


def position(symbol: str, a: Point, b: Point) -> bool:
    """The point position operators: << left of, >> right of, <^ and <<| below, >^ and |>>
    above, ?- horizontal, ?| vertical."""
    if symbol == "<<":
        return fp_lt(a.x, b.x)
    if symbol == ">>":
        return fp_lt(b.x, a.x)
    if symbol in ("<^", "<<|"):  # the same for points
        return fp_lt(a.y, b.y)
    if symbol in (">^", "|>>"):
        return fp_lt(b.y, a.y)
    if symbol == "?-":
        return fp_eq(a.y, b.y)
    return fp_eq(a.x, b.x)


def point_arith(symbol: str, a: Point, b: Point) -> Point:
    if symbol == "+":
        return Point(a.x + b.x, a.y + b.y)
    if symbol == "-":
        return Point(a.x - b.x, a.y - b.y)
    if symbol == "*":
        return Point(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x)
    div = b.x * b.x + b.y * b.y
    if div == 0:
        raise DivisionByZero("division by zero")
    return Point((a.x * b.x + a.y * b.y) / div, (a.y * b.x - a.x * b.y) / div)

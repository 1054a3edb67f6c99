"""The math functions of PostgreSQL's numeric, float8 and integer types, each with its
overloads (sqrt(float8) and sqrt(numeric) are two functions), chosen as PostgreSQL's function
resolution chooses: most exact argument matches, then float8 (the preferred numeric type),
then the order listed. Arguments only convert by implicit casts (an int goes to bigint,
numeric or float8; numeric to float8 only); no overload that fits is 42883.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sql import bits, moments
from sql import numeric as N
from sql import types as T
from sql.casts import coerce_to
from sql.errors import (
    DivisionByZero,
    InternalError,
    InvalidArgumentForLog,
    InvalidArgumentForPower,
    InvalidArgumentForWidthBucket,
    InvalidParameterValue,
    NumericValueOutOfRange,
    UndefinedFunction,
)
from sql.scope import Typed
from sql.types import SqlType

_INT_RANK = {"smallint": 1, "integer": 2, "bigint": 3}
_RANGES = {"smallint": 1 << 15, "integer": 1 << 31, "bigint": 1 << 63}


def implicitly_castable(src: SqlType, dst: SqlType) -> bool:
    """pg_cast's implicit casts among the numeric types (unknown goes anywhere)."""
    s, d = src.name, dst.name
    if s == d or s == "unknown":
        return True
    if s in _INT_RANK:
        return (d in _INT_RANK and _INT_RANK[d] > _INT_RANK[s]) or d in (
            "numeric", "real", "double precision",
        )  # fmt: skip
    if s == "numeric":
        return d in ("real", "double precision")
    if s == "real":
        return d == "double precision"
    return False


def _int_range(v: int, t: SqlType) -> int:
    bound = _RANGES[t.name]
    if not -bound <= v < bound:
        raise NumericValueOutOfRange(f"{t.name} out of range")
    return v


def float_overflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value out of range: overflow")


def float_underflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value out of range: underflow")


def checked_float(r: float, inf_ok: bool, zero_ok: bool) -> float:
    """check_float8_val: an infinite result from finite inputs overflowed, a zero from
    non-zero inputs underflowed."""
    if math.isinf(r) and not inf_ok:
        raise float_overflow()
    if r == 0.0 and not zero_ok:
        raise float_underflow()
    return r


def float_arith(op: str, a: float, b: float) -> float:
    """float8 (and, rounded after, float4) + - * / as float.c does them."""
    inf_in = math.isinf(a) or math.isinf(b)
    if op == "+":
        return checked_float(a + b, inf_in, True)
    if op == "-":
        return checked_float(a - b, inf_in, True)
    if op == "*":
        return checked_float(a * b, inf_in, a == 0.0 or b == 0.0)
    if b == 0.0:
        if math.isnan(a):
            return a  # NaN / 0 is NaN, the one division by zero PostgreSQL allows
        raise DivisionByZero("division by zero")
    return checked_float(a / b, inf_in, a == 0.0 or math.isinf(b))


# -- float8 functions ------------------------------------------------------------------------


def _fsqrt(x: float) -> float:
    if x < 0:
        raise InvalidArgumentForPower("cannot take square root of a negative number")
    return math.sqrt(x)


def _flog(x: float, f: Callable[[float], float]) -> float:
    if x == 0:
        raise InvalidArgumentForLog("cannot take logarithm of zero")
    if x < 0:
        raise InvalidArgumentForLog("cannot take logarithm of a negative number")
    return f(x) if math.isfinite(x) else x


def _fexp(x: float) -> float:
    if math.isnan(x):
        return x
    if math.isinf(x):
        return x if x > 0 else 0.0
    try:
        r = math.exp(x)
    except OverflowError:
        raise float_overflow() from None
    if r == 0.0:
        raise float_underflow()
    return r


def _fpow(x: float, y: float) -> float:
    """dpow: POSIX pow() with PostgreSQL's errors."""
    if math.isnan(x):
        return 1.0 if y == 0 else x
    if math.isnan(y):
        return 1.0 if x == 1.0 else y
    if x == 0 and y < 0:
        raise InvalidArgumentForPower("zero raised to a negative power is undefined")
    if x < 0 and math.isfinite(y) and math.floor(y) != y:
        raise InvalidArgumentForPower(
            "a negative number raised to a non-integer power yields a complex result"
        )
    if math.isinf(y):
        ax = abs(x)
        if ax == 1.0:
            return 1.0
        if y > 0:
            return y if ax > 1.0 else 0.0
        return 0.0 if ax > 1.0 else -y
    if math.isinf(x):
        if y == 0:
            return 1.0
        odd = math.floor(y / 2) != y / 2
        if x > 0:
            return x if y > 0 else 0.0
        if y > 0:
            return x if odd else -x
        return -0.0 if odd else 0.0
    try:
        r = math.pow(x, y)
    except OverflowError:
        raise float_overflow() from None
    if r == 0.0 and x != 0.0:
        raise float_underflow()
    return r


def _input_range(f: Callable[[float], float], lo: float, hi: float) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if not lo <= x <= hi:
            raise NumericValueOutOfRange("input is out of range")
        r = f(x)
        if math.isinf(r) and not math.isinf(x):
            raise float_overflow()
        return r

    return run


def _fsinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _fcosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return math.inf


def _fatanh(x: float) -> float:
    if math.isnan(x):
        return x
    if not -1 <= x <= 1:
        raise NumericValueOutOfRange("input is out of range")
    if abs(x) == 1:
        return math.copysign(math.inf, x)
    return math.atanh(x)


def _facosh(x: float) -> float:
    if math.isnan(x):
        return x
    if x < 1:
        raise NumericValueOutOfRange("input is out of range")
    return math.acosh(x)


def float_round(x: float) -> float:
    """round(float8): rint(), ties to even."""
    return float(round(x)) if math.isfinite(x) else x


def _fsign(x: float) -> float:
    return x if math.isnan(x) else float((x > 0) - (x < 0))


def _ftrunc(x: float) -> float:
    return float(math.trunc(x)) if math.isfinite(x) else x


def _fceil(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else x


def _ffloor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


# Degree-based trigonometry, exact at the angles PostgreSQL makes exact (float.c's approach:
# reduce to the first quadrant, scale by sin(30) and 1 - cos(60) so 30/45/60/90 come out exact).
_RPD = math.pi / 180
_SIN_30 = math.sin(30 * _RPD)
_ONE_MINUS_COS_60 = 1.0 - math.cos(60 * _RPD)
_ASIN_05 = math.asin(0.5)
_ACOS_05 = math.acos(0.5)
_ATAN_1 = math.atan(1.0)


def _sind_0_to_30(x: float) -> float:
    return (math.sin(x * _RPD) / _SIN_30) / 2.0


def _cosd_0_to_60(x: float) -> float:
    return 1.0 - ((1.0 - math.cos(x * _RPD)) / _ONE_MINUS_COS_60) / 2.0


def _sind_q1(x: float) -> float:
    return _sind_0_to_30(x) if x <= 30.0 else _cosd_0_to_60(90.0 - x)


def _cosd_q1(x: float) -> float:
    return _cosd_0_to_60(x) if x <= 60.0 else _sind_0_to_30(90.0 - x)


_TAN_45 = _sind_q1(45.0) / _cosd_q1(45.0)
_COT_45 = _cosd_q1(45.0) / _sind_q1(45.0)


def _first_quadrant(x: float, flip_over_90: bool) -> tuple[float, float]:
    """dsind/dtand's reduction to [0, 90]: the angle and the result's sign."""
    x = math.fmod(x, 360.0)
    s = 1.0
    if x < 0:
        x, s = -x, -s
    if x > 180.0:
        x, s = 360.0 - x, -s
    if x > 90.0:
        x = 180.0 - x
        if flip_over_90:
            s = -s
    return x, s


def _degrees_in(f: Callable[[float], float]) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if math.isinf(x):
            raise NumericValueOutOfRange("input is out of range")
        return f(x)

    return run


def _sind(x: float) -> float:
    x, s = _first_quadrant(x, False)
    return s * _sind_q1(x)


def _cosd(x: float) -> float:
    x = abs(math.fmod(x, 360.0))
    s = 1.0
    if x > 180.0:
        x = 360.0 - x
    if x > 90.0:
        x, s = 180.0 - x, -s
    return s * _cosd_q1(x)


def _ratio(n: float, d: float) -> float:
    return n / d if d else math.copysign(math.inf, n)


def _tand(x: float) -> float:
    x, s = _first_quadrant(x, True)
    r = s * (_ratio(_sind_q1(x), _cosd_q1(x)) / _TAN_45)
    return 0.0 if r == 0 else r  # never -0, as in PostgreSQL


def _cotd(x: float) -> float:
    x, s = _first_quadrant(x, True)
    r = s * (_ratio(_cosd_q1(x), _sind_q1(x)) / _COT_45)
    return 0.0 if r == 0 else r


def _asind(x: float) -> float:
    if math.isnan(x):
        return x
    if not -1 <= x <= 1:
        raise NumericValueOutOfRange("input is out of range")
    return _asind_q1(x) if x >= 0 else -_asind_q1(-x)


def _asind_q1(x: float) -> float:
    if x <= 0.5:
        return (math.asin(x) / _ASIN_05) * 30.0
    return 90.0 - (math.acos(x) / _ACOS_05) * 60.0


def _acosd(x: float) -> float:
    if math.isnan(x):
        return x
    if not -1 <= x <= 1:
        raise NumericValueOutOfRange("input is out of range")
    if x < 0:
        return 90.0 + _asind_q1(-x)
    if x <= 0.5:
        return 90.0 - (math.asin(x) / _ASIN_05) * 30.0
    return (math.acos(x) / _ACOS_05) * 60.0


def _atand(x: float) -> float:
    if math.isnan(x):
        return x
    return (math.atan(x) / _ATAN_1) * 45.0


def _atan2d(y: float, x: float) -> float:
    if math.isnan(x) or math.isnan(y):
        return math.nan
    return (math.atan2(y, x) / _ATAN_1) * 45.0


def _fsin(f: Callable[[float], float]) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if math.isinf(x):
            raise NumericValueOutOfRange("input is out of range")
        return f(x)

    return run


def _fcot(x: float) -> float:
    if math.isnan(x):
        return x
    if math.isinf(x):
        raise NumericValueOutOfRange("input is out of range")
    t = math.tan(x)
    return 1.0 / t if t else math.inf


def _width_bucket_float(op: float, lo: float, hi: float, n: int) -> int:
    if n <= 0:
        raise InvalidArgumentForWidthBucket("count must be greater than zero")
    if math.isnan(op) or math.isnan(lo) or math.isnan(hi):
        raise InvalidArgumentForWidthBucket(
            "operand, lower bound, and upper bound cannot be NaN"
        )  # fmt: skip
    if math.isinf(lo) or math.isinf(hi):
        raise InvalidArgumentForWidthBucket("lower and upper bounds must be finite")
    return _bucket(op, lo, hi, n)


def _bucket(op: Any, lo: Any, hi: Any, n: int) -> int:
    """width_bucket's bucket of ``op`` (floats or exact Decimals), 0 and n + 1 outside."""
    if lo == hi:
        raise InvalidArgumentForWidthBucket("lower bound cannot equal upper bound")
    below, above = (op < lo, op >= hi) if lo < hi else (op > lo, op <= hi)
    if below:
        return 0
    if above:
        if n == (1 << 31) - 1:
            raise NumericValueOutOfRange("integer out of range")
        return n + 1
    if isinstance(op, Decimal):
        frac = N.EXACT.divide(N.EXACT.multiply(Decimal(n), N.sub(op, lo)), N.sub(hi, lo))
        return int(frac) + 1
    return int(n * (op - lo) / (hi - lo)) + 1


def _width_bucket_numeric(op: Decimal, lo: Decimal, hi: Decimal, n: int) -> int:
    if n <= 0:
        raise InvalidArgumentForWidthBucket("count must be greater than zero")
    if op.is_nan() or lo.is_nan() or hi.is_nan():
        raise InvalidArgumentForWidthBucket(
            "operand, lower bound, and upper bound cannot be NaN"
        )  # fmt: skip
    if lo.is_infinite() or hi.is_infinite():
        raise InvalidArgumentForWidthBucket("lower and upper bounds must be finite")
    return _bucket(op, lo, hi, n)


# -- numeric-only functions ------------------------------------------------------------------


def _scale(x: Decimal) -> int | None:
    return N.dscale(x) if x.is_finite() else None


def _min_scale(x: Decimal) -> int | None:
    if not x.is_finite():
        return None
    return N.dscale(_trim_scale(x))


def _trim_scale(x: Decimal) -> Decimal:
    if not x.is_finite():
        return x
    if x.is_zero():
        return Decimal(0)
    t = x.normalize(N.EXACT)
    return (
        t if N.dscale(t) > 0 or t.as_tuple().exponent == 0 else t.quantize(N.ONE, context=N.EXACT)
    )


def _gcd_numeric(a: Decimal, b: Decimal) -> Decimal:
    if a.is_nan() or b.is_nan():
        return N.NAN
    if a.is_infinite() or b.is_infinite():
        return N.NAN
    scale = max(N.dscale(a), N.dscale(b))
    ia, ib = int(a.scaleb(scale, N.EXACT)), int(b.scaleb(scale, N.EXACT))
    return (
        Decimal(math.gcd(ia, ib))
        .scaleb(-scale, N.EXACT)
        .quantize(Decimal(1).scaleb(-scale), context=N.EXACT)
    )


def _lcm_numeric(a: Decimal, b: Decimal) -> Decimal:
    if not (a.is_finite() and b.is_finite()):
        return N.NAN
    scale = max(N.dscale(a), N.dscale(b))
    ia, ib = int(a.scaleb(scale, N.EXACT)), int(b.scaleb(scale, N.EXACT))
    return N.checked(
        Decimal(math.lcm(ia, ib))
        .scaleb(-scale, N.EXACT)
        .quantize(Decimal(1).scaleb(-scale), context=N.EXACT)
    )


def _factorial(n: int) -> Decimal:
    if n < 0:
        raise NumericValueOutOfRange("factorial of a negative number is undefined")
    if n > 32177:
        raise NumericValueOutOfRange("value overflows numeric format")
    return Decimal(math.factorial(n))


def _int_fn(f: Callable[..., int]) -> Callable[[SqlType], Callable[..., int]]:
    def bind(t: SqlType) -> Callable[..., int]:
        return lambda *a: _int_range(f(*a), t)

    return bind


def _num_sign(x: Decimal) -> Decimal:
    return x if x.is_nan() else Decimal(N.sign(x))


def _num_integral(rounding: str) -> Callable[[Decimal], Decimal]:
    def run(x: Decimal) -> Decimal:
        if not x.is_finite():
            return x
        return x.to_integral_value(rounding=rounding, context=N.EXACT).quantize(
            N.ONE, context=N.EXACT
        )

    return run


def _num_trunc(x: Decimal, scale: int = 0) -> Decimal:
    return N.trunc_to(x, max(scale, -131072)) if scale >= 0 else _neg_scale(x, scale, False)


def num_round(x: Decimal, scale: int = 0) -> Decimal:
    """round(numeric, int): half away from zero; a negative scale rounds left of the point
    and prints no decimals."""
    return N.round_to(x, scale) if scale >= 0 else _neg_scale(x, scale, True)


def _neg_scale(x: Decimal, scale: int, rounding: bool) -> Decimal:
    if not x.is_finite():
        return x
    scale = max(scale, -131072)
    r = N.round_to(x, scale) if rounding else N.trunc_to(x, scale)
    return N.checked(r.quantize(N.ONE, context=N.EXACT))


def _num_abs(x: Decimal) -> Decimal:
    return x.copy_abs()


def _state(a: list[Any], n: int) -> list[float]:
    """A transition array as float8_accum checks it (a flat array of ``n`` values)."""
    if len(a) != n or any(isinstance(v, list) or v is None for v in a):
        raise InternalError(f"expected {n}-element float8 array")
    return [float(v) for v in a]


def _combine(f: Callable[[list[float], list[float]], list[float]], n: int, a: Any, b: Any) -> Any:
    return f(_state(a, n), _state(b, n))


def _regr_accum(a: list[Any], y: float, x: float) -> list[float]:
    return moments.float_regr_accum(_state(a, 6), y, x)


F8, NUM, I2, I4, I8, F4 = T.FLOAT8, T.NUMERIC, T.INT2, T.INT4, T.INT8, T.FLOAT4
F8A = T.FLOAT8.array_of()
Overload = tuple[tuple[SqlType, ...], SqlType, Callable[..., Any]]


def _ints(f: Callable[..., int], *types: SqlType, arity: int = 1) -> list[Overload]:
    return [((t,) * arity, t, _int_fn(f)(t)) for t in types]


def _float_unary(f: Callable[[float], float]) -> Overload:
    return ((F8,), F8, f)


OVERLOADS: dict[str, list[Overload]] = {
    "sqrt": [_float_unary(_fsqrt), ((NUM,), NUM, N.sqrt)],
    "cbrt": [_float_unary(math.cbrt)],
    "ln": [_float_unary(lambda x: _flog(x, math.log)), ((NUM,), NUM, N.ln)],
    "log": [
        _float_unary(lambda x: _flog(x, math.log10)),
        ((NUM,), NUM, lambda x: N.log(Decimal(10), x)),
        ((NUM, NUM), NUM, N.log),
    ],
    "log10": [
        _float_unary(lambda x: _flog(x, math.log10)),
        ((NUM,), NUM, lambda x: N.log(Decimal(10), x)),
    ],
    "exp": [_float_unary(_fexp), ((NUM,), NUM, N.exp)],
    "power": [((F8, F8), F8, _fpow), ((NUM, NUM), NUM, N.power)],
    "pow": [((F8, F8), F8, _fpow), ((NUM, NUM), NUM, N.power)],
    "div": [((NUM, NUM), NUM, N.div_trunc)],
    "mod": [
        *_ints(lambda a, b: _int_mod(a, b), I2, I4, I8, arity=2),
        ((NUM, NUM), NUM, N.mod),
    ],
    "abs": [
        *_ints(abs, I2, I4, I8),
        ((F4,), F4, abs),
        _float_unary(abs),
        ((NUM,), NUM, _num_abs),
    ],
    "sign": [_float_unary(_fsign), ((NUM,), NUM, _num_sign)],
    "ceil": [_float_unary(_fceil), ((NUM,), NUM, _num_integral("ROUND_CEILING"))],
    "ceiling": [_float_unary(_fceil), ((NUM,), NUM, _num_integral("ROUND_CEILING"))],
    "floor": [_float_unary(_ffloor), ((NUM,), NUM, _num_integral("ROUND_FLOOR"))],
    "trunc": [_float_unary(_ftrunc), ((NUM,), NUM, _num_trunc), ((NUM, I4), NUM, _num_trunc)],
    "scale": [((NUM,), I4, _scale)],
    "min_scale": [((NUM,), I4, _min_scale)],
    "trim_scale": [((NUM,), NUM, _trim_scale)],
    "gcd": [*_ints(math.gcd, I4, I8, arity=2), ((NUM, NUM), NUM, _gcd_numeric)],
    "lcm": [*_ints(lambda a, b: math.lcm(a, b), I4, I8, arity=2), ((NUM, NUM), NUM, _lcm_numeric)],
    "factorial": [((I8,), NUM, _factorial)],
    "width_bucket": [
        ((F8, F8, F8, I4), I4, _width_bucket_float),
        ((NUM, NUM, NUM, I4), I4, _width_bucket_numeric),
    ],
    "degrees": [_float_unary(lambda x: x / _RPD)],
    "radians": [_float_unary(lambda x: x * _RPD)],
    "pi": [((), F8, lambda: math.pi)],
    "sin": [_float_unary(_fsin(math.sin))],
    "cos": [_float_unary(_fsin(math.cos))],
    "tan": [_float_unary(_fsin(math.tan))],
    "cot": [_float_unary(_fcot)],
    "asin": [_float_unary(_input_range(math.asin, -1, 1))],
    "acos": [_float_unary(_input_range(math.acos, -1, 1))],
    "atan": [_float_unary(math.atan)],
    "atan2": [((F8, F8), F8, math.atan2)],
    "sind": [_float_unary(_degrees_in(_sind))],
    "cosd": [_float_unary(_degrees_in(_cosd))],
    "tand": [_float_unary(_degrees_in(_tand))],
    "cotd": [_float_unary(_degrees_in(_cotd))],
    "asind": [_float_unary(_asind)],
    "acosd": [_float_unary(_acosd)],
    "atand": [_float_unary(_atand)],
    "atan2d": [((F8, F8), F8, _atan2d)],
    "sinh": [_float_unary(_fsinh)],
    "cosh": [_float_unary(_fcosh)],
    "tanh": [_float_unary(math.tanh)],
    "asinh": [_float_unary(math.asinh)],
    "acosh": [_float_unary(_facosh)],
    "atanh": [_float_unary(_fatanh)],
    # the statistical aggregates' transition and combine functions (sql.moments)
    "float8_accum": [((F8A, F8), F8A, lambda a, x: moments.float_accum(_state(a, 3), x))],
    "float8_combine": [((F8A, F8A), F8A, lambda a, b: _combine(moments.float_combine, 3, a, b))],
    "float8_regr_accum": [((F8A, F8, F8), F8A, _regr_accum)],
    "float8_regr_combine": [
        ((F8A, F8A), F8A, lambda a, b: _combine(moments.float_regr_combine, 6, a, b))
    ],
}


def check_series_bounds(start: Any, stop: Any, step: Any) -> None:
    """generate_series' argument errors (22023): a zero step, and NaN or infinite numerics."""
    for what, v in (("start value", start), ("stop value", stop), ("step size", step)):
        if isinstance(v, Decimal) and v.is_nan():
            raise InvalidParameterValue(f"{what} cannot be NaN")
        if isinstance(v, Decimal) and v.is_infinite():
            raise InvalidParameterValue(f"{what} cannot be infinity")
    if step == 0:
        raise InvalidParameterValue("step size cannot equal zero")


def _int_mod(a: int, b: int) -> int:
    if b == 0:
        raise DivisionByZero("division by zero")
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def resolve(name: str, types: list[SqlType]) -> Overload | None:
    """The overload of ``name`` PostgreSQL would call with arguments of ``types``."""
    best: Overload | None = None
    best_score = (-1, -1)
    for ov in OVERLOADS.get(name, []):
        params = ov[0]
        if len(params) != len(types):
            continue
        if not all(implicitly_castable(t, p) for t, p in zip(types, params, strict=True)):
            continue
        exact = sum(t.name == p.name for t, p in zip(types, params, strict=True))
        preferred = sum(
            p.name == "double precision" and t.name != p.name
            for t, p in zip(types, params, strict=True)
        )
        score = (exact, preferred)
        if score > best_score:
            best, best_score = ov, score
    return best


# Function-style casts to a numeric type: float8(x) is x::float8.
TYPE_FUNCTIONS = {"int2": I2, "int4": I4, "int8": I8, "float4": F4, "float8": F8, "numeric": NUM}


def compile_math(name: str, args: list[Typed]) -> Typed | None:
    """A call of one of OVERLOADS' functions, or None for a name that is not one of them."""
    if name in TYPE_FUNCTIONS and len(args) == 1:
        cast = coerce_to(args[0], TYPE_FUNCTIONS[name], explicit=True)
        return Typed(cast.fn, cast.type, cast.const, name)
    if name not in OVERLOADS:
        return None
    types = [a.type for a in args]
    ov = resolve(name, types)
    if ov is None:
        shown = ", ".join(t.display() for t in types)
        raise UndefinedFunction(f"function {name}({shown}) does not exist")
    params, rtype, impl = ov
    fns = [coerce_to(a, p).fn for a, p in zip(args, params, strict=True)]
    to_float4 = rtype.name == "real"

    def run(r: Any) -> Any:
        values = [f(r) for f in fns]
        if any(v is None for v in values):
            return None
        v = impl(*values)
        return T.round_float4(v) if to_float4 and v is not None else v

    if all(a.const for a in args):
        value = run(())
        return Typed(lambda _r: value, rtype, True, name)
    return Typed(run, rtype, False, name)


def _wrap(v: int, t: SqlType) -> int:
    """Two's complement to ``t``'s width, as C's shifts leave an integer."""
    bits = {"smallint": 16, "integer": 32, "bigint": 64}[t.name]
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _bit_op(op: str, a: Typed, b: Typed | None) -> Typed:
    """& | # between bit strings of one length, ~ of one, << >> by an integer."""
    fa = a.fn
    # PostgreSQL has these for bit only (a bit varying side is cast): the result is bit.
    if b is None:
        return Typed(lambda r: None if (x := fa(r)) is None else bits.invert(x), T.BIT, a.const)
    if op in ("<<", ">>"):
        b = coerce_to(b, T.INT4)
    elif b.type.category != "V":
        if b.type.name != "unknown":
            raise UndefinedFunction(
                f"operator does not exist: {a.type.display()} {op} {b.type.display()}"
            )
        b = coerce_to(b, T.VARBIT)
    f, fb = bits.binary_op(op), b.fn
    return Typed(
        lambda r: None if (x := fa(r)) is None or (y := fb(r)) is None else f(x, y),
        T.BIT,
        a.const and b.const,
    )


def bitwise(op: str, a: Typed, b: Typed | None) -> Typed:
    """& | # ~ << >> on integers: both sides of & | # in their common integer type, the
    shift count an integer, the shift count taken modulo the width as the CPU does."""
    if a.type.category == "V":
        return _bit_op(op, a, b)
    ta = a.type if a.type.name != "unknown" else T.INT4
    tb = None if b is None else (b.type if b.type.name != "unknown" else T.INT4)
    if ta.name not in _INT_RANK or (tb is not None and tb.name not in _INT_RANK):
        shown = f"{op} {ta.display()}" if tb is None else f"{ta.display()} {op} {tb.display()}"
        raise UndefinedFunction(f"operator does not exist: {shown}")
    if op in ("<<", ">>"):
        assert b is not None
        t, fa, fb = ta, coerce_to(a, ta).fn, coerce_to(b, T.INT4).fn
        if tb is not None and tb.name == "bigint":
            raise UndefinedFunction(f"operator does not exist: {ta.display()} {op} bigint")
    else:
        t = ta if tb is None or _INT_RANK[ta.name] >= _INT_RANK[tb.name] else tb
        fa = coerce_to(a, t).fn
        fb = coerce_to(b, t).fn if b is not None else (lambda _r: 0)
    bits = {"smallint": 16, "integer": 32, "bigint": 64}[t.name]
    ops: dict[str, Callable[[int, int], int]] = {
        "&": lambda x, y: x & y,
        "|": lambda x, y: x | y,
        "#": lambda x, y: x ^ y,
        "~": lambda x, _y: ~x,
        "<<": lambda x, y: _wrap(x << (y % max(bits, 32)), t),
        ">>": lambda x, y: x >> (y % max(bits, 32)),
    }
    f = ops[op]

    def run(r: Any) -> Any:
        x = fa(r)
        if x is None:
            return None
        y = fb(r)
        return None if y is None else f(x, y)

    const = a.const and (b is None or b.const)
    if const:
        value = run(())
        return Typed(lambda _r: value, t, True)
    return Typed(run, t)

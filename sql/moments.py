"""The statistical aggregates' running moments, computed as PostgreSQL computes them.

float8 (and real) inputs keep PostgreSQL's float8_accum / float8_regr_accum state, the arrays
``[N, Sx, Sxx]`` and ``[N, Sx, Sxx, Sy, Syy, Sxy]`` updated by the Youngs-Cramer method, so
results round exactly as PostgreSQL's do; integer and numeric inputs keep exact sums
``(N, Sx, Sx²)`` and divide at the end at select_div_scale's scale (numeric_stddev_internal).
"""

from __future__ import annotations

import math
from decimal import Decimal

from sql import numeric as N
from sql.errors import NumericValueOutOfRange

# var_samp / stddev_samp under their other names
ONE_ARG = {
    "var_pop": "var_pop",
    "var_samp": "var_samp",
    "variance": "var_samp",
    "stddev_pop": "stddev_pop",
    "stddev_samp": "stddev_samp",
    "stddev": "stddev_samp",
}
TWO_ARG = frozenset(
    {
        "regr_count", "regr_sxx", "regr_syy", "regr_sxy", "regr_avgx", "regr_avgy", "regr_r2",
        "regr_slope", "regr_intercept", "covar_pop", "covar_samp", "corr",
    }
)  # fmt: skip

_NAN = math.nan


def _overflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value out of range: overflow")


def float_accum(state: list[float], x: float) -> list[float]:
    """float8_accum: ``[N, Sx, Sxx]`` after one more value."""
    n0, sx0, sxx = state
    n, sx = n0 + 1.0, sx0 + x
    if n0 > 0.0:
        tmp = x * n - sx
        sxx += tmp * tmp / (n * n0)
        if math.isinf(sx) or math.isinf(sxx):
            if not math.isinf(sx0) and not math.isinf(x):
                raise _overflow()
            sxx = _NAN
    elif math.isnan(x) or math.isinf(x):
        sxx = _NAN
    return [n, sx, sxx]


def float_combine(a: list[float], b: list[float]) -> list[float]:
    """float8_combine: the state of two groups of values together."""
    n1, sx1, sxx1 = a
    n2, sx2, sxx2 = b
    if n1 == 0.0:
        return [n2, sx2, sxx2]
    if n2 == 0.0:
        return [n1, sx1, sxx1]
    n = n1 + n2
    sx = sx1 + sx2
    if math.isinf(sx) and not math.isinf(sx1) and not math.isinf(sx2):
        raise _overflow()
    tmp = sx1 / n1 - sx2 / n2
    sxx = sxx1 + sxx2 + n1 * n2 * tmp * tmp / n
    if math.isinf(sxx) and not math.isinf(sxx1) and not math.isinf(sxx2):
        raise _overflow()
    return [n, sx, sxx]


def float_regr_accum(state: list[float], y: float, x: float) -> list[float]:
    """float8_regr_accum: ``[N, Sx, Sxx, Sy, Syy, Sxy]`` after one more (y, x) pair."""
    n0, sx0, sxx, sy0, syy, sxy = state
    n, sx, sy = n0 + 1.0, sx0 + x, sy0 + y
    if n0 > 0.0:
        tx, ty = x * n - sx, y * n - sy
        scale = 1.0 / (n * n0)
        sxx += tx * tx * scale
        syy += ty * ty * scale
        sxy += tx * ty * scale
        if any(map(math.isinf, (sx, sxx, sy, syy, sxy))):
            fin_x = not math.isinf(sx0) and not math.isinf(x)
            fin_y = not math.isinf(sy0) and not math.isinf(y)
            if (
                ((math.isinf(sx) or math.isinf(sxx)) and fin_x)
                or ((math.isinf(sy) or math.isinf(syy)) and fin_y)
                or (math.isinf(sxy) and fin_x and fin_y)
            ):
                raise _overflow()
            sxx, syy, sxy = (_NAN if math.isinf(v) else v for v in (sxx, syy, sxy))
    else:
        if math.isnan(x) or math.isinf(x):
            sxx = sxy = _NAN
        if math.isnan(y) or math.isinf(y):
            syy = sxy = _NAN
    return [n, sx, sxx, sy, syy, sxy]


def float_regr_combine(a: list[float], b: list[float]) -> list[float]:
    """float8_regr_combine."""
    n1, sx1, sxx1, sy1, syy1, sxy1 = a
    n2, sx2, sxx2, sy2, syy2, sxy2 = b
    if n1 == 0.0:
        return list(b)
    if n2 == 0.0:
        return list(a)
    n = n1 + n2
    sx, sy = sx1 + sx2, sy1 + sy2
    t1, t2 = sx1 / n1 - sx2 / n2, sy1 / n1 - sy2 / n2
    sxx = sxx1 + sxx2 + n1 * n2 * t1 * t1 / n
    syy = syy1 + syy2 + n1 * n2 * t2 * t2 / n
    sxy = sxy1 + sxy2 + n1 * n2 * t1 * t2 / n
    for total, parts in ((sx, (sx1, sx2)), (sxx, (sxx1, sxx2)), (sy, (sy1, sy2)),
                         (syy, (syy1, syy2)), (sxy, (sxy1, sxy2))):  # fmt: skip
        if math.isinf(total) and not any(map(math.isinf, parts)):
            raise _overflow()
    return [n, sx, sxx, sy, syy, sxy]


def float_result(name: str, state: list[float]) -> float | None:
    """var_pop ... stddev_samp of a float8_accum state."""
    n, _, sxx = state
    sample = name.endswith("samp")
    if n == 0.0 or (sample and n <= 1.0):
        return None
    v = sxx / (n - 1.0 if sample else n)
    return math.sqrt(v) if name.startswith("stddev") else v


def regr_result(name: str, state: list[float]) -> float | int | None:
    """regr_*, covar_* and corr of a float8_regr_accum state."""
    n, sx, sxx, sy, syy, sxy = state
    if name == "regr_count":
        return int(n)
    if n < 1.0 or (name == "covar_samp" and n < 2.0):
        return None
    if name in ("regr_sxx", "regr_syy", "regr_sxy"):
        return {"regr_sxx": sxx, "regr_syy": syy, "regr_sxy": sxy}[name]
    if name == "regr_avgx":
        return sx / n
    if name == "regr_avgy":
        return sy / n
    if name == "covar_pop":
        return sxy / n
    if name == "covar_samp":
        return sxy / (n - 1.0)
    if name == "corr":
        return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)
    if sxx == 0:  # a vertical line
        return None
    if name == "regr_r2":
        return 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)
    if name == "regr_slope":
        return sxy / sxx
    return (sy - sx * sxy / sxx) / n  # regr_intercept


Moments = tuple[int, Decimal, Decimal]


def numeric_accum(state: Moments | None, x: Decimal) -> Moments:
    """(N, Sx, Sx²), exact; NaN and infinities make the sums NaN."""
    n, sx, sxx = state or (0, Decimal(0), Decimal(0))
    if not x.is_finite():
        return n + 1, N.NAN, N.NAN
    return n + 1, N.add(sx, x), N.add(sxx, N.EXACT.multiply(x, x))


def numeric_result(name: str, state: Moments | None) -> Decimal | None:
    """numeric_stddev_internal: (N·Sx² - Sx²) / (N·N or N·(N-1)) at select_div_scale's
    scale, its square root for stddev; 0 when rounding left the numerator negative."""
    if state is None:
        return None
    n, sx, sxx = state
    sample = name.endswith("samp")
    if n == 0 or (sample and n <= 1):
        return None
    if sx.is_nan():
        return N.NAN
    numerator = N.sub(N.EXACT.multiply(Decimal(n), sxx), N.EXACT.multiply(sx, sx))
    if numerator <= 0:
        return Decimal(0)
    return N.variance_quotient(numerator, Decimal(n * (n - 1 if sample else n)),
                               name.startswith("stddev"))  # fmt: skip

"""PostgreSQL's numeric arithmetic on Python Decimals: exact + - *, division and the math
functions (sqrt, ln, log, exp, power) computed in decimal precision with the result scales
numeric.c chooses, NaN and +-Infinity as PostgreSQL treats them, and its errors.

Invariants: every result is a Decimal whose exponent is minus its display scale (what
``format_value`` prints); no Python decimal signal escapes (each is a PostgreSQL SQLSTATE).
"""

from __future__ import annotations

import math
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
)
from typing import Any

from sql.errors import (
    DivisionByZero,
    InvalidArgumentForLog,
    InvalidArgumentForPower,
    NumericValueOutOfRange,
)

# Exact for + - * of any two numerics PostgreSQL can hold (131072 + 16383 digits each).
EXACT = Context(prec=1_000_000, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
MIN_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
MAX_DISPLAY_SCALE = 1000  # NUMERIC_MAX_DISPLAY_SCALE
MAX_RESULT_SCALE = 2000  # NUMERIC_MAX_RESULT_SCALE
MAX_DSCALE = 16383  # NUMERIC_DSCALE_MAX
_WEIGHT_LIMIT = 131072  # decimal digits before the point
NAN = Decimal("NaN")
PINF = Decimal("Infinity")
NINF = Decimal("-Infinity")
ZERO = Decimal(0)
ONE = Decimal(1)


def overflow() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("value overflows numeric format")


def checked(d: Decimal) -> Decimal:
    """``d``, or 22003 if it has more digits before the point than numeric holds."""
    if d.is_finite() and d and d.adjusted() >= _WEIGHT_LIMIT:
        raise overflow()
    return d


def dscale(d: Decimal) -> int:
    """The display scale: digits after the point."""
    e = d.as_tuple().exponent
    return max(0, -e) if isinstance(e, int) else 0


def sign(d: Decimal) -> int:
    """-1, 0 or 1 (NaN is 0, as numeric_sign_internal callers never see it)."""
    if d.is_nan() or d.is_zero():
        return 0
    return -1 if d.is_signed() else 1


def round_to(d: Decimal, rscale: int) -> Decimal:
    """round_var: half away from zero to ``rscale`` digits after the point (may be < 0)."""
    if not d.is_finite():
        return d
    return d.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP, context=EXACT)


def trunc_to(d: Decimal, rscale: int) -> Decimal:
    if not d.is_finite():
        return d
    return d.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_DOWN, context=EXACT)


def _clamp_scale(rscale: int) -> int:
    return min(max(rscale, 0), MAX_DISPLAY_SCALE)


def _weight(d: Decimal) -> int:
    """The base-10000 weight of the first digit group (zero's is 0, as in numeric.c)."""
    return 0 if d.is_zero() else d.adjusted() // 4


def is_integral(d: Decimal) -> bool:
    return d.is_finite() and d == d.to_integral_value(context=EXACT)


# -- arithmetic ------------------------------------------------------------------------------


def add(a: Decimal, b: Decimal) -> Decimal:
    return checked(EXACT.add(a, b))  # inf + -inf is NaN (no trap), as in PostgreSQL


def plus(a: Any, b: Any) -> Any:
    """a + b for any numbers: exact (and NaN for inf + -inf) when numeric."""
    return add(a, b) if isinstance(a, Decimal) or isinstance(b, Decimal) else a + b


def sub(a: Decimal, b: Decimal) -> Decimal:
    return checked(EXACT.subtract(a, b))


def mul(a: Decimal, b: Decimal) -> Decimal:
    """The exact product, rounded to numeric's largest display scale if past it."""
    if a.is_infinite() or b.is_infinite():
        return EXACT.multiply(a, b)  # inf * 0 is NaN
    p = EXACT.multiply(a, b)
    return checked(round_to(p, MAX_DSCALE) if dscale(p) > MAX_DSCALE else p)


def div(a: Decimal, b: Decimal) -> Decimal:
    """numeric / numeric, rounded to select_div_scale's scale."""
    if a.is_nan() or b.is_nan():
        return NAN
    if a.is_infinite():
        if b.is_infinite():
            return NAN
        if b.is_zero():
            raise DivisionByZero("division by zero")
        return PINF if sign(a) == sign(b) else NINF
    if b.is_infinite():
        return ZERO
    if b.is_zero():
        raise DivisionByZero("division by zero")
    return checked(_divide(a, b, _div_scale(a, b)))


def _divide(a: Decimal, b: Decimal, rscale: int) -> Decimal:
    digits = max(a.adjusted() - b.adjusted(), 0) + rscale + 10
    ctx = Context(prec=max(digits, 30), Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
    return round_to(ctx.divide(a, b), rscale)


def _div_scale(a: Decimal, b: Decimal) -> int:
    """select_div_scale: about 16 significant digits, never fewer decimals than an input."""

    def first_group(x: Decimal) -> int:
        return 0 if x.is_zero() else int(EXACT.scaleb(abs(x), Decimal(-4 * _weight(x))))

    w1, w2 = _weight(a), _weight(b)
    qweight = w1 - w2 - (1 if first_group(a) <= first_group(b) else 0)
    rscale = MIN_SIG_DIGITS - qweight * 4
    return _clamp_scale(max(rscale, dscale(a), dscale(b)))


def variance_quotient(numerator: Decimal, denominator: Decimal, root: bool) -> Decimal:
    """numeric_stddev_internal's last step: the quotient at select_div_scale's scale, or
    its square root at that same scale."""
    rscale = _div_scale(numerator, denominator)
    q = _divide(numerator, denominator, rscale)
    if not root:
        return q
    return round_to(_ctx(rscale + abs(q.adjusted()) + 20).sqrt(q), rscale)


def div_trunc(a: Decimal, b: Decimal) -> Decimal:
    """div(a, b): the integral quotient, truncated toward zero."""
    if a.is_nan() or b.is_nan():
        return NAN
    if a.is_infinite():
        if b.is_infinite():
            return NAN
        if b.is_zero():
            raise DivisionByZero("division by zero")
        return PINF if sign(a) == sign(b) else NINF
    if b.is_infinite():
        return ZERO
    if b.is_zero():
        raise DivisionByZero("division by zero")
    return EXACT.divide_int(a, b).quantize(ONE, context=EXACT)


def mod(a: Decimal, b: Decimal) -> Decimal:
    """a % b: the sign of ``a``, the larger display scale of the two."""
    if a.is_nan() or b.is_nan():
        return NAN
    if a.is_infinite():
        if b.is_zero():
            raise DivisionByZero("division by zero")
        return NAN
    if b.is_infinite():
        return a
    if b.is_zero():
        raise DivisionByZero("division by zero")
    return EXACT.remainder(a, b)


# -- math functions --------------------------------------------------------------------------


def _ctx(digits: int) -> Context:
    return Context(prec=max(digits, 30), Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


def sqrt(x: Decimal) -> Decimal:
    if x.is_nan():
        return NAN
    if sign(x) < 0:
        raise InvalidArgumentForPower("cannot take square root of a negative number")
    if x.is_infinite():
        return PINF
    sweight = 2 * _weight(x) + 1
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - sweight, dscale(x)))
    return round_to(_ctx(rscale + abs(x.adjusted()) + 20).sqrt(x), rscale)


def _ln_dweight(x: Decimal) -> int:
    """estimate_ln_dweight: the decimal weight of ln(x), from x's first digit groups."""
    if sign(x) <= 0:
        return 0
    if Decimal("0.9") <= x <= Decimal("1.1"):
        d = EXACT.subtract(x, ONE)
        return 0 if d.is_zero() else d.adjusted()
    w = _weight(x)
    scaled = EXACT.scaleb(x, Decimal(-4 * w))
    digits = int(scaled)
    dweight = w * 4
    if scaled != digits:  # more than one base-10000 group
        digits = digits * 10000 + int(EXACT.scaleb(scaled - digits, Decimal(4)))
        dweight -= 4
    ln_var = math.log(digits) + dweight * 2.302585092994046
    return int(math.log10(abs(ln_var))) if ln_var else -(1 << 30)


def _check_log_arg(x: Decimal) -> None:
    if sign(x) < 0:
        raise InvalidArgumentForLog("cannot take logarithm of a negative number")
    if sign(x) == 0:
        raise InvalidArgumentForLog("cannot take logarithm of zero")


def _ln_exact(x: Decimal, rscale: int) -> Decimal:
    return _ctx(rscale + len(str(abs(x.adjusted()))) + 25).ln(x)


def ln(x: Decimal) -> Decimal:
    if x.is_nan():
        return NAN
    _check_log_arg(x)
    if x.is_infinite():
        return PINF
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - _ln_dweight(x), dscale(x)))
    return round_to(_ln_exact(x, rscale), rscale)


def log(base: Decimal, x: Decimal) -> Decimal:
    """log(base, x); log(x) and log10(x) are log(10, x)."""
    if base.is_nan() or x.is_nan():
        return NAN
    _check_log_arg(base)
    _check_log_arg(x)
    if base.is_infinite():
        return NAN if x.is_infinite() else ZERO
    if x.is_infinite():
        return PINF
    rscale = MIN_SIG_DIGITS - (_ln_dweight(x) - _ln_dweight(base))
    rscale = _clamp_scale(max(rscale, dscale(base), dscale(x)))
    ln_base = _ln_exact(base, rscale + 10)
    if ln_base.is_zero():
        raise DivisionByZero("division by zero")
    ctx = _ctx(rscale + 40)
    return round_to(ctx.divide(_ln_exact(x, rscale + 10), ln_base), rscale)


def exp(x: Decimal) -> Decimal:
    if x.is_nan():
        return NAN
    if x.is_infinite():
        return ZERO if x < 0 else PINF
    val = float(x) * 0.434294481903252
    val = min(max(val, -MAX_RESULT_SCALE), MAX_RESULT_SCALE)
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - int(val), dscale(x)))
    return _exp_rounded(x, rscale)


def _exp_rounded(x: Decimal, rscale: int) -> Decimal:
    """exp_var: e**x rounded to ``rscale``; 22003 past numeric's range, 0 far below it."""
    if abs(float(x)) >= MAX_RESULT_SCALE * 3:
        if x > 0:
            raise overflow()
        return round_to(ZERO, rscale)
    digits = rscale + max(int(float(x) * 0.434294481903252), 0) + 20
    return checked(round_to(_ctx(digits).exp(x), rscale))


def power(a: Decimal, b: Decimal) -> Decimal:
    """numeric_power, with POSIX pow()'s rules for NaN and infinities."""
    if a.is_nan():
        return ONE if b.is_finite() and b.is_zero() else NAN
    if b.is_nan():
        return ONE if a.is_finite() and a == ONE else NAN
    s1, s2 = sign(a), sign(b)
    if s1 == 0 and s2 < 0:
        raise InvalidArgumentForPower("zero raised to a negative power is undefined")
    if s1 < 0 and not (b.is_infinite() or is_integral(b)):
        raise InvalidArgumentForPower(
            "a negative number raised to a non-integer power yields a complex result"
        )
    if a.is_infinite() or b.is_infinite():
        if a.is_finite() and a == ONE:
            return ONE
        if s2 == 0:
            return ONE
        if s1 == 0 and s2 > 0:
            return ZERO
        if b.is_infinite():
            if a.is_finite():
                if a == -ONE:
                    return ONE
                abs_gt_one = abs(a) > ONE
            else:
                abs_gt_one = True
            return PINF if abs_gt_one == (s2 > 0) else ZERO
        if a > 0:
            return PINF if s2 > 0 else ZERO
        if s2 < 0:
            return ZERO
        return NINF if is_integral(b) and int(b) % 2 else PINF
    if is_integral(b) and -(1 << 31) <= b < (1 << 31):
        return _power_int(a, int(b))
    if a.is_zero():
        return Decimal("0E-16")
    negative = s1 < 0 and int(b) % 2 == 1
    base = a.copy_abs()
    ln_dweight = _ln_dweight(base)
    local = max(8 - ln_dweight, 0)
    val = float(round_to(_ctx(local + 30).ln(base), local) * b)
    if abs(val) > MAX_RESULT_SCALE * 3.01:
        if val > 0:
            raise overflow()
        return round_to(ZERO, MAX_DISPLAY_SCALE)
    val *= 0.434294481903252
    rscale = MIN_SIG_DIGITS - int(val)
    rscale = _clamp_scale(max(rscale, dscale(a), dscale(b)))
    sig = max(rscale + int(val), 0)
    ctx = _ctx(sig + abs(ln_dweight) + abs(b.adjusted()) + 30)
    result = _exp_rounded(ctx.multiply(ctx.ln(base), b), rscale)
    return result.copy_negate() if negative and not result.is_zero() else result


def _power_int(a: Decimal, n: int) -> Decimal:
    """power_var_int: an integral exponent, to at least 16 digits after the point."""
    rscale = _clamp_scale(max(MIN_SIG_DIGITS, dscale(a)))
    if n == 0:
        return round_to(ONE, rscale)
    if n == 1:
        return round_to(a, rscale)
    if a.is_zero():
        if n < 0:
            raise DivisionByZero("division by zero")
        return round_to(ZERO, rscale)
    f = n * math.log10(abs(a)) if abs(a.adjusted()) < 300 else n * (a.adjusted() + 0.5)
    if f > 3 * 32767 * 4:
        raise overflow()
    if f + 1 < -rscale:
        return round_to(ZERO, rscale)
    ctx = _ctx(rscale + max(int(f), 0) + 30)
    return checked(round_to(ctx.power(a, n), rscale))

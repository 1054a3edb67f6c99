"""PostgreSQL's data type formatting functions: to_char of numbers and date/times, to_number,
to_date and to_timestamp(text, text).

A format string is read once into tokens (``_tokens``): template patterns (YYYY, MI, 9, 0,
FM ...), double-quoted text and single characters. Numbers follow PostgreSQL's layout rules:
one sign position before the first digit unless the format places the sign (S, MI, PL, SG,
PR), '9' positions blank before the first digit and '0' positions zero-filled, FM dropping the
padding and the fraction's trailing zeros.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sql import types as T
from sql.errors import (
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InvalidDatetimeFormat,
    InvalidTextRepresentation,
)

_DATE_PATTERN_TEXT = """
HH24 HH12 HH MI SS MS US SSSSS SSSS AM PM A.M. P.M. am pm a.m. p.m. Y,YYY YYYY YYY
YY Y IYYY IYY IY I MONTH Month month MON Mon mon MM DAY Day day DY Dy dy DDD DD D IDDD ID
W WW IW CC Q J RM rm TZ tz OF
"""
# longest first, so that HH24 is read before HH
_DATE_PATTERNS = sorted(_DATE_PATTERN_TEXT.split(), key=len, reverse=True)
_NUM_PATTERNS = ["EEEE", "FM", "PR", "MI", "PL", "SG", "RN", "rn", "TH", "th", "9", "0", ".",
                 ",", "D", "G", "S", "L", "V"]  # fmt: skip


def _tokens(fmt: str, patterns: list[str]) -> list[tuple[str, str]]:
    """``fmt`` as (kind, text): kind 'p' for a template pattern, 'fm' for FM, 'lit' for
    literal text."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(fmt)
    while i < n:
        if fmt.startswith("FM", i) or fmt.startswith("fm", i):
            out.append(("fm", "FM"))
            i += 2
            continue
        if fmt[i] == '"':
            j = i + 1
            text = []
            while j < n and fmt[j] != '"':
                if fmt[j] == "\\" and j + 1 < n:
                    j += 1
                text.append(fmt[j])
                j += 1
            out.append(("lit", "".join(text)))
            i = j + 1
            continue
        if fmt[i] == "\\" and i + 1 < n and fmt[i + 1] == '"':
            out.append(("lit", '"'))
            i += 2
            continue
        for p in patterns:
            if fmt.startswith(p, i) or (p.isupper() and fmt[i : i + len(p)].upper() == p
                                        and p not in _CASED):  # fmt: skip
                out.append(("p", fmt[i : i + len(p)] if p in _CASED else p))
                i += len(p)
                break
        else:
            out.append(("lit", fmt[i]))
            i += 1
    return out


# patterns whose letter case matters (Month vs MONTH); the others match in any case
_CASED = {"MONTH", "Month", "month", "MON", "Mon", "mon", "DAY", "Day", "day", "DY", "Dy", "dy",
          "AM", "PM", "A.M.", "P.M.", "am", "pm", "a.m.", "p.m.", "RM", "rm", "TZ", "tz",
          "RN", "rn", "TH", "th"}  # fmt: skip


# -- to_char of a date/time -------------------------------------------------------------------


def _cased(name: str, pattern: str) -> str:
    if pattern.isupper():
        return name.upper()
    if pattern.islower():
        return name.lower()
    return name


_ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def datetime_to_char(v: Any, fmt: str) -> str:
    """to_char(timestamp/date, fmt)."""
    ts = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
    if ts.tzinfo is not None:  # a timestamp with time zone: in the session's zone
        ts = ts.astimezone(T.session_zone())
    toks = _tokens(fmt, [*_DATE_PATTERNS, "TH", "th"])
    out: list[str] = []
    fm = False
    for idx, (kind, text) in enumerate(toks):
        if kind == "fm":
            fm = True
            continue
        if kind == "lit":
            out.append(text)
            continue
        nxt = toks[idx + 1][1] if idx + 1 < len(toks) and toks[idx + 1][0] == "p" else ""
        value, width = _date_field(ts, text)
        if text in ("TH", "th"):
            continue
        if isinstance(value, int):
            s = str(abs(value)).zfill(0 if fm else width)
            if value < 0:
                s = "-" + s
            if nxt in ("TH", "th"):
                s += _cased(_ordinal(abs(value)), nxt)
        else:
            s = value if fm or width == 0 else value.ljust(width)
        out.append(s)
        fm = False
    return "".join(out)


def _date_field(ts: dt.datetime, p: str) -> tuple[Any, int]:
    up = p.upper()
    hour12 = ts.hour % 12 or 12
    iso_year, iso_week, iso_day = ts.isocalendar()
    simple: dict[str, tuple[Any, int]] = {
        "HH24": (ts.hour, 2),
        "HH12": (hour12, 2),
        "HH": (hour12, 2),
        "MI": (ts.minute, 2),
        "SS": (ts.second, 2),
        "MS": (ts.microsecond // 1000, 3),
        "US": (ts.microsecond, 6),
        "SSSSS": (ts.hour * 3600 + ts.minute * 60 + ts.second, 0),
        "SSSS": (ts.hour * 3600 + ts.minute * 60 + ts.second, 0),
        "YYYY": (ts.year, 4),
        "YYY": (ts.year % 1000, 3),
        "YY": (ts.year % 100, 2),
        "Y": (ts.year % 10, 1),
        "IYYY": (iso_year, 4),
        "IYY": (iso_year % 1000, 3),
        "IY": (iso_year % 100, 2),
        "I": (iso_year % 10, 1),
        "MM": (ts.month, 2),
        "DDD": (ts.timetuple().tm_yday, 3),
        "DD": (ts.day, 2),
        "D": ((ts.weekday() + 1) % 7 + 1, 1),
        "IDDD": ((iso_week - 1) * 7 + iso_day, 3),
        "ID": (iso_day, 1),
        "W": ((ts.day - 1) // 7 + 1, 1),
        "WW": ((ts.timetuple().tm_yday - 1) // 7 + 1, 2),
        "IW": (iso_week, 2),
        "CC": ((ts.year + 99) // 100, 2),
        "Q": ((ts.month - 1) // 3 + 1, 1),
        "J": (ts.toordinal() + 1721425, 0),
    }
    if up in simple and p not in ("Y,YYY",):
        return simple[up]
    if up == "Y,YYY":
        return f"{ts.year // 1000},{ts.year % 1000:03d}", 0
    if up in ("MONTH", "MON"):
        name = calendar.month_name[ts.month] if up == "MONTH" else calendar.month_abbr[ts.month]
        return _cased(name, p), 9 if up == "MONTH" else 0
    if up in ("DAY", "DY"):
        i = ts.weekday()
        name = calendar.day_name[i] if up == "DAY" else calendar.day_abbr[i]
        return _cased(name, p), 9 if up == "DAY" else 0
    if up in ("AM", "PM", "A.M.", "P.M."):
        word = ("AM" if ts.hour < 12 else "PM") if "." not in up else (
            "A.M." if ts.hour < 12 else "P.M.")  # fmt: skip
        return (word if p.isupper() else word.lower()), 0
    if up == "RM":
        r = _ROMAN_MONTHS[ts.month - 1]
        return (r if p.isupper() else r.lower()), 4
    if up in ("TZ", "OF"):
        off = ts.utcoffset()
        if up == "TZ":  # the zone's abbreviation; a fixed offset's is the offset
            name = ts.tzname() or ""
            if off is not None and name.startswith("UTC") and name != "UTC":
                name = _offset(off)
            return ("" if off is None else name if p.isupper() else name.lower()), 0
        return _offset(off), 0
    if up in ("TH",):
        return "", 0
    raise FeatureNotSupported(f'formatting field "{p}" is not supported')


# -- to_char of a number ----------------------------------------------------------------------


def _offset(off: dt.timedelta | None) -> str:
    mins = int(off.total_seconds() // 60) if off else 0
    sign = "+" if mins >= 0 else "-"
    hh, mm = divmod(abs(mins), 60)
    return f"{sign}{hh:02d}" + (f":{mm:02d}" if mm else "")


def _roman(n: int) -> str:
    vals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]  # fmt: skip
    out = []
    for v, s in vals:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def number_to_char(value: Any, fmt: str) -> str:
    """to_char(number, fmt)."""
    toks = _tokens(fmt, _NUM_PATTERNS)
    fm = any(k == "fm" for k, _ in toks)
    pats = [t for k, t in toks if k == "p"]
    if "RN" in pats or "rn" in pats:
        n = int(Decimal(str(value)).to_integral_value(ROUND_HALF_UP))
        r = _roman(n) if 1 <= n <= 3999 else "#" * 15
        r = r if "RN" in pats else r.lower()
        return r if fm else r.rjust(15)
    d = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, float) and value != value:
        d = Decimal("NaN")
    # digit positions before and after the decimal point
    seen_point = False
    pre = post = 0
    multiplier = 0
    for t in pats:
        if t in (".", "D"):
            seen_point = True
        elif t in ("9", "0"):
            if seen_point:
                post += 1
            else:
                pre += 1
        elif t == "V":
            pass
    after_v = False
    for t in pats:
        if t == "V":
            after_v = True
        elif after_v and t in ("9", "0"):
            multiplier += 1
    if multiplier:
        d = d.scaleb(multiplier)
        value = value * 10**multiplier if isinstance(value, float) else d
        post = 0
    if "EEEE" in pats:
        return _scientific(value if isinstance(value, float) else d, post, fm)
    negative = d < 0 if d.is_finite() else d.is_signed()
    if d.is_finite():
        rounded = abs(d).quantize(Decimal(1).scaleb(-post), rounding=ROUND_HALF_UP)
        if isinstance(value, float):
            # float8 keeps 15 significant digits (DBL_DIG), as PostgreSQL's float8_to_char
            whole = len(format(abs(value), ".0f"))
            digits = format(abs(value), f".{max(min(post, 15 - whole), 0)}f")
        else:
            digits = format(rounded, "f")
        int_part, _, frac_part = digits.partition(".")
        if not isinstance(value, float) and rounded.is_zero():
            negative = False  # numeric's sign is that of the rounded value; float8's its own
    else:
        int_part, frac_part = "9" * (pre + 1), ""
    frac_part = frac_part.ljust(post, "0")
    if int_part == "0":
        int_part = ""
    overflow = len(int_part) > pre or not d.is_finite()
    explicit_sign = any(t in ("S", "MI", "SG") for t in pats)
    bracket = "PR" in pats
    # int positions: index of first '0' pattern there
    int_pats = []
    seen_point = False
    for t in pats:
        if t in (".", "D"):
            seen_point = True
        if t in ("9", "0") and not seen_point:
            int_pats.append(t)
    zero_start = next((i for i, t in enumerate(int_pats) if t == "0"), len(int_pats))
    lead = pre - len(int_part)  # int positions without a digit of the number
    if not int_part and post == 0:
        lead = pre - 1
        int_part = "0"
        zero_start = min(zero_start, pre - 1)
    # last '0' position in the fraction: FM keeps zeros up to it
    frac_pats = []
    seen_point = False
    for t in pats:
        if t in (".", "D"):
            seen_point = True
        elif t in ("9", "0") and seen_point:
            frac_pats.append(t)
    zero_end = max((i for i, t in enumerate(frac_pats) if t == "0"), default=-1)
    if fm:
        keep = len(frac_part.rstrip("0"))
        frac_part = frac_part[: max(keep, zero_end + 1)]
        if not int_part and not frac_part and pre:
            lead, int_part = pre - 1, "0"  # FM never leaves a bare point
    out: list[str] = []
    sign_done = explicit_sign
    started = False
    int_i = frac_i = 0
    seen_point = False

    # an S before the digits is written where the implicit sign would be
    first_digit = next((i for i, t in enumerate(pats) if t in ("9", "0", ".", "D")), len(pats))
    leading_s = "S" in pats[:first_digit]
    if leading_s:
        sign_done = False

    def sign_char() -> str:
        if leading_s:
            return "-" if negative else "+"
        if bracket:
            return "<" if negative else ("" if fm else " ")
        return "-" if negative else ("" if fm else " ")

    for kind, t in toks:
        if kind == "fm":
            continue
        if kind == "lit":
            out.append(t)
            continue
        if t in ("9", "0") and not seen_point:
            pos = int_i
            int_i += 1
            if overflow:
                if not sign_done:
                    out.append(sign_char())
                    sign_done = True
                out.append("#")
                continue
            if pos < lead:
                if pos >= zero_start:
                    if not sign_done:
                        out.append(sign_char())
                        sign_done = True
                    out.append("0")
                    started = True
                elif not fm:
                    out.append(" ")
                continue
            if not sign_done:
                out.append(sign_char())
                sign_done = True
            out.append(int_part[pos - lead])
            started = True
        elif t in ("9", "0"):
            pos = frac_i
            frac_i += 1
            if overflow:
                out.append("#")
            elif pos < len(frac_part):
                out.append(frac_part[pos])
        elif t in (".", "D"):
            seen_point = True
            if post == 0 and not overflow:
                continue  # no fraction digits: no point either
            if not sign_done:
                out.append(sign_char())
                sign_done = True
            out.append(".")
            started = True
        elif t in (",", "G"):
            if started or overflow:
                out.append(",")
            elif not fm:
                out.append(" ")
        elif t == "S":
            if not leading_s:
                out.append("-" if negative else "+")
        elif t == "MI":
            out.append("-" if negative else ("" if fm else " "))
        elif t == "PL":
            out.append("+" if not negative else ("" if fm else " "))
        elif t == "SG":
            out.append("-" if negative else "+")
        elif t == "PR":
            out.append(">" if negative else ("" if fm else " "))
        elif t in ("TH", "th"):
            # no ordinal for a negative number, one with a point, or overflow
            if not (overflow or negative or "." in pats or "D" in pats) and d.is_finite():
                n = int(abs(d).to_integral_value(ROUND_HALF_UP))
                out.append(_cased(_ordinal(n), t))
        elif t == "L":
            out.append(" ")
        elif t == "V":
            pass
    return "".join(out)


def _scientific(d: Decimal | float, post: int, fm: bool) -> str:
    """n.nnne+xx, as C's printf writes it (a float8 keeps its binary value)."""
    if not (math.isfinite(d) if isinstance(d, float) else d.is_finite()):
        return " #." + "#" * post + "####"
    if isinstance(d, Decimal) and d != 0:
        # numeric: the exponent of the unrounded value, then the mantissa rounded (so
        # 9999500 is 10.000e+06, as PostgreSQL's numeric_to_char writes it)
        e = d.adjusted()
        mant = format(d.scaleb(-e).quantize(Decimal(1).scaleb(-post), ROUND_HALF_UP), "f")
    else:
        mant, _, expo = f"{float(d):.{post}e}".partition("e")
        e = int(expo)
    s = f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    return s if d < 0 or fm else " " + s


# -- to_number ---------------------------------------------------------------------------------


def to_number(text: str, fmt: str) -> Decimal:
    """to_number(text, fmt): the digits of ``text`` read through the format's digit positions
    (separators, currency and literal text skipped); a '-' or '<...>' makes it negative."""
    toks = _tokens(fmt, _NUM_PATTERNS)
    pats = [t for k, t in toks if k == "p"]
    post = 0
    seen_point = False
    for t in pats:
        if t in (".", "D"):
            seen_point = True
        elif t in ("9", "0") and seen_point:
            post += 1
    digits = []
    point = False
    frac = 0
    negative = "-" in text or ("PR" in pats and "<" in text)
    for ch in text:
        if ch.isdigit():
            if point:
                if frac >= post:
                    continue
                frac += 1
            digits.append(ch)
        elif ch == "." and seen_point and not point:
            digits.append(".")
            point = True
    body = "".join(digits)
    if not body.strip(".") or not any(c.isdigit() for c in body):
        raise InvalidTextRepresentation('invalid input syntax for type numeric: " "')
    value = Decimal(body)
    if "V" in pats:
        shift = 0
        after_v = False
        for t in pats:
            if t == "V":
                after_v = True
            elif after_v and t in ("9", "0"):
                shift += 1
        value = value.scaleb(-shift)
    return -value if negative else value


# -- to_date / to_timestamp ----------------------------------------------------------------


_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH_ABBR = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_WIDTHS = {"YYYY": 4, "IYYY": 4, "YYY": 3, "YY": 2, "Y": 1, "MM": 2, "DD": 2, "DDD": 3,
           "HH24": 2, "HH12": 2, "HH": 2, "MI": 2, "SS": 2, "MS": 3, "US": 6, "D": 1, "ID": 1,
           "CC": 2, "Q": 1, "W": 1, "WW": 2, "IW": 2, "J": 7, "SSSSS": 5, "SSSS": 5}  # fmt: skip


def parse_datetime(text: str, fmt: str, what: str) -> dt.datetime:
    """to_date/to_timestamp: ``text`` read through ``fmt``; separators in either are
    skipped, a numeric field takes its width when the next field follows without one."""
    toks = [t for t in _tokens(fmt, _DATE_PATTERNS) if t[0] != "fm"]
    fields: dict[str, int] = {}
    pm: bool | None = None
    i, n = 0, len(text)
    for idx, (kind, t) in enumerate(toks):
        if kind == "lit":
            if t.isspace():
                while i < n and text[i].isspace():
                    i += 1
            elif (i < n and not text[i].isalnum()) or (i < n and text[i] == t):
                i += 1
            continue
        while i < n and text[i].isspace():
            i += 1
        up = t.upper()
        if up in ("MONTH", "MON"):
            m = re.match(r"[A-Za-z]+", text[i:])
            word = m.group(0).lower() if m else ""
            table = _MONTHS if up == "MONTH" else _MONTH_ABBR
            key = word if up == "MONTH" else word[:3]
            if key not in table:
                raise InvalidDatetimeFormat(
                    f'invalid value "{text[i : i + 3]}" for "{t}"',
                    detail="The given value did not match any of the allowed values for "
                    "this field.",
                )
            fields["MM"] = table[key]
            i += len(word) if up == "MONTH" else 3
            continue
        if up in ("DAY", "DY"):
            m = re.match(r"[A-Za-z]+", text[i:])
            i += len(m.group(0)) if m else 0
            continue
        if up in ("AM", "PM", "A.M.", "P.M."):
            word = text[i : i + len(t)].upper()
            pm = word.startswith("P")
            i += len(t)
            continue
        if up in ("TZ", "OF"):
            raise FeatureNotSupported(f'formatting field "{t}" is only supported in to_char')
        nxt = toks[idx + 1] if idx + 1 < len(toks) else None
        glued = nxt is not None and nxt[0] == "p"
        width = _WIDTHS.get(up, 0)
        m = re.match(r"[-+]?\d+" if not glued else rf"[-+]?\d{{1,{width}}}", text[i:])
        if m is None:
            raise InvalidDatetimeFormat(
                f'invalid value "{text[i : i + max(width, 1)]}" for "{t}"',
                detail="Value must be an integer.",
            )
        fields[up] = int(m.group(0))
        i += m.end()
    year = fields.get("YYYY", fields.get("IYYY"))
    if year is None and "YY" in fields:
        yy = fields["YY"]
        year = yy + (2000 if yy < 70 else 1900)
    if year is None and "YYY" in fields:
        year = fields["YYY"] + (2000 if fields["YYY"] < 100 else 1000)
    if year is None:
        year = 1 if "J" not in fields else None
    if "J" in fields:
        base = dt.datetime.fromordinal(fields["J"] - 1721425)
        year, month, day = base.year, base.month, base.day
    else:
        assert year is not None
        month = fields.get("MM", 1)
        day = fields.get("DD", 1)
        if "DDD" in fields:
            start = dt.date(year, 1, 1) + dt.timedelta(days=fields["DDD"] - 1)
            month, day = start.month, start.day
    hour = fields.get("HH24", fields.get("HH12", fields.get("HH", 0)))
    if pm is not None and hour <= 12:
        hour = hour % 12 + (12 if pm else 0)
    minute, second = fields.get("MI", 0), fields.get("SS", 0)
    micro = fields.get("US", fields.get("MS", 0) * 1000)
    if "SSSSS" in fields or "SSSS" in fields:
        secs = fields.get("SSSSS", fields.get("SSSS", 0))
        hour, rest = divmod(secs, 3600)
        minute, second = divmod(rest, 60)
    try:
        return dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None


__all__ = ["datetime_to_char", "number_to_char", "parse_datetime", "to_number"]

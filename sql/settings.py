"""Run-time settings of a session (PostgreSQL's GUCs): reading and printing the time settings,
and the transactional scope of every SET.

Time settings hold milliseconds. SET reads them as PostgreSQL 15 does (``parse_int`` and
``convert_to_base_unit`` in guc.c): a number (C ``strtol`` with base 0, else ``strtod``) and an
optional case-sensitive unit; a fraction is rounded to the next smaller unit, then to a whole
millisecond, half to even. The value is stored in the form SHOW prints (the largest unit that
divides it: ``1s``, ``2min``, ``1500ms``, ``0``), so SHOW, current_setting and pg_settings all
agree with PostgreSQL.

Scope: a SET inside a transaction block lasts if the block commits and reverts if it (or the
savepoint it was made after) rolls back; SET LOCAL lasts until the block ends; outside a block
SET LOCAL only warns.
"""

from __future__ import annotations

import functools
import math
import re

from sql import encodings, zones
from sql.errors import InvalidParameterValue

TIME_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "deadlock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
    }
)
_INT_MAX = 2**31 - 1
# guc.c's time_unit_conversion_table for a millisecond setting, largest unit first.
_UNITS = (("d", 86_400_000.0), ("h", 3_600_000.0), ("min", 60_000.0), ("s", 1000.0),
          ("ms", 1.0), ("us", 1.0 / 1000))  # fmt: skip
_TIME_HINT = 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'
_SPACE = " \t\n\v\f\r"
_STRTOL = re.compile(r"[ \t\n\v\f\r]*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_STRTOD = re.compile(r"[ \t\n\v\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class InvalidSetting(InvalidParameterValue):
    """22023 with PostgreSQL's HINT (pgwire sends ``hint`` when an error has one)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def _parse_number(text: str) -> tuple[float, str] | None:
    """The leading number of ``text`` and what follows, or None (no number, or out of
    range), as guc.c's parse_int reads it."""
    m = _STRTOL.match(text)
    val: float
    if m is not None:
        digits = m.group(1)
        sign = -1 if m.group(0).lstrip(_SPACE).startswith("-") else 1
        base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10
        val = sign * int(digits[2:] if base == 16 else digits, base)
        end = m.end()
        overflow = not -(2**63) <= val < 2**63
    if m is None or overflow or text[end : end + 1] in (".", "e", "E"):
        m = _STRTOD.match(text)
        if m is None:
            return None
        val = float(m.group(0))
        if math.isinf(val) or (val == 0 and re.search("[1-9]", m.group(1))):
            return None  # strtod's ERANGE: overflow, or underflow to zero
        end = m.end()
    return val, text[end:]


def _number_and_unit(
    invalid: str, value: str, unit_len: int, hint: str
) -> tuple[float | int, str | None]:
    """A setting's number and the unit after it (None: no unit), as guc.c's parse_int reads
    them: the unit is the next ``unit_len`` non-space characters, nothing may follow it."""
    parsed = _parse_number(value)
    if parsed is None:
        raise InvalidSetting(invalid)
    val, rest = parsed
    rest = rest.lstrip(_SPACE)
    if not rest:
        return val, None
    unit = re.match(rf"[^ \t\n\v\f\r]{{0,{unit_len}}}", rest).group(0)  # type: ignore[union-attr]
    if rest[len(unit) :].strip(_SPACE):
        raise InvalidSetting(invalid, hint)
    return val, unit


@functools.lru_cache(maxsize=256)  # pure; every statement reads its timeouts
def parse_time_ms(name: str, value: str) -> int:
    """``value`` as a millisecond count for setting ``name``; 22023 if PostgreSQL refuses it."""
    invalid = f'invalid value for parameter "{name}": "{value}"'
    val, unit = _number_and_unit(invalid, value, 3, _TIME_HINT)
    if unit is not None:
        for i, (u, mult) in enumerate(_UNITS):
            if u == unit:
                val *= mult
                if i + 1 < len(_UNITS):
                    finer = _UNITS[i + 1][1]
                    val = round(val / finer) * finer
                break
        else:
            raise InvalidSetting(invalid, _TIME_HINT)
    val = round(val)
    if not -(2**31) <= val <= _INT_MAX:
        raise InvalidSetting(invalid, "Value exceeds integer range.")
    if val < 0:
        raise InvalidSetting(
            f'{val} ms is outside the valid range for parameter "{name}" (0 .. {_INT_MAX})'
        )
    return int(val)


def show_time_ms(ms: int) -> str:
    """How SHOW prints a millisecond setting: in the largest unit that divides it."""
    if ms <= 0:
        return str(ms)
    for unit, mult in _UNITS:
        if ms % int(mult) == 0:
            return f"{ms // int(mult)}{unit}"
    raise AssertionError("ms divides every value")


# Memory settings hold kB, read as guc.c does (units case-sensitive, rounded to a whole kB);
# name -> (minimum, maximum). db9.statement_mem_limit is db9's per-statement cap, 0: none.
MEMORY_SETTINGS = {"work_mem": (64, _INT_MAX), "db9.statement_mem_limit": (0, _INT_MAX)}
_MEMORY_UNITS = (("TB", 1 << 30), ("GB", 1 << 20), ("MB", 1024), ("kB", 1))
_MEMORY_HINT = 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'


@functools.lru_cache(maxsize=256)  # pure; every statement reads work_mem
def parse_kb(name: str, value: str) -> int:
    """``value`` as a kB count for memory setting ``name``; 22023 if PostgreSQL refuses it."""
    invalid = f'invalid value for parameter "{name}": "{value}"'
    val, unit = _number_and_unit(invalid, value, 2, _MEMORY_HINT)
    if unit is not None:
        mult = {**dict(_MEMORY_UNITS), "B": 1 / 1024}.get(unit)
        if mult is None:
            raise InvalidSetting(invalid, _MEMORY_HINT)
        val *= mult
    val = round(val)
    if not -(2**31) <= val <= _INT_MAX:
        raise InvalidSetting(invalid, "Value exceeds integer range.")
    lo, hi = MEMORY_SETTINGS[name]
    if not lo <= val <= hi:
        raise InvalidSetting(
            f'{val} kB is outside the valid range for parameter "{name}" ({lo} .. {hi})'
        )
    return int(val)


def show_kb(kb: int) -> str:
    """How SHOW prints a kB setting: in the largest unit that divides it."""
    for unit, size in _MEMORY_UNITS:
        if kb and kb % size == 0:
            return f"{kb // size}{unit}"
    return f"{kb}kB"


# Integer settings with their ranges, and settings with a fixed set of values.
INTEGER_SETTINGS = {"extra_float_digits": (-15, 3)}
ENUM_SETTINGS = {"bytea_output": ("hex", "escape")}
# Real (floating-point) settings with their ranges: pg_trgm's thresholds (sql.trigram).
REAL_SETTINGS = {
    "pg_trgm.similarity_threshold": (0.0, 1.0),
    "pg_trgm.word_similarity_threshold": (0.0, 1.0),
    "pg_trgm.strict_word_similarity_threshold": (0.0, 1.0),
}


def _integer(name: str, value: str) -> str:
    text = "".join(value.split()).strip("'")  # SET x = - 3 arrives as words
    lo, hi = INTEGER_SETTINGS[name]
    if not re.fullmatch(r"[+-]?\d+", text):
        raise InvalidSetting(f'invalid value for parameter "{name}": "{value}"')
    n = int(text)
    if not lo <= n <= hi:
        raise InvalidSetting(
            f'{n} is outside the valid range for parameter "{name}" ({lo} .. {hi})'
        )
    return str(n)


def _real(name: str, value: str) -> str:
    """A real setting as guc.c's parse_real reads it (strtod, nothing after but blanks) and
    SHOW prints it (%g)."""
    text = value.strip().strip("'")
    parsed = _parse_number(text)
    lo, hi = REAL_SETTINGS[name]
    if parsed is None or parsed[1].strip(_SPACE) or not math.isfinite(parsed[0]):
        raise InvalidSetting(f'invalid value for parameter "{name}": "{value.strip()}"')
    n = float(parsed[0])
    if not lo <= n <= hi:
        raise InvalidSetting(
            f'{n:g} is outside the valid range for parameter "{name}" ({lo:g} .. {hi:g})'
        )
    return f"{n:g}"


def _enum(name: str, value: str) -> str:
    text = value.strip().strip("'").lower()
    allowed = ENUM_SETTINGS[name]
    if text not in allowed:
        shown = ", ".join(f'"{v}"' for v in allowed)
        raise InvalidSetting(
            f'invalid value for parameter "{name}": "{value.strip()}"',
            hint=f"Available values: {shown}.",
        )
    return text


def normalise(name: str, value: str) -> str:
    """The stored (SHOW) form of ``value`` for ``name``; raises 22023 for a bad time,
    memory, integer or enumerated value."""
    if name in TIME_SETTINGS:
        return show_time_ms(parse_time_ms(name, value))
    if name in MEMORY_SETTINGS:
        return show_kb(parse_kb(name, value))
    if name in INTEGER_SETTINGS:
        return _integer(name, value)
    if name in ENUM_SETTINGS:
        return _enum(name, value)
    if name in REAL_SETTINGS:
        return _real(name, value)
    if name == "timezone":
        return zones.setting(value)
    if name == "client_encoding":
        return encodings.setting(value)
    return value


def memory_bytes(settings: dict[str, str], name: str) -> int:
    """A memory setting in bytes (0: off). Stored values are always valid."""
    return parse_kb(name, settings.get(name, "0")) * 1024


def seconds(settings: dict[str, str], name: str) -> float:
    """A time setting in seconds (0: off). Stored values are always valid."""
    value = settings.get(name, "0")
    return 0.0 if value == "0" else parse_time_ms(name, value) / 1000


class Scopes:
    """The transactional scope of SET over one session's settings dict (changed in place).

    Inside a block, ``_kept`` is what COMMIT keeps (plain SETs, not SET LOCAL), and ``_saved``
    holds (kept, effective) as they were at BEGIN and at each savepoint, for rolling back."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self._kept: dict[str, str] | None = None
        self._saved: list[tuple[dict[str, str], dict[str, str]]] = []

    def set(self, name: str, value: str, *, local: bool = False) -> None:
        self.values[name] = value
        if self._kept is not None and not local:
            self._kept[name] = value

    def reset_all(self, defaults: dict[str, str]) -> None:
        for name, value in defaults.items():
            self.set(name, value)

    def begin(self) -> None:
        self._kept = dict(self.values)
        self._saved = [(dict(self.values), dict(self.values))]

    def commit(self) -> None:
        if self._kept is not None:
            self._replace(self._kept)
        self._kept, self._saved = None, []

    def rollback(self) -> None:
        if self._saved:
            self._replace(self._saved[0][1])
        self._kept, self._saved = None, []

    def savepoint(self) -> None:
        if self._kept is not None:
            self._saved.append((dict(self._kept), dict(self.values)))

    def rollback_to(self, level: int) -> None:
        """Back to savepoint ``level`` (1 = the first); the savepoint stays."""
        if level < len(self._saved):
            kept, values = self._saved[level]
            del self._saved[level + 1 :]
            self._kept = dict(kept)
            self._replace(values)

    def release(self, level: int) -> None:
        del self._saved[level:]

    def _replace(self, values: dict[str, str]) -> None:
        self.values.clear()
        self.values.update(values)

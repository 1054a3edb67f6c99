"""The inner loops of a scan, one call per batch of rows instead of a Python call chain per row:
MVCC visibility over the write CF (``visible_values``) and decoding selected columns of
stored rows (``decode_rows``).

This module is the reference implementation. ``kv._kernels`` (Cython, built by
``pip install -e .``) implements the same functions with identical results and replaces them
here when it is importable; ``DB9_PURE_PYTHON=1`` keeps the Python ones. Tests run both.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kv.codec import T_END, T_INT, T_NULL, T_TUPLE, CodecError, _decode, skip_value
from kv.mvcc.records import WriteKind

_PUT = int(WriteKind.PUT)
_DELETE = int(WriteKind.DELETE)
_SIGN = 1 << 63

Load = Callable[[bytes, bytes], bytes]  # (key_enc, write record) -> value from the data CF


def visible_values(
    keys: Iterable[bytes],
    value: Callable[[], bytes],
    hi: bytes,
    inv_ts: bytes,
    limit: int,
    values: list[bytes],
    load: Load,
) -> bytes | None:
    """Append to ``values`` the value of each key's newest PUT visible at the timestamp whose
    inverted bytes are ``inv_ts``, reading write-CF keys ``W <esc(key)> <~commit_ts>`` from
    ``keys`` until one ``>= hi``, and the record of the key last read from ``value()`` (only
    for versions that may be the answer). A key whose newest visible data record is a DELETE
    adds nothing; ROLLBACK and LOCK records are skipped. Values too big to inline come from
    ``load``. Stops after ``limit`` values and returns the last one's ``esc(key)`` (the scan
    resumes after it); returns None when the range is exhausted."""
    current = b""
    done = True
    n = 0
    for ek in keys:
        if ek >= hi:
            return None
        key_enc = ek[1:-8]
        if key_enc != current:
            current, done = key_enc, False
        # commit_ts <= ts  <=>  ~commit_ts >= ~ts, compared as bytes
        if done or ek[-8:] < inv_ts:
            continue
        raw = value()
        kind = raw[0]
        if kind != _PUT and kind != _DELETE:
            continue
        done = True
        if kind == _PUT:
            values.append(raw[10:] if len(raw) > 9 else load(key_enc, raw))
            n += 1
            if n >= limit:
                return key_enc
    return None


def decode_row(data: bytes, want: bytes) -> tuple[Any, ...]:
    """The items of an encoded tuple (a stored row), where item ``i`` is decoded only if
    ``i >= len(want)`` or ``want[i]``, else None (skipped, not validated)."""
    n = len(data)
    if not n or data[0] != T_TUPLE:
        raise CodecError("not an encoded tuple")
    items: list[Any] = []
    append = items.append
    nwant = len(want)
    off = 1
    while True:
        if off >= n:
            raise CodecError("unterminated tuple")
        tag = data[off]
        if tag == T_END:
            if off + 1 != n:
                raise CodecError(f"{n - off - 1} trailing bytes after the encoded value")
            return tuple(items)
        i = len(items)
        if i < nwant and not want[i]:
            append(None)
            off = skip_value(data, off)
        elif tag == T_INT and off + 9 <= n:
            append(int.from_bytes(data[off + 1 : off + 9]) - _SIGN)
            off += 9
        elif tag == T_NULL:
            append(None)
            off += 1
        else:
            item, off = _decode(data, off, 1)
            append(item)


def decode_rows(raws: Sequence[bytes], want: bytes) -> list[tuple[Any, ...]]:
    """``decode_row`` of each stored row."""
    return [decode_row(raw, want) for raw in raws]


_native: Any = None
if not os.environ.get("DB9_PURE_PYTHON"):
    with contextlib.suppress(ImportError):
        _native = importlib.import_module("kv._kernels")
if _native is not None:
    visible_values = _native.visible_values
    decode_row = _native.decode_row
    decode_rows = _native.decode_rows

COMPILED = _native is not None

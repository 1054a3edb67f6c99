"""The memcomparable codec, proven with hypothesis: byte order == value order, round trips,
composite and descending keys, and garbage rejected with CodecError only."""

from __future__ import annotations

import contextlib
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kv.codec import (
    CodecError,
    NumericOutOfRange,
    decode,
    decode_key,
    decode_prefix,
    decode_tuple,
    encode,
    encode_key,
    escape_bytes,
    unescape_bytes,
)

ints = st.integers(-(1 << 63), (1 << 63) - 1)
floats = st.floats(allow_nan=False)
decimals = st.decimals(allow_nan=False) | st.builds(
    lambda digits, exp, neg: Decimal((neg, digits, exp)),
    st.lists(st.integers(0, 9), min_size=1, max_size=30).map(tuple),
    st.integers(-10_000, 10_000),
    st.integers(0, 1),
)
texts = st.text(alphabet=st.characters(codec=None, exclude_categories=()))
blobs = st.binary() | st.lists(st.sampled_from([b"\x00", b"\xff", b"\x01", b"a"])).map(b"".join)
bools = st.booleans()
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "int": ints,
    "float": floats,
    "decimal": decimals,
    "str": texts,
    "bytes": blobs,
    "bool": bools,
}
scalar = st.one_of(st.none(), *SCALARS.values())
values = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=8)


def same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to itself (the codec encodes all NaNs alike)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, Decimal) and isinstance(b, Decimal) and a.is_nan() and b.is_nan():
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def check_order(a: Any, b: Any) -> None:
    ea, eb = encode(a), encode(b)
    assert (ea < eb) == (a < b), (a, b)
    assert (ea == eb) == (a == b), (a, b)


@given(values)
def test_every_value_round_trips(v: Any) -> None:
    assert same(decode(encode(v)), v)


@pytest.mark.parametrize("kind", sorted(SCALARS))
@given(data=st.data())
def test_encoding_order_matches_value_order_within_a_type(kind: str, data: st.DataObject) -> None:
    a = data.draw(SCALARS[kind])
    b = data.draw(SCALARS[kind])
    check_order(a, b)


@given(ints)
def test_int_order_at_the_64_bit_bounds(n: int) -> None:
    for bound in (-(1 << 63), (1 << 63) - 1, 0, -1):
        check_order(n, bound)


@given(scalar.filter(lambda v: v is not None))
def test_null_sorts_before_every_value(v: Any) -> None:
    assert encode(None) < encode(v)


def test_float_special_values_order_as_in_postgres() -> None:
    ordered = [-math.inf, -1e308, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e308, math.inf, math.nan]
    encoded = [encode(x) for x in ordered]
    assert encoded == sorted(encoded)
    assert encode(-0.0) == encode(0.0)
    assert encode(float("nan")) == encode(-float("nan"))
    assert math.isnan(decode(encode(math.nan)))


def test_decimal_normalises_and_orders_specials() -> None:
    assert encode(Decimal("1.0")) == encode(Decimal("1.00")) == encode(Decimal("1"))
    assert encode(Decimal("-0")) == encode(Decimal("0E-7"))
    ordered = ["-Infinity", "-1E+30", "-12.5", "-0.125", "0", "1E-30", "0.5", "1E+30", "Infinity"]
    encoded = [encode(Decimal(x)) for x in ordered] + [encode(Decimal("NaN"))]
    assert encoded == sorted(encoded)
    assert decode(encode(Decimal("123.4500"))) == Decimal("123.45")


@given(st.lists(st.tuples(ints, texts), min_size=2, max_size=2))
def test_tuples_of_one_shape_order_like_python_tuples(pair: list[tuple[int, str]]) -> None:
    a, b = pair
    check_order(a, b)
    assert (encode_key(*a) < encode_key(*b)) == (a < b)
    assert decode_key(encode_key(*a)) == a


@given(st.lists(ints, max_size=4), st.lists(ints, max_size=4))
def test_shorter_tuple_prefix_sorts_first(a: list[int], b: list[int]) -> None:
    check_order(tuple(a), tuple(a + b))
    check_order(tuple(a), tuple(b))


@pytest.mark.parametrize("kind", sorted(SCALARS))
@given(data=st.data())
def test_descending_reverses_order_and_round_trips_before_more_components(
    kind: str, data: st.DataObject
) -> None:
    a = data.draw(SCALARS[kind])
    b = data.draw(SCALARS[kind])
    da, db = encode(a, descending=True), encode(b, descending=True)
    assert (da < db) == (b < a)
    tail = encode(42)
    value, off = decode_prefix(da + tail, 0, descending=True)
    assert same(value, a)
    assert decode_prefix(da + tail, off) == (42, len(da) + len(tail))


@given(blobs, blobs)
def test_escaped_bytes_keep_order_and_round_trip(a: bytes, b: bytes) -> None:
    ea, eb = escape_bytes(a), escape_bytes(b)
    assert (ea < eb) == (a < b)
    assert not eb.startswith(ea) or a == b
    assert unescape_bytes(ea + b"rest") == (a, len(ea))


@given(st.binary(max_size=40))
def test_decoding_garbage_raises_only_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode(data)
    with contextlib.suppress(CodecError):
        decode_key(data)
    with contextlib.suppress(CodecError):
        decode_tuple(data)


@given(st.lists(values, max_size=8).map(tuple), st.binary(max_size=3))
def test_row_decoder_agrees_with_the_general_one(row: tuple[Any, ...], tail: bytes) -> None:
    """decode_tuple is decode's fast path for rows: same values, same refusals."""
    data = encode(row)
    assert same(decode_tuple(data), decode(data))
    for broken in (data + tail, data[:-1]):
        try:
            expected: Any = decode(broken)
        except CodecError:
            expected = CodecError
        try:
            got: Any = decode_tuple(broken)
        except CodecError:
            got = CodecError
        assert (got is CodecError) == (expected is CodecError)
        if got is not CodecError:
            assert same(got, expected)


def test_out_of_range_int_and_unknown_types_are_rejected() -> None:
    with pytest.raises(NumericOutOfRange) as info:
        encode(1 << 63)
    assert info.value.sqlstate == "22003"
    with pytest.raises(CodecError):
        encode(object())
    with pytest.raises(CodecError, match="trailing"):
        decode(encode(1) + b"\x01")

"""The scan kernels: the compiled ones (kv._kernels) give exactly the results of the Python
reference (kv.kernels), and the reference agrees with the codec and the MVCC reader."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kv import kernels
from kv.codec import CodecError, decode_tuple, encode
from kv.engine.base import WriteBatch
from kv.engine.lmdb import LmdbEngine
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Write, WriteKind
from tests.kv.test_codec import same, values


def _reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kernels_reference", kernels.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference() if kernels.COMPILED else kernels
IMPLEMENTATIONS = [REFERENCE]
if importlib.util.find_spec("kv._kernels") is not None:
    IMPLEMENTATIONS.append(importlib.import_module("kv._kernels"))
# Builds without the extension run the reference only; CI checks the extension is built.
IMPLS = pytest.mark.parametrize("impl", IMPLEMENTATIONS, ids=lambda m: m.__name__)


@pytest.mark.skipif(bool(os.environ.get("DB9_PURE_PYTHON")), reason="the Python kernels asked for")
def test_the_compiled_kernels_are_built_and_used() -> None:
    assert kernels.COMPILED, "kv._kernels is not built: run pip install -e ."


rows = st.lists(values, max_size=8).map(tuple)


@IMPLS
@given(row=rows, mask=st.lists(st.booleans(), max_size=10))
def test_decode_row_decodes_the_wanted_items_and_skips_the_rest(
    impl: Any, row: tuple[Any, ...], mask: list[bool]
) -> None:
    full = decode_tuple(encode(row))
    got = impl.decode_row(encode(row), bytes(mask))
    expected = tuple(v if i >= len(mask) or mask[i] else None for i, v in enumerate(full))
    assert same(got, expected)
    assert same(impl.decode_rows([encode(row)] * 2, bytes(mask)), [expected, expected])


@IMPLS
@given(data=st.binary(max_size=30), mask=st.lists(st.booleans(), max_size=4))
def test_decode_row_of_garbage_raises_codec_error_like_the_reference(
    impl: Any, data: bytes, mask: list[bool]
) -> None:
    want = bytes(mask)
    try:
        expected: Any = REFERENCE.decode_row(data, want)
    except CodecError:
        expected = CodecError
    try:
        got: Any = impl.decode_row(data, want)
    except CodecError:
        got = CodecError
    assert same(got, expected) or got is expected


def test_decode_row_rejects_invalid_utf8_in_a_wanted_text() -> None:
    bad = b"\x09\x07\xff\xfe\x00\x01\x00"
    for impl in IMPLEMENTATIONS:
        with pytest.raises(CodecError):
            impl.decode_row(bad, b"\x01")
        assert impl.decode_row(bad, b"\x00") == (None,)


# A key's history: (commit_ts, kind, value) newest first, as the write CF holds it.
KINDS = st.sampled_from([WriteKind.PUT, WriteKind.DELETE, WriteKind.LOCK, WriteKind.ROLLBACK])
history = st.lists(
    st.tuples(KINDS, st.one_of(st.binary(max_size=4), st.just(b"B" * 300))), max_size=4
)


@IMPLS
@settings(deadline=None)  # an LMDB environment per example: slow on a loaded machine
@given(
    histories=st.lists(history, min_size=0, max_size=6),
    ts=st.integers(1, 12),
    limit=st.integers(1, 4),
)
def test_visible_values_pages_equal_the_reader_scan(
    tmp_path_factory: pytest.TempPathFactory,
    impl: Any,
    histories: list[list[tuple[WriteKind, bytes]]],
    ts: int,
    limit: int,
) -> None:
    engine = LmdbEngine(str(tmp_path_factory.mktemp("kernels")), sync=False)
    try:
        ops: list[tuple[bytes, bytes | None]] = []
        for n, versions in enumerate(histories):
            key_enc = K.enc(b"k" + bytes([n]) + b"\x00" * (n % 2))
            for commit_ts, (kind, value) in enumerate(versions, start=2):
                start_ts = commit_ts - 1
                inline = value if kind == WriteKind.PUT and len(value) < 255 else None
                ops.append((K.write_key(key_enc, commit_ts),
                            Write(kind, start_ts, inline).encode()))  # fmt: skip
                if kind == WriteKind.PUT and inline is None:
                    ops.append((K.data_key(key_enc, start_ts), value))
        engine.write_batch(WriteBatch(ops))
        with engine.snapshot() as snap:
            reader = MvccReader(snap)
            expected = [v for _, v in reader.scan(b"", None, ts)]
            got: list[bytes] = []
            lo, hi = K.cf_range(K.WRITE, b"", None)
            while True:
                keys, value = snap.iter_keys_from(lo)
                last = impl.visible_values(keys, value, hi, K.inverted_ts(ts), limit, got,
                                           reader._load_raw)  # fmt: skip
                if last is None:
                    break
                lo = K.WRITE + last + K.VERSIONS_END
            assert got == expected
            values_only, resume = reader.scan_values(b"", None, ts, 1000)
            assert values_only == expected and resume is None
    finally:
        engine.close()

# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled ``kv.kernels``: the same functions, the same results (tests run both)."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_FromLongLong
from cpython.ref cimport Py_DECREF, Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcmp, memchr

from kv.codec import CodecError, _decode, skip_value
from kv.mvcc.records import WriteKind

cdef int _PUT = int(WriteKind.PUT)
cdef int _DELETE = int(WriteKind.DELETE)


def visible_values(keys, value, bytes hi, bytes inv_ts, Py_ssize_t limit, list values, load):
    # ``first`` is the engine key of the current user key's first version seen: the user key
    # is compared in place (bytes 1 .. len - 8), not sliced out of every entry.
    cdef bytes ek, raw, first = b"\x00" * 9
    cdef bint done = True
    cdef Py_ssize_t n = 0, elen, clen = 0, hlen = PyBytes_GET_SIZE(hi), rlen
    cdef const char* ep
    cdef const char* hp = PyBytes_AS_STRING(hi)
    cdef const char* tp = PyBytes_AS_STRING(inv_ts)
    cdef int kind, c
    for ek in keys:
        ep = PyBytes_AS_STRING(ek)
        elen = PyBytes_GET_SIZE(ek)
        c = memcmp(ep, hp, elen if elen < hlen else hlen)
        if c > 0 or (c == 0 and elen >= hlen):
            return None
        if elen - 9 != clen or memcmp(ep + 1, PyBytes_AS_STRING(first) + 1, clen) != 0:
            first = ek
            clen = elen - 9
            done = False
        if done or memcmp(ep + elen - 8, tp, 8) < 0:
            continue
        raw = value()
        rlen = PyBytes_GET_SIZE(raw)
        kind = <unsigned char>PyBytes_AS_STRING(raw)[0]
        if kind != _PUT and kind != _DELETE:
            continue
        done = True
        if kind == _PUT:
            if rlen > 9:
                values.append(PyBytes_FromStringAndSize(PyBytes_AS_STRING(raw) + 10, rlen - 10))
            else:
                values.append(load(ek[1:elen - 8], raw))
            n += 1
            if n >= limit:
                return ek[1:elen - 8]
    return None


cdef inline int64_t _be_int(const unsigned char* p):
    cdef uint64_t u = 0
    cdef int i
    for i in range(8):
        u = (u << 8) | p[i]
    return <int64_t>(u ^ (<uint64_t>1 << 63))


cdef object _str_at(bytes data, const unsigned char* p, Py_ssize_t off, Py_ssize_t n, Py_ssize_t* end):
    """A text value whose bytes start at ``off`` (after the tag); sets ``end`` past it."""
    cdef const unsigned char* q = <const unsigned char*>memchr(p + off, 0, n - off)
    if q != NULL and q - p + 1 < n and q[1] == 1:
        end[0] = q - p + 2
        return PyUnicode_DecodeUTF8(<const char*>(p + off), q - p - off, "surrogatepass")
    return None  # escaped NULs or malformed: the Python decoder decides


cdef Py_ssize_t _skip_escaped(const unsigned char* p, Py_ssize_t off, Py_ssize_t n) except -1:
    """The offset past the escaped bytes at ``off`` (their 00 01 terminator)."""
    cdef const unsigned char* q
    while off < n:
        q = <const unsigned char*>memchr(p + off, 0, n - off)
        if q == NULL or q - p + 1 >= n:
            break
        if q[1] == 1:
            return q - p + 2
        off = q - p + 2
    raise CodecError("unterminated escaped bytes")


cdef object _item(bytes data, const unsigned char* p, Py_ssize_t* off, Py_ssize_t n):
    """The value at ``off[0]`` (a present item), advancing ``off`` past it."""
    cdef unsigned char tag = p[off[0]]
    cdef Py_ssize_t end = 0
    if tag == 0x04 and off[0] + 9 <= n:
        v = PyLong_FromLongLong(_be_int(p + off[0] + 1))
        off[0] += 9
        return v
    if tag == 0x01:
        off[0] += 1
        return None
    if tag == 0x07:
        try:
            v = _str_at(data, p, off[0] + 1, n, &end)
        except UnicodeDecodeError:
            v = None  # the Python decoder raises the codec's error
        if v is not None:
            off[0] = end
            return v
    v, o = _decode(data, off[0], 1)
    off[0] = o
    return v


cdef tuple _decode_row(bytes data, const unsigned char* w, Py_ssize_t nwant):
    cdef Py_ssize_t n = PyBytes_GET_SIZE(data), off = 1, i = 0
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef unsigned char tag
    cdef list items = None
    cdef tuple row
    if n == 0 or p[0] != 0x09:
        raise CodecError("not an encoded tuple")
    # Most rows have one item per mask position: fill a tuple of that size in place, and
    # fall back to a list for rows of another width.
    row = PyTuple_New(nwant)
    for i in range(nwant):
        Py_INCREF(None)
        PyTuple_SET_ITEM(row, i, None)
    i = 0
    while True:
        if off >= n:
            raise CodecError("unterminated tuple")
        tag = p[off]
        if tag == 0x00:
            if off + 1 != n:
                raise CodecError(f"{n - off - 1} trailing bytes after the encoded value")
            if items is not None:
                return tuple(items)
            if i == nwant:
                return row
            return row[:i]
        if i < nwant and not w[i]:
            v = None
            if tag == 0x04 or tag == 0x05:
                if off + 9 > n:
                    raise CodecError("truncated value")
                off += 9
            elif tag == 0x07 or tag == 0x08:
                off = _skip_escaped(p, off + 1, n)
            elif 0x01 <= tag <= 0x03:
                off += 1
            else:
                off = skip_value(data, off)
        else:
            v = _item(data, p, &off, n)
        if items is None and i < nwant:
            if v is not None:
                Py_INCREF(v)
                Py_DECREF(None)
                PyTuple_SET_ITEM(row, i, v)
        else:
            if items is None:
                items = list(row)
            items.append(v)
        i += 1


def decode_row(bytes data, want):
    cdef bytes wb = bytes(want)
    return _decode_row(data, <const unsigned char*>PyBytes_AS_STRING(wb), PyBytes_GET_SIZE(wb))


def decode_rows(raws, want):
    cdef bytes wb = bytes(want)
    cdef const unsigned char* w = <const unsigned char*>PyBytes_AS_STRING(wb)
    cdef Py_ssize_t nwant = PyBytes_GET_SIZE(wb)
    cdef bytes raw
    return [_decode_row(raw, w, nwant) for raw in raws]

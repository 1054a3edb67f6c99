"""PostgreSQL's in-memory sort (src/include/lib/sort_template.h, Bentley and McIlroy's
quicksort): the order it leaves rows that compare equal in.

The sort is not stable, so rows equal on every key (peers of a window's ORDER BY) come out of
PostgreSQL in an order that depends on the algorithm. Sorting the same input with the same
steps puts them where PostgreSQL does: a window function that reads its peers in order
(row_number, first_value over ROWS frames) then gives PostgreSQL's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kv import interrupt

T = TypeVar("T")


def pg_qsort(a: list[T], cmp: Callable[[T, T], int]) -> None:
    """Sort ``a`` in place as PostgreSQL's qsort does with comparator ``cmp``."""
    _sort(a, 0, len(a), cmp)


def _med3(a: list[Any], i: int, j: int, k: int, cmp: Callable[[Any, Any], int]) -> int:
    if cmp(a[i], a[j]) < 0:
        if cmp(a[j], a[k]) < 0:
            return j
        return k if cmp(a[i], a[k]) < 0 else i
    if cmp(a[j], a[k]) > 0:
        return j
    return i if cmp(a[i], a[k]) < 0 else k


def _swapn(a: list[Any], i: int, j: int, n: int) -> None:
    for x in range(n):
        a[i + x], a[j + x] = a[j + x], a[i + x]


def _sort(a: list[Any], lo: int, n: int, cmp: Callable[[Any, Any], int]) -> None:
    while True:
        interrupt.check()
        if n < 7:
            for m in range(lo + 1, lo + n):
                p = m
                while p > lo and cmp(a[p - 1], a[p]) > 0:
                    a[p - 1], a[p] = a[p], a[p - 1]
                    p -= 1
            return
        if all(cmp(a[m - 1], a[m]) <= 0 for m in range(lo + 1, lo + n)):
            return
        pm = lo + n // 2
        if n > 7:
            pl, pn = lo, lo + n - 1
            if n > 40:
                d = n // 8
                pl = _med3(a, pl, pl + d, pl + 2 * d, cmp)
                pm = _med3(a, pm - d, pm, pm + d, cmp)
                pn = _med3(a, pn - 2 * d, pn - d, pn, cmp)
            pm = _med3(a, pl, pm, pn, cmp)
        a[lo], a[pm] = a[pm], a[lo]
        pa = pb = lo + 1
        pc = pd = lo + n - 1
        while True:
            while pb <= pc:
                r = cmp(a[pb], a[lo])
                if r > 0:
                    break
                if r == 0:
                    a[pa], a[pb] = a[pb], a[pa]
                    pa += 1
                pb += 1
            while pb <= pc:
                r = cmp(a[pc], a[lo])
                if r < 0:
                    break
                if r == 0:
                    a[pc], a[pd] = a[pd], a[pc]
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            a[pb], a[pc] = a[pc], a[pb]
            pb += 1
            pc -= 1
        pn = lo + n
        d1 = min(pa - lo, pb - pa)
        _swapn(a, lo, pb - d1, d1)
        d1 = min(pd - pc, pn - pd - 1)
        _swapn(a, pb, pn - d1, d1)
        d1, d2 = pb - pa, pd - pc
        if d1 <= d2:
            if d1 > 1:
                _sort(a, lo, d1, cmp)
            if d2 <= 1:
                return
            lo, n = pn - d2, d2
        else:
            if d2 > 1:
                _sort(a, pn - d2, d2, cmp)
            if d1 <= 1:
                return
            n = d1

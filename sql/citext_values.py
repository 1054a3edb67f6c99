"""citext values (the citext extension's type): text that compares case-insensitively.

A value is a ``CiText``, a str keeping the case it was written in (output, casts to text)
whose equality, ordering and hash go by its lower-cased form, as citext's operators compare
lower(a) with lower(b): so DISTINCT, GROUP BY, ORDER BY, unique indexes (whose keys are the
lower-cased text: ``key``) and ``=`` between two citexts ignore case. Beside a plain text
value it compares as text does (PostgreSQL resolves citext = text to text's operator).
"""

from __future__ import annotations


class CiText(str):
    __slots__ = ()

    def folded(self) -> str:
        return str.lower(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CiText):
            return self.folded() == other.folded()
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.folded())

    def _pair(self, other: str) -> tuple[str, str]:
        if isinstance(other, CiText):
            return self.folded(), other.folded()
        return str(self), other

    def __lt__(self, other: str) -> bool:
        a, b = self._pair(other)
        return a < b

    def __le__(self, other: str) -> bool:
        a, b = self._pair(other)
        return a <= b

    def __gt__(self, other: str) -> bool:
        a, b = self._pair(other)
        return a > b

    def __ge__(self, other: str) -> bool:
        a, b = self._pair(other)
        return a >= b

    def __reduce__(self) -> tuple[object, ...]:
        return (CiText, (str(self),))


def key(v: str) -> str:
    """What a citext keys an index by: its lower-cased text."""
    return str.lower(v)

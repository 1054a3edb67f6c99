"""What a type's binary input reads from: the bytes of one value, taken in order (pgwire's
reader, which raises 08P01 when a value asks for more than was sent)."""

from __future__ import annotations

from typing import Protocol


class Source(Protocol):
    def take(self, n: int) -> bytes: ...

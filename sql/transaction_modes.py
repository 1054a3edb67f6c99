"""A transaction's characteristics as BEGIN, START TRANSACTION, SET TRANSACTION and SET
SESSION CHARACTERISTICS AS TRANSACTION name them (PostgreSQL's transaction_mode_list):
ISOLATION LEVEL ..., READ ONLY | READ WRITE, [NOT] DEFERRABLE, separated by commas or spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from sql.errors import SyntaxError_

ISOLATION_LEVELS = ("read uncommitted", "read committed", "repeatable read", "serializable")


@dataclass
class Modes:
    """What a mode list sets; None: left as it is."""

    isolation: str | None = None
    read_only: bool | None = None
    deferrable: bool | None = None


def parse(words: list[str]) -> Modes:
    """The modes named by ``words`` (the statement's words after its leading keywords)."""
    words = [w for w in words if w != ","]
    lower = [w.lower() for w in words]
    out = Modes()
    i = 0
    while i < len(lower):
        pair = lower[i : i + 2]
        if pair == ["isolation", "level"]:
            for level in ISOLATION_LEVELS:
                n = len(level.split())
                if lower[i + 2 : i + 2 + n] == level.split():
                    out.isolation = level
                    i += 2 + n
                    break
            else:
                at = lower[i + 2] if i + 2 < len(lower) else "end of input"
                raise SyntaxError_(f'syntax error at or near "{at}"')
        elif pair in (["read", "only"], ["read", "write"]):
            out.read_only = pair[1] == "only"
            i += 2
        elif pair == ["not", "deferrable"]:
            out.deferrable = False
            i += 2
        elif lower[i] == "deferrable":
            out.deferrable = True
            i += 1
        elif lower[i] in ("work", "transaction", ";"):  # BEGIN WORK, BEGIN TRANSACTION
            i += 1
        else:
            raise SyntaxError_(f'syntax error at or near "{words[i]}"')
    return out

"""A statement's outcome (``Result``) and what its consumers may do with a query's rows
while they are still being produced (``Stream``).

A leaf module: dml, ddl, copy and the session build results, pgwire and control read them,
and none of them needs the session's module to do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kv.errors import Db9Error
from kv.interrupt import Reason
from sql.copy import CopySpec
from sql.types import SqlType


class Stream(Protocol):
    """The rows of a query that is still running, fetched in batches (sql.session.RowStream).

    ``tag`` is None until the stream has ended (``done``); an error raised while producing rows
    is kept in ``error`` and raised by the next ``fetch``; ``closed`` says it was ended by
    ``close`` before its last row."""

    verb: str  # the command tag's first word (SELECT, FETCH, ...)
    tag: str | None
    done: bool
    closed: bool
    error: Db9Error | None
    text: str  # the statement, for the observer
    started: float  # time.perf_counter() when the statement started

    def fetch(self, n: int) -> list[tuple[Any, ...]]: ...

    def drain(self) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...

    def interrupt(self, reason: Reason) -> None:
        """Stop the statement from any thread, also between two fetches (its rows waiting
        for the client): the next fetch raises."""


@dataclass
class Result:
    """One statement's outcome: a command tag, and for queries the columns and rows.

    A query's rows are produced lazily: the statement hands back ``pending`` (an iterator not
    yet started), and ``Session`` either drains it into ``rows`` (in-process callers) or wraps
    it in a ``RowStream`` (``stream``) that the wire protocol consumes in batches; then ``tag``
    is final only once the stream has ended (``stream.tag``)."""

    tag: str
    columns: list[tuple[str, SqlType]] | None = None
    rows: list[tuple[Any, ...]] | None = None
    copy: CopySpec | None = None  # the client must now send or receive COPY data
    pending: Any = None  # an iterator of rows with close(), until drained or streamed
    stream: Stream | None = None

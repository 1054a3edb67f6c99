"""An operator compiles each operand once, whatever it must find out about the operands'
types before choosing its meaning (|| of text, arrays, jsonb, hstore or tsvector; - of numbers,
dates, jsonb or hstore): a chain of n operators costs O(n) compiles, not 2^n or 3^n (a chain of
fourteen || took 66 s to compile in a database with hstore installed)."""

from __future__ import annotations

from typing import Any

import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.expr import Compiler as ExprCompiler
from sql.session import Session
from tests.kv.conftest import local_kv


def _compiles(monkeypatch: pytest.MonkeyPatch, session: Session, sql: str) -> int:
    count = [0]
    original = ExprCompiler.compile

    def counting(self: ExprCompiler, e: Any) -> Any:
        count[0] += 1
        return original(self, e)

    monkeypatch.setattr(ExprCompiler, "compile", counting)
    try:
        session.execute(sql)
    finally:
        monkeypatch.setattr(ExprCompiler, "compile", original)
    return count[0]


@pytest.mark.parametrize("extension", [None, "hstore"])
@pytest.mark.parametrize(
    "chain",
    [
        lambda n: " || ".join(["a"] * n),  # text
        lambda n: " || ".join(["j"] * n),  # jsonb
        lambda n: " || ".join(["arr"] * n),  # arrays
        lambda n: " - ".join(["i"] * n),  # integers
        lambda n: "d" + " - i" * (n - 1),  # date - integer
        lambda n: "j" + " - 'k'" * (n - 1),  # jsonb minus a key
    ],
    ids=["text", "jsonb", "array", "int", "date", "jsonb-minus"],
)
def test_operator_chains_compile_each_operand_once(
    monkeypatch: pytest.MonkeyPatch, chain: Any, extension: str | None
) -> None:
    session = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    if extension:
        session.execute(f"CREATE EXTENSION {extension}")
    session.execute("CREATE TABLE t (a text, j jsonb, arr int[], i int, d date)")
    small = _compiles(monkeypatch, session, f"SELECT {chain(4)} FROM t")
    large = _compiles(monkeypatch, session, f"SELECT {chain(12)} FROM t")
    # linear: 8 more operators cost a bounded number of compiles each (2^n: thousands)
    assert large - small <= 8 * 6, (small, large)

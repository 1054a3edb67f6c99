"""A ratchet on PostgreSQL's regression scripts (``python -m bench.pg_regress --quick``): on each
quick file, db9 must agree with PostgreSQL on at least as many statements as the floor recorded
in bench/regress/baseline.json (less one, for a statement that a loaded machine times out).
Raise a file's floor when a change lifts it for good; never lower one to let a change through.

The scripts live outside the project (../shared/pg-regress); without them this is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import pg_regress
from bench.regress.script import REGRESS
from bench.servers import free_base

BASELINE = Path(pg_regress.__file__).parent / "regress" / "baseline.json"


@pytest.mark.skipif(not REGRESS.exists(), reason="no pg-regress scripts (set DB9_PG_REGRESS)")
@pytest.mark.timeout(600)
def test_quick_regression_files_agree_at_least_as_often_as_recorded() -> None:
    floors: dict[str, int] = json.loads(BASELINE.read_text())["quick"]
    assert set(floors) == set(pg_regress.QUICK)
    results = pg_regress.run(list(pg_regress.QUICK), free_base(2), timeout=30.0)
    low = []
    for r in results:
        if r.agreed < floors[r.name] - 1:
            wrong = [f"  {v.line}: {v.why}: {' '.join(v.sql.split())[:80]}"
                     for v in r.verdicts if not v.agree]  # fmt: skip
            low.append(f"{r.name}: {r.agreed} agree, floor {floors[r.name]}\n" + "\n".join(wrong))
    assert not low, "below the recorded agreement:\n" + "\n".join(low)


@pytest.mark.skipif(not REGRESS.exists(), reason="no pg-regress scripts (set DB9_PG_REGRESS)")
def test_an_unknown_script_name_is_one_line_and_exit_1() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.pg_regress", "--files", "no_such_file"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [f"no regression script no_such_file in {REGRESS}"]

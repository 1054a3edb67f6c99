"""python -m tests.jepsen.recheck RUN_DIR [RUN_DIR ...]

Checks a recorded run again with the current checkers: its history.jsonl through the
workload's checker and the replicas' final reads, with what only the live run could see (the
heal, the nemeses' own findings, ``db9 cluster check``) taken from its summary.json. Prints
the verdict and writes recheck.json and recheck.txt beside them (the originals stay).
Exit status 1 if any run is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.jepsen.history import History
from tests.jepsen.runner import check_history, summary_text

#: Verdicts of the live run that the history cannot show again.
LIVE = ("heal_error", "nemesis_anomalies", "consistency")


def recheck(run_dir: Path) -> dict[str, Any]:
    old = json.loads((run_dir / "summary.json").read_text())
    history = History.load(str(run_dir / "history.jsonl"))
    nodes = len(old.get("replica_reads", {}).get("nodes_read", [])) or 3
    result = {**old, **check_history(old["workload"], history, nodes)}
    for key in LIVE:
        if key in old:
            result[key] = old[key]
    live_ok = "heal_error" not in old and not old.get("nemesis_anomalies")
    live_ok = live_ok and old.get("consistency", {"ok": True})["ok"]
    result["valid"] = bool(result["valid"] and live_ok)
    return result


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[0] if __doc__ else "usage: RUN_DIR ...")
    bad = False
    for arg in sys.argv[1:]:
        run_dir = Path(arg)
        if not (run_dir / "summary.json").is_file() or not (run_dir / "history.jsonl").is_file():
            print(f"{run_dir}: no summary.json and history.jsonl here", file=sys.stderr)
            bad = True
            continue
        result = recheck(run_dir)
        (run_dir / "recheck.json").write_text(json.dumps(result, indent=1, default=str))
        (run_dir / "recheck.txt").write_text(summary_text(result))
        print(f"{run_dir.name}: {'valid' if result['valid'] else 'INVALID'}")
        bad = bad or not result["valid"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

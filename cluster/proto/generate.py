"""Regenerate the protobuf and gRPC modules next to db9kv.proto.

    .venv/bin/python -m cluster.proto.generate [--check]

``--check`` generates into a temporary directory and fails if the committed files differ
(the test suite runs it, so a changed .proto cannot be forgotten).
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTPUTS = ("db9kv_pb2.py", "db9kv_pb2.pyi", "db9kv_pb2_grpc.py")


def generate(out_root: Path) -> None:
    args = [
        "protoc",
        f"-I{ROOT}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        str(HERE / "db9kv.proto"),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if not args.check:
        generate(ROOT)
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh = Path(tmp) / "cluster" / "proto"
        stale = [n for n in OUTPUTS if not filecmp.cmp(fresh / n, HERE / n, shallow=False)]
    if stale:
        sys.exit(f"generated files are out of date: {', '.join(stale)}; "
                 "run python -m cluster.proto.generate")  # fmt: skip


if __name__ == "__main__":
    main()

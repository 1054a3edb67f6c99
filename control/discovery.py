"""How the CLI finds the local server it talks to, whatever data directory the server uses.

A node serving the REST API writes one small JSON file per process into the user's runtime
directory, ``$XDG_RUNTIME_DIR/db9`` (else ``~/.db9/run``; 0700): its pid, API URL, data
directory and the path of its API token file, never the token (that file stays 0600 in the
data directory). The node removes it on a clean shutdown. A reader ignores a file whose pid
is gone (and removes it: the node was killed) or whose URL does not answer (a reused pid, or
a node still starting).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass

import httpx

from kv.durable_file import write_durably


@dataclass(frozen=True)
class Announcement:
    pid: int
    api_url: str
    data_dir: str
    token_file: str  # "" when the node has no API token file

    def token(self) -> str | None:
        try:
            with open(self.token_file) as f:
                return f.read().strip() or None
        except OSError:
            return None


def runtime_dir() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, "db9")
    return os.path.join(os.path.expanduser("~"), ".db9", "run")


def announce(api_url: str, token_file: str, data_dir: str, pid: int | None = None) -> str:
    """Write this node's announcement (``pid``: this process); its path."""
    pid = os.getpid() if pid is None else pid
    directory = runtime_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    path = os.path.join(directory, f"server-{pid}.json")
    found = Announcement(pid, api_url, os.path.abspath(data_dir),
                         os.path.abspath(token_file) if token_file else "")  # fmt: skip
    write_durably(path, json.dumps(asdict(found)).encode(), 0o600)
    return path


def withdraw(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process took the pid
        return True
    return True


def _answers(url: str) -> bool:
    try:
        httpx.get(url + "/v1/health", timeout=2)
    except httpx.HTTPError:
        return False
    return True  # any answer, 503 (no leader yet) included: a db9 API is there


def running(api_url: str | None = None) -> list[Announcement]:
    """The live local servers, the most recently started first; only the one at ``api_url``
    if given."""
    directory = runtime_dir()
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found: list[tuple[float, Announcement]] = []
    for name in names:
        if not (name.startswith("server-") and name.endswith(".json")):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path) as f:
                one = Announcement(**json.load(f))
            started = os.stat(path).st_mtime
        except (OSError, ValueError, TypeError):
            continue  # being written, or not ours
        if not _alive(one.pid):
            withdraw(path)
            continue
        if api_url is not None and one.api_url != api_url.rstrip("/"):
            continue
        if _answers(one.api_url):
            found.append((started, one))
    return [one for _, one in sorted(found, key=lambda f: -f[0])]

"""Bootstrap of the local account and the default database when several nodes of a cluster
start at once: the operator's API token (DB9_API_TOKEN, the same on every node) must end up on
the account that owns the default database."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from control.plane import ControlPlane
from kv.client import KvBackend, TxnClient
from kv.errors import Db9Error
from tests.kv.conftest import local_kv

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TOKEN = "operator-token"


def _plane(kv: KvBackend) -> ControlPlane:
    return ControlPlane(TxnClient(kv), kv, host="127.0.0.1", pg_port=5433, key=KEY)


def _bootstrap(plane: ControlPlane) -> None:
    """As db9-server does: retried while the store refuses (a conflict with another node)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            plane.bootstrap("pw", "local", TOKEN)
            return
        except Db9Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _token_sees_default(plane: ControlPlane) -> bool:
    account = plane.registry.authenticate(TOKEN)
    return "default" in [d.name for d in plane.registry.databases(account.id)]


def test_nodes_bootstrapping_at_once_leave_the_operator_token_on_the_default_database() -> None:
    for _ in range(10):  # the race is timing-dependent: several rounds
        kv = local_kv()
        planes = [_plane(kv) for _ in range(3)]
        start = threading.Barrier(len(planes))

        def node(p: ControlPlane, start: threading.Barrier) -> None:
            start.wait()
            _bootstrap(p)

        threads = [threading.Thread(target=node, args=(p, start)) for p in planes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert _token_sees_default(planes[0])
        owners = {d.account_id for d in planes[0].registry.databases()}
        assert len(owners) == 1
        assert planes[0].registry.by_tenant("local") is not None


def test_bootstrap_moves_an_operator_token_left_on_an_empty_account() -> None:
    """A store bootstrapped by an older version in the race above: the token belongs to an
    account without databases. The next start repairs it."""
    kv = local_kv()
    plane = _plane(kv)
    plane.bootstrap("pw", "local", None)
    orphan = plane.registry.create_account("local")
    plane.registry.create_token(orphan.id, "bootstrap", secret=TOKEN)
    assert not _token_sees_default(plane)
    account, created = plane.bootstrap("pw", "local", TOKEN)
    assert created is None
    assert _token_sees_default(plane)
    assert plane.registry.authenticate(TOKEN).id == account.id


def test_a_node_waits_out_a_store_that_cannot_answer_however_long_it_lasts(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """A wiped member catches up for minutes before its own reads can be served; its
    bootstrap gave up after 120 s and the node exited. A store that cannot answer is waited
    for; any other error still ends the start after its deadline."""
    from types import SimpleNamespace

    from cluster.convert import Unavailable
    from control import server
    from kv.errors import InvalidArgument

    clock = [0.0]
    monkeypatch.setattr(server.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(server.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + 60))

    class Plane:
        def __init__(self, errors: list[Db9Error]) -> None:
            self.errors = errors

        def bootstrap(self, *args: Any) -> tuple[Any, str | None]:
            if self.errors:
                raise self.errors.pop(0)
            return None, None

    node = server.Node.__new__(server.Node)
    node.password = "pw"
    node.config = SimpleNamespace(tenant="local", api_token="", data_dir=str(tmp_path))
    catching_up = Unavailable("this node has not caught up with the read's timestamp")
    node.plane = Plane([catching_up] * 20)  # twenty minutes of it
    node.bootstrap()
    assert clock[0] >= 20 * 60
    clock[0] = 0.0
    node.plane = Plane([InvalidArgument("bad tenant")] * 5)
    with pytest.raises(InvalidArgument):
        node.bootstrap()

"""db9-server: one db9 node.

Today a node owns its storage: it opens the LMDB store in its data directory (creating it on
first start), runs the timestamp oracle and the GC worker, and shuts down cleanly on SIGINT or
SIGTERM. The SQL front end (pgwire on 5433), the REST API and Raft replication attach here as
their layers land.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from control.config import ServerConfig
from kv.client import LocalKv, TxnClient
from kv.errors import Db9Error
from kv.gc_worker import GcWorker

log = logging.getLogger("db9.server")


class Node:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.kv = LocalKv.open(config.data_dir, sync=config.sync)
        self.client = TxnClient(self.kv)
        self.gc = GcWorker(
            self.kv,
            life_time_s=config.gc_life_time_s,
            interval_s=config.gc_interval_s,
            min_active_ts=self.client.min_active_ts,
        )
        self.stopped = threading.Event()

    def start(self) -> None:
        self.gc.start()

    def stop(self) -> None:
        self.gc.stop()
        self.kv.close()
        self.stopped.set()


@click.command()
@click.option("--node-id", type=int, default=None, help="Node id (DB9_NODE_ID).")
@click.option("--data-dir", default=None, help="Data directory (DB9_DATA_DIR).")
@click.option("--no-sync", "no_sync", is_flag=True, default=False, help="Skip fsync on commit.")
def main(node_id: int | None, data_dir: str | None, no_sync: bool) -> None:
    """Run a db9 node."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        config = ServerConfig.from_env(
            node_id=node_id, data_dir=data_dir, sync=False if no_sync else None
        )
        node = Node(config)
    except (Db9Error, ValueError) as exc:
        click.echo(f"db9-server: {exc}", err=True)
        sys.exit(1)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    node.start()
    stats = node.kv.engine.stats()
    click.echo(f"db9 node {config.node_id}: storage at {config.data_dir} ({stats.entries} entries)")
    click.echo("The KV store is open; press Ctrl-C to stop.")
    stop.wait()
    click.echo("db9-server: shutting down")
    node.stop()

"""db9-server: one db9 node.

A node owns its storage (the LMDB store in its data directory, the timestamp oracle, the GC
worker) and serves SQL over the PostgreSQL protocol on port 5433, with TLS required (its own
CA, made on first start, signs the server certificate; clients verify it with the CA's ca.crt)
and SCRAM-SHA-256. The REST API and Raft replication
attach here as their layers land.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import faulthandler
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import click
import uvicorn
from fastapi import FastAPI

from cluster.node import ClusterConfig, ClusterNode
from cluster.state_machine import RaftOptions
from control import allocator, discovery
from control.api import build_app
from control.config import ServerConfig
from control.plane import TRANSIENT_SQLSTATES, ControlPlane, RegistryAuthenticator
from control.tokens import load_or_create_key
from kv.client import KvBackend, LocalKv, TxnClient
from kv.durable_file import private_dir, write_durably
from kv.errors import Db9Error
from kv.gc_worker import GcWorker
from kv.interrupt import Reason
from kv.txn.gc import RetainPoint
from pgwire.server import PgServer, PgServerConfig, new_event_loop, probe
from pgwire.tls import ensure_tls_files, server_context

log = logging.getLogger("db9.server")
# SIGTERM must end the process within 5 s: sessions get this long to end once their statements
# are interrupted, the REST API as long, then the store closes.
SHUTDOWN_GRACE_S = 2.0


def password_file(config: ServerConfig) -> str:
    return os.path.join(config.data_dir, "admin-password")


def admin_password(config: ServerConfig) -> str:
    """The configured password, or the one generated on first start and kept in the data dir
    (0600): the registry keeps only its verifier, the banner names the file."""
    if config.password:
        return config.password
    path = password_file(config)
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    password = secrets.token_urlsafe(18)
    write_durably(path, (password + "\n").encode(), 0o600)
    return password


def node_tls_files(config: ServerConfig) -> tuple[str, str, str]:
    """(CA certificate, server certificate, server key) paths; the CA path is "" when an
    operator's certificate was configured without ``tls_ca``."""
    if not config.managed_tls:
        return config.tls_ca, config.tls_cert, config.tls_key
    tls_dir = os.path.join(config.data_dir, "tls")
    return ensure_tls_files(tls_dir, config.pg_host, config.advertise_host, *config.tls_name_list())


class _ApiServer(uvicorn.Server):
    """uvicorn in the node's event loop; the node owns SIGTERM/SIGINT, so uvicorn must not
    replace their handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


# The store cannot answer yet: what the bootstrap waits out however long it lasts (see
# ``Node.bootstrap``): the plane's transient errors and a full disk.
BOOTSTRAP_WAITS_FOR = TRANSIENT_SQLSTATES | {"53100"}
BOOTSTRAP_OTHER_ERRORS_S = 120.0


class Node:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.cluster: ClusterNode | None = None
        self.kv: KvBackend
        if config.clustered:
            self.cluster = ClusterNode(ClusterConfig(
                node_id=config.node_id, data_dir=config.data_dir, raft_addr=config.raft_addr,
                peers=config.peer_list(), grpc_addr=config.grpc_addr or "127.0.0.1:7100",
                secret=config.cluster_secret, sync=config.sync),
                RaftOptions(password=config.cluster_secret, sync=config.sync,
                            compaction_min_entries=config.raft_compaction_entries,
                            catchup_min_entries=config.raft_catchup_entries),
                retry_s=config.raft_retry_s)  # fmt: skip
            self.kv = self.cluster.kv
            leader_only: Callable[[], bool] = self.cluster.is_leader
        else:
            self.kv = LocalKv.open(config.data_dir, sync=config.sync)
            leader_only = lambda: True  # noqa: E731
        self.client = TxnClient(self.kv)
        self.gc = GcWorker(
            self.kv,
            life_time_s=config.gc_life_time_s,
            interval_s=config.gc_interval_s,
            min_active_ts=self.client.min_active_ts,
            active=leader_only,
            retain=self._retain_points,
        )
        self.user = f"{config.tenant}.admin"
        self.password = admin_password(config)
        self.host = config.advertise_host or (
            "127.0.0.1" if config.pg_host in ("0.0.0.0", "") else config.pg_host
        )
        self.plane = ControlPlane(
            self.client, self.kv, host=self.host, pg_port=config.advertise_port or config.pg_port,
            key=load_or_create_key(os.path.join(config.data_dir, "connect-token.key")),
            active=leader_only, gc_life_time_s=config.gc_life_time_s,
            branch_timeout_s=config.branch_timeout_s, token_ttl_min=config.token_ttl_minutes,
            branch_fault=config.branch_fault,
        )  # fmt: skip
        self.auth = RegistryAuthenticator(self.plane)
        self.api_token: str | None = None
        self.tls_ca, cert, key = node_tls_files(config)
        self.pg = PgServer(
            self.auth,
            PgServerConfig(
                host=config.pg_host,
                port=config.pg_port,
                max_connections=config.max_connections,
                idle_timeout_s=config.idle_timeout_s,
                tenant_qps_limit=config.tenant_qps_limit,
                require_tls=config.require_tls,
                max_statements=config.max_statements,
                max_tenant_statements=config.max_tenant_statements,
                shutdown_grace_s=SHUTDOWN_GRACE_S,
                authentication_timeout_s=config.authentication_timeout_s,
                max_pending_logins=config.max_pending_logins,
                max_pending_logins_per_address=config.max_pending_logins_per_address,
                login_failures_per_address=config.login_failures_per_address,
                login_failures_per_user=config.login_failures_per_user,
                login_failure_window_s=config.login_failure_window_s,
                max_message_bytes=config.max_message_bytes,
                max_tenant_buffer_bytes=config.max_tenant_buffer_bytes,
            ),
            server_context(cert, key),
        )
        self.plane.connections = self.pg.sessions_by_database
        self.plane.end_sessions = self.pg.end_sessions
        self.plane.end_logins = self.pg.end_logins
        self.pg.credentials = self.auth.credentials

    def _retain_points(self) -> list[RetainPoint]:
        """GC keeps each branch's view of its parent (the versions as of the fork)."""
        links = self.kv.branch_links()
        return [RetainPoint(link.parent, link.fork_ts) for link in links.values()]

    def bootstrap(self) -> None:
        """Register the default database and the local account; retried until the store
        takes writes (in a cluster, until a leader is elected).

        A store that cannot answer yet (no leader, a wiped member still catching up, a full
        disk: ``BOOTSTRAP_WAITS_FOR``) is waited for as long as the node runs; a catch-up
        can take minutes, and a node that gave up after 120 s exited in the middle of it
        (fault run list-append-1 of the third validation). Any other error is retried for
        ``BOOTSTRAP_OTHER_ERRORS_S``, then ends the start."""
        deadline = time.monotonic() + BOOTSTRAP_OTHER_ERRORS_S
        while True:
            try:
                _, token = self.plane.bootstrap(
                    self.password, self.config.tenant, self.config.api_token or None
                )
                break
            except Db9Error as exc:  # no leader yet, or another node bootstrapping at once
                if exc.sqlstate not in BOOTSTRAP_WAITS_FOR and time.monotonic() > deadline:
                    raise
                log.info("bootstrap not done yet, retrying: %s", exc.message)
                time.sleep(0.5)
        path = os.path.join(self.config.data_dir, "api-token")
        token = token or self.config.api_token or None  # an operator token: on every node
        if token is not None:
            write_durably(path, (token + "\n").encode(), 0o600)
        if os.path.exists(path):
            with open(path) as f:
                self.api_token = f.read().strip()

    async def _bootstrapped(self, stop: asyncio.Event) -> bool:
        """``bootstrap`` in a daemon thread, until it ends (True) or ``stop`` is set first
        (False): a cluster node without a quorum retries for minutes, and SIGTERM must not
        wait for that."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                self.bootstrap()
            except BaseException as exc:  # handed to the event loop
                done.set_exception(exc)
            else:
                done.set_result(None)

        threading.Thread(target=run, name="bootstrap", daemon=True).start()
        booted: asyncio.Future[Any] = asyncio.wrap_future(done)
        stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        await asyncio.wait({booted, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not booted.done():
            return False
        booted.result()
        return True

    async def ready(self) -> str | None:
        """Why clients cannot use this node yet, or None: in a cluster a Raft leader is known,
        and pgwire answers on its own port. ``/v1/health`` (the compose healthcheck) says so."""
        if self.cluster is not None and not self.cluster.machine._getLeader():
            return "no Raft leader known"
        host = self.config.pg_host
        return await probe("127.0.0.1" if host in ("0.0.0.0", "") else host, self.pg.port)

    def api_app(self) -> FastAPI:
        """The REST API over this node: pgwire's statement slots and per-tenant QPS limiter
        (one bound and one rate per tenant across both), and the configured API limits."""
        return build_app(
            self.plane, self.pg.slots, self.config.api_statement_timeout_s, self.ready,
            statement_rate=self.pg.rate,
            signups_per_minute=self.config.api_signups_per_minute,
            max_body_bytes=self.config.api_max_body_bytes,
            operator_tenant=self.config.tenant,
            tls_ca=self.tls_ca or None,
        )  # fmt: skip

    async def serve(self, stop: asyncio.Event) -> None:
        if not await self._bootstrapped(stop):
            log.info("stopped before the store took writes")
            self.close()
            return
        self.gc.start()
        self.plane.start()
        await self.pg.start()
        api_task = None
        if self.config.api_port:
            app = self.api_app()
            api = _ApiServer(uvicorn.Config(
                app, host=self.config.api_host, port=self.config.api_port, log_level="warning",
                lifespan="off", timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S)))  # fmt: skip
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:  # bound here, so a busy port is our OSError, not uvicorn's sys.exit
                sock.bind((self.config.api_host, self.config.api_port))
            except OSError as exc:
                sock.close()
                raise OSError(
                    f"cannot serve the REST API on {self.config.api_host}:"
                    f"{self.config.api_port}: {exc.strerror}"
                ) from None
            api_task = asyncio.create_task(api.serve(sockets=[sock]))
            # The banner below tells scripts the node is up: the API must listen by then.
            while not api.started and not api_task.done():
                await asyncio.sleep(0.005)
            if api_task.done():
                api_task.result()  # its startup failed: raise that
        host = self.host
        click.echo(f"db9 node {self.config.node_id}: data in {self.config.data_dir}")
        announced = None
        if self.config.api_port:
            url = f"http://{self.config.api_host}:{self.config.api_port}"
            token_file = os.path.join(self.config.data_dir, "api-token")
            click.echo(f"REST API on {url} (docs at /docs); API token in {token_file}")
            announced = self._announce(token_file)
        if self.cluster is not None:
            cfg = self.cluster.config
            click.echo(f"raft on {cfg.raft_addr} (members {', '.join(cfg.peers)}), "
                       f"gRPC on {cfg.grpc_addr}")  # fmt: skip
        if self.config.fault_branch:
            click.echo(f"fault injected into branch creation: {self.config.fault_branch}")
        tls = "TLS required" if self.config.require_tls else "TLS optional: --allow-plaintext"
        click.echo(f"pgwire on {self.config.pg_host}:{self.pg.port} ({tls}, SCRAM-SHA-256[-PLUS])")
        if self.tls_ca:
            click.echo(f"TLS CA certificate: {self.tls_ca} (also: db9 ca, GET /v1/tls/ca.crt)")
        # Never the password itself: this output ends up in logs.
        secret = "$DB9_PASSWORD" if self.config.password else f"$(cat {password_file(self.config)})"
        url = f"postgresql://{self.user}:{secret}@{host}:{self.pg.port}/postgres"
        click.echo("connect with:")
        click.echo(f'  psql "{url}?sslmode=require"')
        if self.tls_ca:
            click.echo("or, verifying the server's certificate:")
            click.echo(f'  psql "{url}?sslmode=verify-full&sslrootcert={self.tls_ca}"')
        try:
            await stop.wait()
            await self.shutdown(api if api_task is not None else None, api_task)
        finally:
            if announced is not None:
                discovery.withdraw(announced)

    def _announce(self, token_file: str) -> str | None:
        """Tell the CLI where this node's API and token are (control.discovery); None if the
        user's runtime directory cannot be written (the CLI then needs DB9_DATA_DIR)."""
        host = self.config.api_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        try:
            return discovery.announce(
                f"http://{host}:{self.config.api_port}",
                token_file if self.api_token is not None else "",
                self.config.data_dir,
            )
        except OSError as exc:
            log.warning("cannot announce the server in %s: %s", discovery.runtime_dir(), exc)
            return None

    async def shutdown(self, api: _ApiServer | None, api_task: asyncio.Task[None] | None) -> None:
        """Fast shutdown, bounded: refuse and interrupt every statement (57P01), end the
        pgwire sessions and the REST API, then stop the reconciler, GC and Raft. The store is
        closed only once no statement thread can still touch it."""
        started = time.monotonic()
        log.info("shutting down: interrupting %d running statements", self.pg.slots.running)
        self.pg.close()  # first: a session must end with FATAL, not an ERROR and go on
        self.pg.slots.close(Reason.SHUTDOWN)  # and the REST API's statements
        if api is not None and api_task is not None:
            api.should_exit = True
        await asyncio.gather(self.pg.stop(), *([api_task] if api_task is not None else []))
        idle = await self.pg.slots.wait_idle(0.5)
        self.plane.stop()
        self.gc.stop()
        if idle:
            self.close()
        else:  # LMDB is crash-safe; closing it under a running reader is not
            log.warning("statements still running after shutdown; leaving the store open")
        log.info("stopped in %.2fs", time.monotonic() - started)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
        elif isinstance(self.kv, LocalKv):
            self.kv.close()


@click.command()
@click.option("--node-id", type=int, default=None, help="Node id (DB9_NODE_ID).")
@click.option("--data-dir", default=None, help="Data directory (DB9_DATA_DIR).")
@click.option("--pg-host", default=None, help="pgwire listen address (DB9_PG_HOST).")
@click.option("--pg-port", type=int, default=None, help="pgwire port, default 5433 (DB9_PG_PORT).")
@click.option("--require-tls/--allow-plaintext", "require_tls", default=None,
              help="Refuse non-TLS logins (the default); --allow-plaintext accepts them, for "
                   "local development (DB9_REQUIRE_TLS).")  # fmt: skip
@click.option("--no-sync", "no_sync", is_flag=True, default=False, help="Skip fsync on commit.")
@click.option("--raft-addr", default=None, help="This node's Raft host:port; enables cluster mode.")
@click.option("--peers", default=None, help="Every member's Raft host:port, comma separated.")
@click.option("--grpc-addr", default=None, help="gRPC Kv service host:port (DB9_GRPC_ADDR).")
@click.option("--api-host", default=None, help="REST API listen address (DB9_API_HOST).")
@click.option("--api-port", type=int, default=None, help="REST API port, 8080; 0: none.")
@click.option("--max-statements", type=int, default=None,
              help="Statements running at once; default 2 x cores, at least 8 "
                   "(DB9_MAX_STATEMENTS).")  # fmt: skip
@click.option("--max-tenant-statements", type=int, default=None,
              help="One database's share of them; default three quarters "
                   "(DB9_MAX_TENANT_STATEMENTS).")  # fmt: skip
@click.option("--branch-timeout", "branch_timeout_s", type=float, default=None,
              metavar="SECONDS",
              help="Branch creations not done this long after their request fail "
                   "(CREATE_FAILED); default 300 (DB9_BRANCH_TIMEOUT_S).")  # fmt: skip
@click.option("--token-ttl-minutes", type=float, default=None, metavar="MINUTES",
              help="Connect tokens' lifetime when a request names none, 5 to 15; default 10 "
                   "(DB9_TOKEN_TTL_MINUTES).")  # fmt: skip
@click.option("--fault-branch", default=None, metavar="SPEC",
              help="For tests: inject a fault into branch creation. delay:SECONDS keeps a "
                   "branch CREATING until it is that old, fail[:REASON] fails it "
                   "(CREATE_FAILED, REASON as state_reason), delay:SECONDS,fail[:REASON] "
                   "both (DB9_FAULT_BRANCH).")  # fmt: skip
def main(node_id: int | None, data_dir: str | None, pg_host: str | None, pg_port: int | None,
         require_tls: bool | None, no_sync: bool, raft_addr: str | None, peers: str | None,
         grpc_addr: str | None, api_host: str | None, api_port: int | None,
         max_statements: int | None, max_tenant_statements: int | None,
         branch_timeout_s: float | None, token_ttl_minutes: float | None,
         fault_branch: str | None) -> None:  # fmt: skip
    """Run a db9 node (a single-node store, or a member of a Raft cluster with --raft-addr)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("pysyncobj").setLevel(logging.WARNING)
    early: list[int] = []  # a stop signal that came while the node was being built
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: early.append(signum))
    try:
        allocator.use_jemalloc()  # re-executes the process; before any thread starts
        # A fatal signal (SIGSEGV, SIGBUS from a mapped file, SIGABRT) leaves every thread's
        # stack in the log: without it the process vanished with nothing said.
        faulthandler.enable(all_threads=True)
        # SIGUSR1 writes every thread's stack to the log and the node goes on: what a stuck
        # node was doing (the fault tests send it before stopping nodes that did not recover).
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        config = ServerConfig.from_env(
            node_id=node_id, data_dir=data_dir, pg_host=pg_host, pg_port=pg_port,
            require_tls=require_tls, sync=False if no_sync else None, raft_addr=raft_addr,
            peers=peers, grpc_addr=grpc_addr, api_host=api_host, api_port=api_port,
            max_statements=max_statements, max_tenant_statements=max_tenant_statements,
            branch_timeout_s=branch_timeout_s, token_ttl_minutes=token_ttl_minutes,
            fault_branch=fault_branch,
        )  # fmt: skip
        os.umask(0o077)  # every file the node makes (LMDB, Raft, keys, tokens) is its own
        private_dir(config.data_dir)
        node = Node(config)
    except (Db9Error, ValueError, OSError) as exc:
        click.echo(f"db9-server: {exc}", err=True)
        sys.exit(1)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if early:
            stop.set()
        try:
            await node.serve(stop)
        except OSError as exc:
            click.echo(f"db9-server: {exc}", err=True)
            node.close()
            sys.exit(1)

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(run())
    click.echo("db9-server: stopped")


if __name__ == "__main__":
    main()

"""Node configuration: one dataclass with defaults, filled from DB9_* variables, then flags."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields

BRANCH_TIMEOUT_S = 300.0  # the product's default branch clone timeout
# Connect tokens live 5 to 15 minutes, as the product says; 10 unless the operator says.
DEFAULT_TTL_MIN = 10.0
MIN_TTL_MIN, MAX_TTL_MIN = 5, 15


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return os.path.join(base, "db9")


@dataclass
class ServerConfig:
    node_id: int = 1
    data_dir: str = ""
    sync: bool = True  # fsync every commit (LMDB durability)
    gc_life_time_s: float = 600.0  # how far back reads (and branches --at) may go
    gc_interval_s: float = 60.0
    pg_host: str = "127.0.0.1"
    pg_port: int = 5433
    # TLS: by default the node keeps its own CA in <data_dir>/tls (ca.crt, given to clients for
    # sslmode=verify-full) and issues server.crt for localhost, 127.0.0.1, its hostname,
    # pg_host, advertise_host and tls_names (comma separated). An operator's own certificate
    # and key (tls_cert, tls_key) are used as they are; tls_ca then names their CA, if any.
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""
    tls_names: str = ""
    require_tls: bool = True  # --allow-plaintext (DB9_REQUIRE_TLS=0) for local development
    tenant: str = "local"  # the dev server's tenant: users are <tenant>.<role>
    password: str = ""  # the admin role's password; generated and saved on first start
    idle_timeout_s: float = 300.0  # idle connections are evicted after 5 minutes
    tenant_qps_limit: float = 0.0  # statements/s per tenant; 0 disables the limit
    max_connections: int = 1000  # logged-in sessions; logins in progress are apart:
    authentication_timeout_s: float = 30.0  # a login must finish this soon after connecting
    max_pending_logins: int = 256  # logins in progress at once ...
    max_pending_logins_per_address: int = 32  # ... and from one client address
    login_failures_per_address: int = 10  # failed logins per window, then refused (28000)
    login_failures_per_user: int = 30
    login_failure_window_s: float = 60.0
    max_message_bytes: int = 64 << 20  # the largest protocol message after login
    max_tenant_buffer_bytes: int = 256 << 20  # one database's incomplete large messages
    max_statements: int = 0  # statements running at once (pgwire and REST); 0: 2 x cores, >= 8
    max_tenant_statements: int = 0  # one database's share of those; 0: three quarters
    api_statement_timeout_s: float = 30.0  # statement_timeout of REST /sql; 0: none
    # Cluster mode (all three set): this node's Raft address, every member's Raft address
    # (comma separated, this node's included), the gRPC Kv service address.
    raft_addr: str = ""
    peers: str = ""
    grpc_addr: str = ""
    cluster_secret: str = ""  # authenticates and encrypts Raft traffic; same on every node
    api_host: str = "127.0.0.1"  # the REST API's listen address
    api_port: int = 8080  # 0: no REST API
    api_token: str = ""  # an operator-chosen API token for the local account (every node)
    api_max_body_bytes: int = 4 << 20  # larger REST request bodies get 413 unread
    api_signups_per_minute: float = 10.0  # anonymous sign-ups per client address; 0: no limit
    advertise_host: str = ""  # host put in connection strings; default: pg_host or 127.0.0.1
    advertise_port: int = 0  # port put in connection strings (e.g. a published one); 0: pg_port
    raft_compaction_entries: int = 20_000  # snapshot the store once the log holds this many
    # ... or once it holds this many and more than one per 4 KiB of data (bounds catch-up)
    raft_catchup_entries: int = 1000
    raft_retry_s: float = 10.0  # how long a command is retried across elections
    branch_timeout_s: float = BRANCH_TIMEOUT_S  # CREATING longer than this: CREATE_FAILED
    token_ttl_minutes: float = DEFAULT_TTL_MIN  # connect tokens' lifetime unless asked
    fault_branch: str = ""  # an injected fault in branch creation (BranchFault), for tests

    @property
    def managed_tls(self) -> bool:
        """The node's own CA issues its certificate (no operator certificate configured)."""
        return not self.tls_cert

    def tls_name_list(self) -> list[str]:
        return [n.strip() for n in self.tls_names.split(",") if n.strip()]

    @property
    def clustered(self) -> bool:
        return bool(self.raft_addr)

    def peer_list(self) -> list[str]:
        return [p.strip() for p in self.peers.split(",") if p.strip()]

    def __post_init__(self) -> None:
        if not self.data_dir:
            self.data_dir = default_data_dir()
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key are set together (or neither)")
        if not MIN_TTL_MIN <= self.token_ttl_minutes <= MAX_TTL_MIN:  # NaN too
            raise ValueError(
                "--token-ttl-minutes (DB9_TOKEN_TTL_MINUTES) must be "
                f"{MIN_TTL_MIN} to {MAX_TTL_MIN}, not {self.token_ttl_minutes:g}"
            )
        if not self.branch_timeout_s > 0:
            raise ValueError(
                "--branch-timeout (DB9_BRANCH_TIMEOUT_S) must be above 0 seconds, "
                f"not {self.branch_timeout_s:g}"
            )
        BranchFault.parse(self.fault_branch)

    @property
    def branch_fault(self) -> BranchFault | None:
        return BranchFault.parse(self.fault_branch)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> ServerConfig:
        """Defaults, overridden by ``DB9_<FIELD>`` variables, overridden by non-None flags."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = f"DB9_{f.name.upper()}"
            raw = env.get(name)
            if raw is not None:
                try:
                    values[f.name] = _parse(raw, f.type)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _parse(raw: str, type_name: object) -> object:
    name = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", "")
    if name == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    try:
        if name == "int":
            return int(raw)
        if name == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"not {'an integer' if name == 'int' else 'a number'}: {raw!r}") from None
    return raw


@dataclass(frozen=True)
class BranchFault:
    """A fault injected into the branch step (``--fault-branch``), so that branch creation's
    slow and failing paths (CREATING for long, CREATE_FAILED, the timeout, the reconciler's
    recovery after a crash or a leader change) can be driven from outside.

    ``delay:SECONDS``: a branch is not linked before it is SECONDS old (counted from its
    record's ``created_at``, so a restarted node or a new leader keeps the same schedule; the
    reconciler goes on with other work meanwhile). ``fail[:REASON]``: the step fails, the
    branch is CREATE_FAILED with REASON as its ``state_reason``. ``delay:SECONDS,fail[:REASON]``:
    it fails once the delay is over."""

    delay_s: float = 0.0
    fail_reason: str | None = None  # None: the step succeeds

    DEFAULT_REASON = "branch creation failed: injected fault (--fault-branch fail)"

    @classmethod
    def parse(cls, spec: str) -> BranchFault | None:
        """The fault ``spec`` names, None for ""; ValueError for anything else."""
        if not spec:
            return None
        delay, _, fail = spec.partition(",") if spec.startswith("delay:") else ("", "", spec)
        try:
            delay_s = float(delay.removeprefix("delay:")) if delay else 0.0
        except ValueError:
            delay_s = math.nan
        if 0 <= delay_s < math.inf:
            if not fail:
                return cls(delay_s)
            if fail == "fail" or fail.startswith("fail:"):
                return cls(
                    delay_s, fail.removeprefix("fail").removeprefix(":") or cls.DEFAULT_REASON
                )
        raise ValueError(
            "--fault-branch (DB9_FAULT_BRANCH) is delay:SECONDS, fail[:REASON] or "
            f"delay:SECONDS,fail[:REASON], not {spec!r}"
        )

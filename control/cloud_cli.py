"""The ``db9`` commands that talk to the REST API: databases, branches, tokens, SQL.

The API is at ``DB9_API_URL`` and the API token comes from ``DB9_TOKEN`` or ``DB9_API_KEY``,
else from the credentials file ``db9 login`` wrote for that URL; without them, from the running
local server's announcement (control.discovery: its URL and token file, whatever its data
directory), else http://127.0.0.1:8080 and the token file of ``DB9_DATA_DIR`` or the default
data directory. Every failure is one line on stderr and a non-zero exit; ``--json`` prints
what a script parses.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, NoReturn

import click
import httpx

from control import discovery
from control.config import default_data_dir

DEFAULT_API_URL = "http://127.0.0.1:8080"
_clock, _pause = time.monotonic, time.sleep  # how waits tell time (tests replace them)


class Api:
    def __init__(self) -> None:
        url = os.environ.get("DB9_API_URL")
        token = os.environ.get("DB9_TOKEN") or os.environ.get("DB9_API_KEY")
        local = None if token or os.environ.get("DB9_DATA_DIR") else _local_server(url)
        self.url = (url or (local.api_url if local else DEFAULT_API_URL)).rstrip("/")
        self.token = (
            token or _stored_token(self.url) or (local.token() if local else None) or _local_token()
        )
        self.status: int | None = None  # of the last call's answer

    def call(self, method: str, path: str, body: Any = None, *, text: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = httpx.request(method, self.url + path, json=body, headers=headers, timeout=60)
        except httpx.HTTPError as exc:
            fail(f"cannot reach the db9 API at {self.url}: {exc}")
        self.status = r.status_code
        if r.status_code >= 400:
            try:
                message = r.json().get("error", r.text)
            except ValueError:
                message = r.text.strip() or r.reason_phrase
            fail(f"{message} (HTTP {r.status_code})")
        if text:
            return r.text
        return r.json() if r.content else None


def _local_server(url: str | None) -> discovery.Announcement | None:
    """The running local server (the one at ``url`` if given), most recently started."""
    found = discovery.running(url)
    return found[0] if found else None


def credentials_path() -> str:
    """Where ``db9 login`` keeps its token: ``DB9_CREDENTIALS``, else
    ``$XDG_CONFIG_HOME/db9/credentials.json`` (``~/.config/db9/credentials.json``)."""
    if os.environ.get("DB9_CREDENTIALS"):
        return os.environ["DB9_CREDENTIALS"]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "db9", "credentials.json")


def _stored_token(url: str) -> str | None:
    """The token ``db9 login`` kept, if it was for the API at ``url``: a token is never
    sent to another server than the one that gave or accepted it."""
    try:
        with open(credentials_path()) as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("api_url") != url:
        return None
    token = stored.get("token")
    return token if isinstance(token, str) and token else None


def _store_token(url: str, token: str, account_id: str | None) -> str:
    """Keep ``token`` for ``url`` (replacing any other login), readable by the user only;
    written beside the file and renamed over it, so a failed write keeps the old login."""
    path = credentials_path()
    partial = f"{path}.partial-{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"api_url": url, "token": token, "account_id": account_id}, f)
        os.replace(partial, path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path


def _local_token() -> str | None:
    path = os.path.join(os.environ.get("DB9_DATA_DIR") or default_data_dir(), "api-token")
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def fail(message: str) -> NoReturn:
    click.echo(f"db9: {message}", err=True)
    sys.exit(1)


def emit(value: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(value, indent=2) if as_json else text)


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    if not rows:
        return "(none)"
    widths = [max(len(c), *(len(str(r.get(c) or "")) for r in rows)) for c in cols]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True))]
    for r in rows:
        lines.append(
            "  ".join(str(r.get(c) or "").ljust(w) for c, w in zip(cols, widths, strict=True))
        )
    return "\n".join(lines)


def psql_table(columns: list[str], rows: list[tuple[str, ...]]) -> str:
    """psql's aligned format: the column names as they are, a rule, the rows, a row count."""
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    head = " | ".join(c.center(w) for c, w in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    body = [" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return "\n".join([head, rule, *body, count])


def _cell(value: Any) -> str:
    """A JSON value of /sql's rows as psql prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join("NULL" if v is None else _cell(v) for v in value) + "}"
    return str(value)


def register(main: click.Group) -> None:
    main.add_command(login)
    main.add_command(create)
    main.add_command(list_databases)
    main.add_command(delete)
    main.add_command(claim)
    main.add_command(db)
    main.add_command(branch)
    main.add_command(token)
    main.add_command(health)
    main.add_command(ca)


@click.command("health")
@click.option(
    "--url",
    default=None,
    help="The node's REST API (DB9_API_URL; default: the running local server, else :8080).",
)
def health(url: str | None) -> None:
    """Exit 0 once the node serves SQL: its pgwire answers and, in a cluster, a leader is known
    (the node's /v1/health; the compose healthcheck)."""
    url = url or os.environ.get("DB9_API_URL")
    local = None if url else _local_server(None)
    base = (url or (local.api_url if local else DEFAULT_API_URL)).rstrip("/")
    try:
        r = httpx.get(base + "/v1/health", timeout=10)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the db9 API at {base}: {exc}")
    if r.status_code != 200:
        try:
            reason = r.json().get("reason", r.text)
        except ValueError:
            reason = r.text.strip() or r.reason_phrase
        fail(f"not ready: {reason} (HTTP {r.status_code})")
    click.echo("ok")


@click.command("ca")
@click.option("-o", "--output", default="-", help="File to write (default stdout).")
def ca(output: str) -> None:
    """The CA certificate that signed the node's pgwire certificate (the API's
    /v1/tls/ca.crt), for sslmode=verify-full sslrootcert=<file>."""
    pem = Api().call("GET", "/v1/tls/ca.crt", text=True)
    if output == "-":
        click.echo(pem, nl=False)
        return
    try:
        with open(output, "w") as f:
            f.write(pem)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"CA certificate written to {output}", err=True)


@click.command("login")
@click.option("--anonymous", is_flag=True,
              help="Sign up a new anonymous account (5 databases until claimed).")  # fmt: skip
@click.option("--token", "api_token", default=None,
              help="An API token to keep ('-': read it from stdin).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def login(anonymous: bool, api_token: str | None, as_json: bool) -> None:
    """Keep an API token for DB9_API_URL in the credentials file (DB9_CREDENTIALS, default
    ~/.config/db9/credentials.json); later commands use it unless DB9_TOKEN or DB9_API_KEY
    is set. --anonymous signs up a new anonymous account; --token keeps one you have, once
    the API accepts it."""
    if anonymous == (api_token is not None):
        fail("give --anonymous or --token TOKEN")
    api = Api()
    if api_token is not None:
        api.token = sys.stdin.readline().strip() if api_token == "-" else api_token
        api.call("GET", "/v1/tokens")  # 401 unless the API accepts it
        path = _store_token(api.url, api.token, None)
        emit({"api_url": api.url, "credentials": path}, as_json,
             f"logged in at {api.url}; token kept in {path}")  # fmt: skip
        return
    api.token = None  # a sign-up is not made on anyone's behalf
    out = api.call("POST", "/v1/accounts/anonymous")
    account, limit = out["account_id"], out["database_limit"]
    path = _store_token(api.url, out["token"], account)
    emit({**out, "api_url": api.url, "credentials": path}, as_json,
         f"logged in as anonymous account {account} at {api.url}; token kept in {path}\n"
         f"limit: {limit} databases (branches included) until the account is verified; "
         f"to lift it the operator runs: db9 claim {account}")  # fmt: skip


@click.command("create")
@click.option("--name", required=True, help="Database name (lowercase letters, digits, - _).")
@click.option("--if-not-exists", is_flag=True,
              help="If NAME exists (ACTIVE), print it and exit 0 instead of failing.")  # fmt: skip
@click.option("--show-connection-string", is_flag=True, help="Print the connection string.")
@click.option("--json", "as_json", is_flag=True)
def create(name: str, if_not_exists: bool, show_connection_string: bool, as_json: bool) -> None:
    """Create an empty database (synchronous: ready when this returns). With
    --if-not-exists, an existing one is printed as db9 db status gives it (its connection
    string has a connect token: the password was shown only when it was made)."""
    api = Api()
    body: dict[str, Any] = {"name": name}
    if if_not_exists:
        body["if_not_exists"] = True
    rec = api.call("POST", "/v1/databases", body)
    created = api.status == 201
    text = (
        f"{'created ' if created else ''}{rec['name']}{'' if created else ' exists'} "
        f"(id {rec['id']}, state {rec['state']})"
    )
    if show_connection_string:
        text += "\n" + rec["connection_string"]
    emit(rec, as_json, text)
    if created:
        _shown_once()


@click.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_databases(as_json: bool) -> None:
    """List this account's databases and branches."""
    rows = Api().call("GET", "/v1/databases")
    emit(rows, as_json, _table(rows, ["name", "id", "state", "parent", "created_at"]))


@click.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a database or branch and all its data (permanent)."""
    if not yes and not click.confirm(f'Delete database "{name}" and all its data?'):
        fail("not deleted")
    rec = Api().call("DELETE", f"/v1/databases/{name}")
    click.echo(f"deleting {rec['name']}")


@click.command("claim")
@click.argument("account_id")
def claim(account_id: str) -> None:
    """Verify the anonymous account ACCOUNT_ID (removes its 5-database limit); run with the
    operator's API token (DB9_TOKEN): an anonymous account cannot claim itself."""
    Api().call("POST", "/v1/claim", {"account_id": account_id})
    click.echo(f"account {account_id} claimed")


@click.group("db")
def db() -> None:
    """Work with one database: status, SQL, credentials."""


@db.command("status")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def status(name: str, as_json: bool) -> None:
    """State (CREATING, ACTIVE, CREATE_FAILED, DELETING) and connection details."""
    rec = Api().call("GET", f"/v1/databases/{name}")
    text = "\n".join(f"{k}: {v}" for k, v in rec.items() if v is not None)
    emit(rec, as_json, text)


@db.command("sql")
@click.argument("name")
@click.option("-q", "--query", default=None, help="SQL to run.")
@click.option("-f", "--file", "file", type=click.File("r"), default=None, help="SQL file.")
@click.option("--json", "as_json", is_flag=True)
def sql(name: str, query: str | None, file: Any, as_json: bool) -> None:
    """Run SQL against a database."""
    if (query is None) == (file is None):
        fail("give exactly one of -q QUERY or -f FILE")
    text = query if query is not None else file.read()
    out = Api().call("POST", f"/v1/databases/{name}/sql", {"query": text})
    if as_json:
        emit(out, True, "")
        return
    for res in out["results"]:
        if res["columns"] is not None:
            rows = [tuple(_cell(v) for v in r) for r in res["rows"]]
            click.echo(psql_table(res["columns"], rows))
        else:
            click.echo(res["tag"])


@db.command("connect-token")
@click.argument("name")
@click.option(
    "--ttl",
    "ttl",
    type=float,
    default=None,
    help="Lifetime in minutes (5 to 15); default: the server's (10 unless its operator "
    "set --token-ttl-minutes).",
)
def connect_token(name: str, ttl: float | None) -> None:
    """A short-lived RS256 token to use as the PostgreSQL password (JSON)."""
    body = None if ttl is None else {"ttl_minutes": ttl}
    out = Api().call("POST", f"/v1/databases/{name}/connect-token", body)
    click.echo(json.dumps(out, indent=2))


@db.command("reset-password")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def reset_password(name: str, as_json: bool) -> None:
    """Give the admin role a new static password (shown once); its connect tokens and open
    sessions end."""
    rec = Api().call("POST", f"/v1/databases/{name}/reset-password")
    emit(rec, as_json, rec["connection_string"])
    _shown_once()


@db.group("role")
def role() -> None:
    """Login roles of a database (<tenant_id>.<role>)."""


@role.command("create")
@click.argument("name")
@click.argument("role_name", metavar="ROLE")
@click.option("--read-only", "kind", flag_value="read-only", help="SELECT on tables.")
@click.option("--app", "kind", flag_value="app",
              help="SELECT, INSERT, UPDATE, DELETE on tables; USAGE on sequences.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def role_create(name: str, role_name: str, kind: str | None, as_json: bool) -> None:
    """Make a login role of database NAME with a new password (shown once), granted what
    its kind needs on schema public's tables and sequences, now and made later."""
    if kind is None:
        fail("give --read-only or --app")
    out = Api().call("POST", f"/v1/databases/{name}/roles", {"name": role_name, "kind": kind})
    emit(out, as_json, out["connection_string"])
    click.echo("note: the password in this connection string is shown only now (db9 keeps a "
               "verifier); ALTER ROLE ... PASSWORD sets another", err=True)  # fmt: skip


def _shown_once() -> None:
    click.echo("note: the password in this connection string is shown only now (db9 keeps a "
               "verifier); db9 db status gives one with a connect token", err=True)  # fmt: skip


@db.command("inspect")
@click.argument("name")
@click.argument(
    "what",
    required=False,
    default="summary",
    type=click.Choice(
        ["summary", "queries", "report", "schemas", "tables", "indexes", "slow-queries"]
    ),
)
@click.option("--json", "as_json", is_flag=True)
def inspect(name: str, what: str, as_json: bool) -> None:
    """Live metrics (QPS, TPS, latency, connections), query samples, slow queries, schema."""
    out = Api().call("GET", f"/v1/databases/{name}/inspect?what={what}")
    if as_json:
        emit(out, True, "")
        return
    scalars = {k: v for k, v in out.items() if not isinstance(v, list)}
    for k, v in scalars.items():
        click.echo(f"{k}: {v}")
    for k, v in out.items():
        if isinstance(v, list):
            click.echo(f"{k}:")
            click.echo(_table(v, list(v[0]) if v else []))


@db.command("dump")
@click.argument("name")
@click.option("-o", "--output", default="-", help="File (default stdout).")
def dump_cmd(name: str, output: str) -> None:
    """The database as SQL (schema and rows; at most 50,000 rows / 16 MB: use COPY beyond)."""
    text = Api().call("GET", f"/v1/databases/{name}/dump", text=True)
    if output == "-":
        click.echo(text, nl=False)
        return
    # Written beside the target and renamed over it: a failed dump leaves no empty or
    # partial file, and an earlier dump at that path stays whole.
    partial = f"{output}.partial-{os.getpid()}"
    try:
        with open(partial, "w") as out:
            out.write(text)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


@click.group("branch")
def branch() -> None:
    """Copy-on-write branches of a database."""


@branch.command("create")
@click.argument("parent")
@click.option("--name", required=True)
@click.option("--at", type=int, default=None, help="Fork at this timestamp (in the GC window).")
@click.option("--wait", is_flag=True, help="Wait (with a progress bar) until ACTIVE.")
@click.option("--json", "as_json", is_flag=True)
def branch_create(parent: str, name: str, at: int | None, wait: bool, as_json: bool) -> None:
    """Start creating a branch (asynchronous: poll db status until ACTIVE, or use --wait)."""
    body: dict[str, Any] = {"name": name}
    if at is not None:
        body["at"] = at
    api = Api()
    rec = api.call("POST", f"/v1/databases/{parent}/branches", body)
    if wait:
        # Until the server's verdict: its reconciler fails a creation still CREATING after its
        # --branch-timeout (300 s by default, the bar's length), so this ends.
        started = _clock()
        with click.progressbar(length=300, label=f"creating {name}", file=sys.stderr) as bar:
            while rec["state"] == "CREATING":
                _pause(0.5)
                bar.update(min(300, int(_clock() - started)) - bar.pos)
                rec = api.call("GET", f"/v1/databases/{name}")
        if rec["state"] != "ACTIVE":
            fail(f"branch {name} is {rec['state']}: {rec.get('state_reason') or 'no reason given'}")
    emit(rec, as_json, f"branch {rec['name']} of {parent}: {rec['state']}")


@branch.command("list")
@click.argument("parent")
@click.option("--json", "as_json", is_flag=True)
def branch_list(parent: str, as_json: bool) -> None:
    """List the branches of a database."""
    rows = Api().call("GET", f"/v1/databases/{parent}/branches")
    emit(rows, as_json, _table(rows, ["name", "id", "state", "created_at"]))


@branch.command("delete")
@click.argument("name")
def branch_delete(name: str) -> None:
    """Delete a branch."""
    rec = Api().call("DELETE", f"/v1/databases/{name}")
    click.echo(f"deleting {rec['name']}")


@branch.command("reset")
@click.argument("name")
def branch_reset(name: str) -> None:
    """Discard a branch's changes and re-fork it from its parent's present."""
    Api().call("POST", f"/v1/databases/{name}/reset")
    click.echo(f"reset {name} to its parent's present")


@branch.command("diff")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def branch_diff(name: str, as_json: bool) -> None:
    """Tables added, removed and changed (row counts) against the parent."""
    out = Api().call("GET", f"/v1/databases/{name}/diff")
    lines = [f"{name} vs {out['parent']}:"]
    lines += [f"  + {t}" for t in out["added_tables"]]
    lines += [f"  - {t}" for t in out["removed_tables"]]
    lines += [
        f"  ~ {c['table']}: {c['parent_rows']} -> {c['branch_rows']} rows"
        for c in out["changed_tables"]
    ]
    emit(out, as_json, "\n".join(lines) if len(lines) > 1 else f"{name}: no changes")


@click.group("token")
def token() -> None:
    """API tokens for automation."""


@token.command("create")
@click.option("--name", required=True)
@click.option("--expires-in-days", type=float, default=None)
@click.option("--json", "as_json", is_flag=True)
def token_create(name: str, expires_in_days: float | None, as_json: bool) -> None:
    """Create an API token (shown once)."""
    out = Api().call("POST", "/v1/tokens", {"name": name, "expires_in_days": expires_in_days})
    emit(out, as_json, out["token"])


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
def token_list(as_json: bool) -> None:
    """List API tokens (never their secrets)."""
    rows = Api().call("GET", "/v1/tokens")
    emit(rows, as_json, _table(rows, ["id", "name", "created_at", "expires_at", "revoked"]))


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke an API token by id or name."""
    out = Api().call("DELETE", f"/v1/tokens/{token_id}")
    click.echo(f"revoked {out['name']} ({out['id']})")

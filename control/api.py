"""The REST API of a node (FastAPI; the OpenAPI document is at /openapi.json, docs at /docs).

Every route but /v1/health, anonymous sign-up and /metrics' server totals needs an API token
(``Authorization: Bearer <token>`` or ``X-API-Key``) and sees only its account's databases.
Errors are JSON ``{"error": ..., "code": ...}`` with a fitting HTTP status: 400 bad input,
401 no or bad token, 403 over the anonymous limit or not allowed, 404 unknown, 409 name taken
(unless ``if_not_exists``: then 200 and the existing database) or wrong state, 413 request
body over the limit, 429 too many branch creations at once, over the tenant's QPS limit (/sql)
or too many sign-ups from one address, 503 ``Busy`` (with Retry-After) when concurrent
requests kept changing the records a request needs for ``registry.RETRY_DEADLINE_S`` (10 s;
nothing was done, send it again), or the store cannot answer now (the node is shutting down,
no Raft leader, an unknown commit outcome, a full disk: ``UNAVAILABLE_SQLSTATES``), 500 an
internal error. Parallel requests get these answers and no others: the registry runs a
request's transaction again when a concurrent one wins a race, so a KV write conflict (40001)
never reaches a client. No error repeats more than
``MAX_ERROR_CHARS`` of what it was sent.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from control.bodylimit import DEFAULT_MAX_BODY_BYTES, BodyLimit
from control.dump import dump
from control.metrics import server_totals
from control.plane import ControlPlane
from control.registry import (
    ANONYMOUS_DATABASE_LIMIT,
    Account,
    ControlError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    clip,
)
from kv.errors import Db9Error
from kv.interrupt import Reason
from pgwire.ratelimit import RateLimiter
from pgwire.slots import StatementSlots, Ticket
from sql.database import Database

SQL_TIMEOUT_S = 30.0  # the REST /sql endpoint's statement_timeout unless configured
SIGNUPS_PER_MINUTE = 10.0  # anonymous sign-ups per client address (a burst of as many)
MAX_ERROR_CHARS = 2000  # of an error's message and detail


# SQLSTATEs of a store that could not serve the request now (no Raft leader, a commit whose
# outcome is unknown, a full disk, too many connections, shutting down): the client may send
# it again (503 with Retry-After); any other database error is the request's own (400), but
# an internal one (XX000) is the server's (500).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P03", "40003", "53100", "53300"})


def http_status(sqlstate: str) -> int:
    if sqlstate in UNAVAILABLE_SQLSTATES:
        return 503
    return 500 if sqlstate.startswith("XX") else 400


def _utf8(value: str) -> str:
    """JSON can carry lone surrogates (``"\\ud800"``), which no key or SQL text can hold."""
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode (a lone surrogate at character {exc.start})") from None
    return value


# Every string a request body carries: a lone surrogate is a 400, not a 500 deep inside.
Text = Annotated[str, AfterValidator(_utf8)]


class CreateDatabase(BaseModel):
    name: Text
    if_not_exists: bool = Field(
        default=False,
        description="if the name exists and is ACTIVE, answer 200 with its status (a "
        "connect token for the password) instead of 409; 409 if it is in another state",
    )


class CreateRole(BaseModel):
    name: Text
    kind: Text  # "read-only" or "app" (ControlPlane.create_role)


class CreateBranch(BaseModel):
    name: Text
    at: int | None = Field(
        default=None, description="fork timestamp (a TSO value) in the GC window"
    )


class SqlRequest(BaseModel):
    query: Text


class TokenRequest(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    expires_in_days: float | None = None


class ConnectTokenRequest(BaseModel):
    ttl_minutes: float | None = Field(
        default=None, description="5 to 15; default: the server's (10 unless configured)"
    )


class ClaimRequest(BaseModel):
    account_id: Text | None = Field(
        default=None, description="the anonymous account a verified account claims"
    )


def _secret(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return x_api_key or None


def current_account(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Account:
    secret = _secret(authorization, x_api_key)
    if not secret:
        raise Unauthorized("an API token is required (DB9_TOKEN or DB9_API_KEY)")
    plane: ControlPlane = request.app.state.plane
    return plane.registry.authenticate(secret)


# Routes name it in their signatures; module level, so FastAPI can resolve the annotation.
Acct = Annotated[Account, Depends(current_account)]


async def _cancel_on_disconnect(request: Request, slots: StatementSlots, ticket: Ticket) -> None:
    """Interrupt the request's statement once its client disconnects, again every 100 ms
    until the statement ends (an interrupt between two statements of one query is dropped)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    while True:
        slots.interrupt(ticket, Reason.CLIENT_GONE)
        await asyncio.sleep(0.1)


def build_app(
    plane: ControlPlane,
    slots: StatementSlots | None = None,
    sql_timeout_s: float = SQL_TIMEOUT_S,
    ready: Callable[[], Awaitable[str | None]] | None = None,
    *,
    statement_rate: RateLimiter | None = None,
    signups_per_minute: float = SIGNUPS_PER_MINUTE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    operator_tenant: str = "local",
    tls_ca: str | None = None,
) -> FastAPI:
    """The API over ``plane``. SQL runs in ``slots`` (in a node, the ones pgwire uses, so the
    bound on running statements and each tenant's share cover both), never in the threadpool
    the other routes need, and is admitted by ``statement_rate`` (in a node, pgwire's
    per-tenant QPS limiter, so one tenant's limit covers both). ``/v1/health`` answers 200
    only when ``ready`` says None (the node serves SQL), else 503 with its reason. The
    account owning ``operator_tenant`` (the node's own database) reads per-database metrics.
    ``/v1/tls/ca.crt`` gives the file ``tls_ca`` (the CA that signed pgwire's certificate,
    for ``sslmode=verify-full``) to anyone: it is public."""
    app = FastAPI(title="db9", version="1", description="db9 control plane")
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    statement_slots = slots if slots is not None else StatementSlots()
    qps = statement_rate if statement_rate is not None else RateLimiter(0)
    signups = RateLimiter(signups_per_minute / 60, burst=signups_per_minute)

    @app.exception_handler(ControlError)
    async def control_error(request: Request, exc: ControlError) -> JSONResponse:
        retry = exc.retry_after_s
        return JSONResponse(
            {"error": clip(exc.message, MAX_ERROR_CHARS), "code": type(exc).__name__},
            status_code=exc.status,
            headers=None if retry is None else {"Retry-After": str(max(1, math.ceil(retry)))},
        )

    @app.exception_handler(Db9Error)
    async def db9_error(request: Request, exc: Db9Error) -> JSONResponse:
        status = http_status(exc.sqlstate)
        return JSONResponse(
            {
                "error": clip(exc.message, MAX_ERROR_CHARS),
                "code": "SqlError",
                "sqlstate": exc.sqlstate,
                "detail": None if exc.detail is None else clip(exc.detail, MAX_ERROR_CHARS),
            },
            status_code=status,
            headers={"Retry-After": "1"} if status == 503 else None,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid request')}"
        return JSONResponse(
            {"error": clip(message, MAX_ERROR_CHARS), "code": "BadRequest"}, status_code=400
        )

    app.state.plane = plane

    @app.get("/v1/health", response_model=None)
    async def health() -> dict[str, str] | JSONResponse:  # on the loop: needs no pool thread
        reason = await ready() if ready is not None else None
        if reason is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return {"status": "ok"}

    @app.get("/v1/tls/ca.crt", response_class=PlainTextResponse)
    def tls_ca_certificate() -> PlainTextResponse:
        if tls_ca is None:
            raise NotFound("this node has no CA certificate to give (an operator's certificate "
                           "was configured without tls_ca)")  # fmt: skip
        with open(tls_ca) as f:
            return PlainTextResponse(f.read(), media_type="application/x-pem-file")

    @app.post("/v1/accounts/anonymous", status_code=201)
    def anonymous(request: Request) -> dict[str, Any]:
        """A new anonymous account and its token; ``signups_per_minute`` per client address."""
        address = request.client.host if request.client is not None else ""
        if not signups.admit(address):
            wait = signups.retry_after_s(address)
            raise TooManyRequests(
                f"too many sign-ups from {clip(address, 64)}: at most "
                f"{signups_per_minute:g} a minute; retry in {math.ceil(wait)} s",
                retry_after_s=wait,
            )
        acct = plane.registry.create_account("anonymous", anonymous=True)
        secret, token = plane.registry.create_token(acct.id, "anonymous")
        return {"account_id": acct.id, "anonymous": True, "token": secret, "token_id": token.id,
                "database_limit": ANONYMOUS_DATABASE_LIMIT}  # fmt: skip

    @app.post("/v1/claim")
    def claim(acct: Acct, body: ClaimRequest | None = None) -> dict[str, Any]:
        """A verified account (the operator's) claims an anonymous one, named by id: only
        verified accounts are without the anonymous cap, so its own token cannot lift it."""
        target = body.account_id if body is not None and body.account_id else acct.id
        claimed = plane.registry.claim(target, verified_by=acct)
        return {"account_id": claimed.id, "anonymous": claimed.anonymous}

    @app.get("/v1/databases")
    def list_databases(acct: Acct) -> list[dict[str, Any]]:
        return [plane.describe(d) for d in plane.registry.databases(acct.id)]

    @app.post("/v1/databases", status_code=201)
    def create_database(body: CreateDatabase, acct: Acct, response: Response) -> dict[str, Any]:
        """201 and the new database, its password shown only here; with ``if_not_exists``,
        an existing ACTIVE one's status and 200 (the SDK's idempotent instantDatabase)."""
        if not body.if_not_exists:
            return plane.describe(plane.create(acct, body.name))
        out, created = plane.create_if_not_exists(acct, body.name)
        if not created:
            response.status_code = 200
        return out

    @app.get("/v1/databases/{name}")
    def get_database(name: str, acct: Acct) -> dict[str, Any]:
        return plane.status(acct, name)

    @app.delete("/v1/databases/{name}", status_code=202)
    def delete_database(name: str, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.delete(acct, name))

    @app.post("/v1/databases/{name}/branches", status_code=202)
    def create_branch(name: str, body: CreateBranch, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.branch(acct, name, body.name, body.at))

    @app.get("/v1/databases/{name}/branches")
    def list_branches(name: str, acct: Acct) -> list[dict[str, Any]]:
        parent = plane.registry.database(acct.id, name)
        return [
            plane.describe(d) for d in plane.registry.databases(acct.id) if d.parent_id == parent.id
        ]

    @app.post("/v1/databases/{name}/reset")
    def reset_branch(name: str, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.reset_branch(acct, name))

    @app.get("/v1/databases/{name}/diff")
    def diff_branch(name: str, acct: Acct) -> dict[str, Any]:
        return plane.diff(acct, name)

    @app.post("/v1/databases/{name}/sql")
    async def run_sql(name: str, body: SqlRequest, acct: Acct, request: Request) -> dict[str, Any]:
        """Run the statements of ``query`` in one session, under the server's statement
        timeout; when the client disconnects, the running statement is cancelled."""
        session = await run_in_threadpool(plane.sql_session, acct, name, sql_timeout_s)
        if not qps.admit(session.db):
            raise TooManyRequests(
                f"tenant query rate limit exceeded: at most {qps.rate:g} requests per second",
                retry_after_s=qps.retry_after_s(session.db),
            )
        ticket = Ticket(session.db, session.cancel)
        watcher = asyncio.create_task(_cancel_on_disconnect(request, statement_slots, ticket))
        try:
            work = functools.partial(plane.run_sql, session, body.query)
            return {"results": await statement_slots.run(ticket, work)}
        finally:
            watcher.cancel()

    @app.post("/v1/databases/{name}/connect-token")
    def connect_token(
        name: str, acct: Acct, body: ConnectTokenRequest | None = None
    ) -> dict[str, Any]:
        return plane.connect_token(acct, name, body.ttl_minutes if body is not None else None)

    @app.post("/v1/databases/{name}/reset-password")
    def reset_password(name: str, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.reset_password(acct, name))

    @app.post("/v1/databases/{name}/roles", status_code=201)
    def create_role(name: str, body: CreateRole, acct: Acct) -> dict[str, Any]:
        """A login role with a new password, shown only in this answer."""
        return plane.create_role(acct, name, body.name, body.kind)

    @app.get("/v1/databases/{name}/inspect")
    def inspect(name: str, acct: Acct, what: str = "summary") -> dict[str, Any]:
        return plane.inspect(acct, name, what)

    @app.get("/v1/databases/{name}/dump", response_class=PlainTextResponse)
    def dump_database(name: str, acct: Acct) -> PlainTextResponse:
        """The database as SQL; at most 50,000 rows and 16 MB (413 beyond)."""
        rec = plane.active_record(acct, name)
        text = "\n".join(dump(Database(plane.client, rec.prefix), name)) + "\n"
        return PlainTextResponse(text, media_type="application/sql")

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> PlainTextResponse:
        """Prometheus text format. Without a token, server totals only: db9_statements_running
        and _queued, db9_server_queries_total and _transactions_total. With the operator's
        token (the account owning the node's own database), also db9_queries_total,
        db9_transactions_total and db9_query_seconds per database, labelled by its unique
        ``tenant`` id (its name alone is not unique: two accounts may both have "app")."""
        gauges = (
            "# HELP db9_statements_running SQL statements holding a slot (pgwire and REST)\n"
            "# TYPE db9_statements_running gauge\n"
            f"db9_statements_running {statement_slots.running}\n"
            "# HELP db9_statements_queued SQL statements waiting for a slot\n"
            "# TYPE db9_statements_queued gauge\n"
            f"db9_statements_queued {statement_slots.queued}\n"
        )
        secret = _secret(authorization, x_api_key)
        if secret is None:
            return PlainTextResponse(
                gauges + server_totals(plane.prom), media_type=CONTENT_TYPE_LATEST
            )
        await run_in_threadpool(_check_operator, secret)
        return PlainTextResponse(
            generate_latest(plane.prom.registry).decode() + gauges, media_type=CONTENT_TYPE_LATEST
        )

    def _check_operator(secret: str) -> None:
        acct = plane.registry.authenticate(secret)
        own = plane.registry.by_tenant(operator_tenant)
        if own is None or own.account_id != acct.id:
            raise Forbidden("per-database metrics need the operator's API token")

    @app.post("/v1/tokens", status_code=201)
    def create_token(body: TokenRequest, acct: Acct) -> dict[str, Any]:
        secret, token = plane.registry.create_token(acct.id, body.name, body.expires_in_days)
        return {**token.public(), "token": secret}

    @app.get("/v1/tokens")
    def list_tokens(acct: Acct) -> list[dict[str, Any]]:
        return [t.public() for t in plane.registry.tokens(acct.id)]

    @app.delete("/v1/tokens/{token_id}")
    def revoke_token(token_id: str, acct: Acct) -> dict[str, Any]:
        return plane.registry.revoke_token(acct.id, token_id).public()

    return app

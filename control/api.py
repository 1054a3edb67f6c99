"""The REST API of a node (FastAPI; the OpenAPI document is at /openapi.json, docs at /docs).

Every route but /v1/health and anonymous sign-up needs an API token
(``Authorization: Bearer <token>`` or ``X-API-Key``) and sees only its account's databases.
Errors are JSON ``{"error": ..., "code": ...}`` with a fitting HTTP status: 400 bad input,
401 no or bad token, 403 over the anonymous limit, 404 unknown, 409 name taken or wrong
state, 429 too many branch creations at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from control.dump import dump
from control.plane import ControlPlane
from control.registry import Account, ControlError, Unauthorized
from control.tokens import DEFAULT_TTL_MIN
from kv.errors import Db9Error
from kv.interrupt import Reason
from pgwire.slots import StatementSlots, Ticket
from sql.database import Database

SQL_TIMEOUT_S = 30.0  # the REST /sql endpoint's statement_timeout unless configured


class CreateDatabase(BaseModel):
    name: str


class CreateBranch(BaseModel):
    name: str
    at: int | None = Field(
        default=None, description="fork timestamp (a TSO value) in the GC window"
    )


class SqlRequest(BaseModel):
    query: str


class TokenRequest(BaseModel):
    name: str
    expires_in_days: float | None = None


class ConnectTokenRequest(BaseModel):
    ttl_minutes: float = DEFAULT_TTL_MIN


def current_account(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Account:
    secret = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:].strip()
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
) -> FastAPI:
    """The API over ``plane``. SQL runs in ``slots`` (in a node, the ones pgwire uses, so the
    bound on running statements and each tenant's share cover both), never in the threadpool
    the other routes need. ``/v1/health`` answers 200 only when ``ready`` says None (the node
    serves SQL), else 503 with its reason."""
    app = FastAPI(title="db9", version="1", description="db9 control plane")
    statement_slots = slots if slots is not None else StatementSlots()

    @app.exception_handler(ControlError)
    async def control_error(request: Request, exc: ControlError) -> JSONResponse:
        return JSONResponse(
            {"error": exc.message, "code": type(exc).__name__}, status_code=exc.status
        )

    @app.exception_handler(Db9Error)
    async def db9_error(request: Request, exc: Db9Error) -> JSONResponse:
        return JSONResponse(
            {
                "error": exc.message,
                "code": "SqlError",
                "sqlstate": exc.sqlstate,
                "detail": exc.detail,
            },
            status_code=503 if exc.sqlstate == Reason.SHUTDOWN.value[0] else 400,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse(
            {"error": f"{where}: {first.get('msg', 'invalid request')}", "code": "BadRequest"},
            status_code=400,
        )

    app.state.plane = plane

    @app.get("/v1/health", response_model=None)
    async def health() -> dict[str, str] | JSONResponse:  # on the loop: needs no pool thread
        reason = await ready() if ready is not None else None
        if reason is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return {"status": "ok"}

    @app.post("/v1/accounts/anonymous", status_code=201)
    def anonymous() -> dict[str, Any]:
        acct = plane.registry.create_account("anonymous", anonymous=True)
        secret, token = plane.registry.create_token(acct.id, "anonymous")
        return {"account_id": acct.id, "anonymous": True, "token": secret, "token_id": token.id}

    @app.post("/v1/claim")
    def claim(acct: Acct) -> dict[str, Any]:
        claimed = plane.registry.claim(acct.id)
        return {"account_id": claimed.id, "anonymous": claimed.anonymous}

    @app.get("/v1/databases")
    def list_databases(acct: Acct) -> list[dict[str, Any]]:
        return [plane.describe(d) for d in plane.registry.databases(acct.id)]

    @app.post("/v1/databases", status_code=201)
    def create_database(body: CreateDatabase, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.create(acct, body.name))

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
        ttl = body.ttl_minutes if body is not None else DEFAULT_TTL_MIN
        return plane.connect_token(acct, name, ttl)

    @app.post("/v1/databases/{name}/reset-password")
    def reset_password(name: str, acct: Acct) -> dict[str, Any]:
        return plane.describe(plane.reset_password(acct, name))

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
    async def metrics() -> PlainTextResponse:
        """Prometheus text format: db9_queries_total, db9_transactions_total,
        db9_query_seconds per database, db9_statements_running and _queued for the server
        (unauthenticated: keep the API port private)."""
        gauges = (
            "# HELP db9_statements_running SQL statements holding a slot (pgwire and REST)\n"
            "# TYPE db9_statements_running gauge\n"
            f"db9_statements_running {statement_slots.running}\n"
            "# HELP db9_statements_queued SQL statements waiting for a slot\n"
            "# TYPE db9_statements_queued gauge\n"
            f"db9_statements_queued {statement_slots.queued}\n"
        )
        return PlainTextResponse(
            generate_latest(plane.prom.registry).decode() + gauges, media_type=CONTENT_TYPE_LATEST
        )

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

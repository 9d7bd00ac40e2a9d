"""HaloPSA, the part Relaydesk uses: /api/authinfo, the token endpoint and /api/{Tickets,Actions}.

Auth discovery: GET /api/authinfo answers {"auth_url", "tenant_id"}, which HaloAPI's
`Connect-HaloAPI` reads to find the token endpoint (`{auth_url}/token`, `?tenant=` from
`tenant_id`). `auth_path` moves the authorisation server off the usual `/auth` (so a client
that assumes `/auth/token` gets 404); `authinfo = False` makes the endpoint 404, as on an
instance without it; `tenant_id` fills the reply's tenant, and when set a token request must
name it (`?tenant=`) or get 400 invalid_request.

Tokens: POST {auth_path}/token (form) with grant_type=client_credentials, the right client id
and secret (else 400 invalid_client). A token is issued whatever the scope, but API calls with
a token whose scope is not `all`, an expired one (`expires_in`, on the fake's clock) or a
revoked one (`revoke_tokens()`) get 401 — as Halo does.

    GET  /api/Tickets               the list: pageinate/page_size/page_no, closed_only, datesearch=
                                    dateclosed with startdate, order=id → {"record_count", "tickets"}
    GET  /api/Tickets/{id}          the ticket; 404 for an unknown id
    GET  /api/Actions?ticket_id=    {"record_count", "actions": […]} (or a bare list, `list_style`).
                                    `note_html` only with includehtmlnote=true (the HaloPSA schema;
                                    HaloAPI's -IncludeHTMLNote); without it this fake sends no note
                                    text at all, the strict reading of a reply whose plain `note` is
                                    undocumented. `count` caps the list; with pageinate=true,
                                    `page_size`/`page_no` page it and `record_count` is the total
                                    (HaloAPI's New-HaloGETRequest). Without either, `default_count`
                                    actions, newest first: the schema leaves the default unsaid.
    POST /api/Actions               body must be a JSON array of actions, each with ticket_id;
                                    answers the created action as an object or an array (`reply_style`)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor, note_time

CLIENT_ID, CLIENT_SECRET = "c0ffee00-halo-client", "halo-secret-value-xyz"


class FakeHalo(FakeVendor):
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.expires_in = 3600
        self.reply_style: Literal["object", "array"] = "object"
        self.list_style: Literal["object", "array"] = "object"
        self.auth_path = "/auth"
        self.authinfo = True
        self.tenant_id: str | None = None
        self.default_count = 25
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (scope, expires at)
        self.tickets: dict[int, dict[str, Any]] = {}
        self.actions: list[dict[str, Any]] = []
        self._next_action = 700
        super().__init__()
        self.reset_state()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/authinfo", self._authinfo, methods=["GET"]),
            Route("/{auth:path}/token", self._token, methods=["POST"]),
            Route("/api/Tickets", self._list_tickets, methods=["GET"]),
            Route("/api/Tickets/{id:int}", self._ticket, methods=["GET"]),
            Route("/api/Actions", self._list_actions, methods=["GET"]),
            Route("/api/Actions", self._add_actions, methods=["POST"]),
        ]

    def reset_state(self) -> None:
        self.expires_in = 3600
        self.reply_style = "object"
        self.list_style = "object"
        self.auth_path = "/auth"
        self.authinfo = True
        self.tenant_id = None
        self.default_count = 25
        self.tokens = {}
        self.actions = []
        self.tickets = {
            3021: {
                "id": 3021,
                "summary": "New starter needs a laptop and accounts",
                "details": "<p>Jane starts Monday.</p>",
                "client_id": 12,
                "client_name": "Northwind Traders",
                "priority_id": 2,
                "priority": {"id": 2, "name": "High"},
            }
        }

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def token_requests(self) -> int:
        return len([r for r in self.requests if r.path.endswith("/token")])

    def add_existing_action(self, ticket: int, note: str) -> dict[str, Any]:
        self._next_action += 1
        action = {
            "id": self._next_action,
            "ticket_id": ticket,
            "outcome": "Private Note",
            "note": note,
            "note_html": note.replace("\n", "<br>"),
            "datetime": note_time(self._next_action),
        }
        self.actions.append(action)
        return action

    async def _authinfo(self, request: Request) -> Response:
        if not self.authinfo:
            return JSONResponse("Not found", status_code=404)
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"auth_url": base + self.auth_path, "tenant_id": self.tenant_id})

    def add_closed_ticket(
        self, ticket: int, summary: str, closed: str, *, notes: list[str], resolution: str | None
    ) -> None:
        self.tickets[ticket] = {
            "id": ticket,
            "summary": summary,
            "client_name": "Northwind Traders",
            "category_1": "Network",
            "dateclosed": closed,
            "status_id": 9,
        }
        for note in notes:
            self.add_existing_action(ticket, note)
        if resolution is not None:
            self.add_existing_action(ticket, resolution)["outcome"] = "Resolved"

    async def _list_tickets(self, request: Request) -> Response:
        if denied := self._unauthorized(request):
            return denied
        query = request.query_params
        tickets = sorted(self.tickets.values(), key=lambda t: t["id"])
        if query.get("closed_only") == "true":
            tickets = [t for t in tickets if t.get("dateclosed")]
        if query.get("datesearch") == "dateclosed" and query.get("startdate"):
            tickets = [t for t in tickets if t["dateclosed"] >= query["startdate"]]
        if query.get("pageinate") != "true":
            return JSONResponse({"record_count": len(tickets), "tickets": tickets})
        size, page = int(query.get("page_size", "50")), int(query.get("page_no", "1"))
        return JSONResponse(
            {"page_no": page, "page_size": size, "record_count": len(tickets),
             "tickets": tickets[(page - 1) * size : page * size]}
        )  # fmt: skip

    def _unauthorized(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scope, expires = self.tokens.get(header.removeprefix("Bearer "), ("", 0.0))
        if not header.startswith("Bearer ") or scope.split() != ["all"] or self.clock() >= expires:
            return Response(status_code=401, headers={"www-authenticate": 'Bearer error="invalid_token"'})
        return None

    async def _token(self, request: Request) -> Response:
        if "/" + request.path_params["auth"] != self.auth_path:
            return Response("Not found", status_code=404)
        if self.tenant_id is not None and request.query_params.get("tenant") != self.tenant_id:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Unknown tenant"}, status_code=400
            )
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "The client credentials are invalid"},
                status_code=400,
            )
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (str(form.get("scope") or ""), self.clock() + self.expires_in)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    async def _ticket(self, request: Request) -> Response:
        if denied := self._unauthorized(request):
            return denied
        ticket = self.tickets.get(request.path_params["id"])
        if ticket is None:
            return JSONResponse("Ticket not found", status_code=404)
        return JSONResponse(ticket)

    async def _list_actions(self, request: Request) -> Response:
        if denied := self._unauthorized(request):
            return denied
        query = request.query_params
        ticket = int(query.get("ticket_id", "0"))
        found = sorted(
            (action for action in self.actions if action["ticket_id"] == ticket),
            key=lambda action: action["id"],
            reverse=True,
        )
        total = len(found)
        if query.get("pageinate") == "true":
            size = int(query.get("page_size", "50"))
            page = int(query.get("page_no", "1"))
            found = found[(page - 1) * size : page * size]
        found = found[: int(query.get("count", self.default_count))]
        if query.get("includehtmlnote") != "true":
            found = [{k: v for k, v in a.items() if k not in ("note", "note_html")} for a in found]
        if self.list_style == "array":
            return JSONResponse(found)
        return JSONResponse({"record_count": total, "actions": found})

    async def _add_actions(self, request: Request) -> Response:
        if denied := self._unauthorized(request):
            return denied
        body = await request.json()
        if not isinstance(body, list):
            return JSONResponse({"message": "The request body must be an array of actions"}, status_code=400)
        created = []
        for item in body:
            ticket = item.get("ticket_id")
            if ticket not in self.tickets:
                return JSONResponse(f"Ticket {ticket} not found", status_code=404)
            self._next_action += 1
            action = {"id": self._next_action, **item}
            # Halo keeps a plain-text copy of the HTML note next to it.
            action["note"] = str(item.get("note_html", "")).replace("<br>", "\n")
            self.actions.append(action)
            created.append(action)
        return JSONResponse(created[0] if self.reply_style == "object" else created)

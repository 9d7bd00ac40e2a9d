"""ConnectWise PSA (Manage) REST 3.0, the part Relaydesk uses, under /v4_6_release/apis/3.0/.

Every request needs `Authorization: Basic base64(company+public:private)` (401 otherwise) and a
`clientId` header (400 otherwise). Error bodies are `{"code", "message", "errors": [...]}`.

    GET  service/tickets               the ticket list: `conditions` joined by `and` from closedFlag=true,
                                       closedDate>=[ISO] and id>N; orderBy `id asc`; page/pageSize
                                       (at most 1000, default 25)
    GET  service/tickets/{id}          the ticket; 404 NotFound for an unknown id. No
                                       `initialDescription`: the Manage schema marks it "only
                                       available for POST, will not be returned in the response"
                                       (the field's description in the ConnectWise Manage
                                       schema, as issue 21 quotes it; the generated ticket model
                                       of pywise, pyconnectwise's forerunner, has the field but
                                       not its description, so the quote is not re-checked).
                                       The text lives on as the ticket's first note, the one with
                                       `detailDescriptionFlag` (`describe`).
    GET  service/tickets/{id}/notes    page/pageSize/orderBy (`id asc` or `id desc`, else by id),
                                       and `conditions` of the form text contains "…". When
                                       `reject_conditions` is a status (400, 403, 404, …) every
                                       `conditions` query gets it. Which status a Manage version
                                       uses to refuse a search on note text is not documented;
                                       issue 21's review asks for any 4xx to be read as "not
                                       supported", so the fake can answer each.
    POST service/tickets/{id}/notes    201 with the note; 400 InvalidObject when text is empty
                                       or no flag of detailDescription/internalAnalysis/resolution
                                       is true
"""

from __future__ import annotations

import base64
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor, note_time

BASE = "/v4_6_release/apis/3.0"
COMPANY, PUBLIC_KEY, PRIVATE_KEY = "acmemsp", "PubKey123", "PrivKey-very-secret"
CLIENT_ID = "3f1e0b9a-7c1d-4b7e-9a55-8c2d1f0e6a42"
_CONTAINS = re.compile(r'^text contains "([^"]*)"$')
_CONDITION = re.compile(r"^(closedFlag)=(true|false)$|^(closedDate)>=\[([^\]]+)\]$|^(id)>(\d+)$")
FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")
DESCRIPTION = "Since Monday, Outlook prompts every few minutes."


def _error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


class FakeConnectWise(FakeVendor):
    def __init__(self) -> None:
        self.reject_conditions: int | None = None
        self.tickets: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.descriptions: dict[int, dict[str, Any]] = {}
        self._next_note = 5000
        super().__init__()
        self.reset_state()

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{BASE}/service/tickets", self._list_tickets, methods=["GET"]),
            Route(f"{BASE}/service/tickets/{{id:int}}", self._ticket, methods=["GET"]),
            Route(f"{BASE}/service/tickets/{{id:int}}/notes", self._list_notes, methods=["GET"]),
            Route(f"{BASE}/service/tickets/{{id:int}}/notes", self._add_note, methods=["POST"]),
        ]

    def reset_state(self) -> None:
        self.reject_conditions = None
        self.tickets = {
            4711: {
                "id": 4711,
                "summary": "Outlook keeps asking for the password",
                "company": {"id": 250, "identifier": "Contoso", "name": "Contoso Ltd"},
                "priority": {"id": 8, "name": "Priority 2 - High"},
                "status": {"id": 16, "name": "In Progress"},
            }
        }
        self.notes = {4711: []}
        self.descriptions = {}
        self.describe(4711, DESCRIPTION)

    def describe(self, ticket: int, text: str) -> dict[str, Any]:
        """What Manage makes of a ticket's `initialDescription` on POST: its first note.

        Kept apart from `notes` (the notes added since), with an id below theirs."""
        flags = {flag: flag == "detailDescriptionFlag" for flag in FLAGS}
        note = {"id": len(self.descriptions) + 1, "ticketId": ticket, "text": text, **flags}
        self.descriptions[ticket] = note
        return note

    def add_existing_note(self, ticket: int, text: str, **flags: bool) -> dict[str, Any]:
        self._next_note += 1
        note = {
            "id": self._next_note,
            "ticketId": ticket,
            "text": text,
            "dateCreated": note_time(self._next_note),
            **{f: False for f in FLAGS},
            **flags,
        }
        self.notes.setdefault(ticket, []).append(note)
        return note

    def add_closed_ticket(
        self,
        ticket: int,
        summary: str,
        closed: str,
        *,
        notes: list[str],
        resolution: str | None,
        **extra: Any,
    ) -> None:
        """A closed ticket with notes (internal analysis) and, when given, a resolution note."""
        self.tickets[ticket] = {
            "id": ticket,
            "summary": summary,
            "closedFlag": True,
            "closedDate": closed,
            "company": {"id": 250, "identifier": "Contoso", "name": "Contoso Ltd"},
            "type": {"id": 3, "name": "Network"},
            **extra,
        }
        self.notes[ticket] = []
        for text in notes:
            self.add_existing_note(ticket, text, internalAnalysisFlag=True)
        if resolution is not None:
            self.add_existing_note(ticket, resolution, resolutionFlag=True)

    async def _list_tickets(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        tickets = list(self.tickets.values())
        for part in filter(None, re.split(r"\s+and\s+", request.query_params.get("conditions", "").strip())):
            match = _CONDITION.match(part.strip())
            if not match:
                return _error(400, "InvalidConditions", f"Could not parse conditions: {part}")
            if match.group(1):
                tickets = [t for t in tickets if bool(t.get("closedFlag")) == (match.group(2) == "true")]
            elif match.group(3):
                tickets = [t for t in tickets if t.get("closedDate") and t["closedDate"] >= match.group(4)]
            else:
                tickets = [t for t in tickets if t["id"] > int(match.group(6))]
        if request.query_params.get("orderBy", "").replace(" ", "").lower() in ("idasc", "id"):
            tickets.sort(key=lambda t: t["id"])
        size = min(int(request.query_params.get("pageSize", "25")), 1000)
        page = int(request.query_params.get("page", "1"))
        return JSONResponse(tickets[(page - 1) * size : page * size])

    def _auth_error(self, request: Request) -> Response | None:
        expected = base64.b64encode(f"{COMPANY}+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, "Unauthorized", "Incorrect public/private key")
        if request.headers.get("clientid") != CLIENT_ID:
            return _error(400, "InvalidClientId", "A valid clientId header is required on every request")
        return None

    def _missing(self, ticket: int) -> Response:
        return _error(404, "NotFound", f"Ticket with id {ticket} was not found")

    async def _ticket(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = request.path_params["id"]
        if ticket not in self.tickets:
            return self._missing(ticket)
        return JSONResponse(self.tickets[ticket])

    async def _list_notes(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = request.path_params["id"]
        if ticket not in self.tickets:
            return self._missing(ticket)
        description = self.descriptions.get(ticket)
        notes = ([description] if description else []) + list(self.notes.get(ticket, []))
        conditions = request.query_params.get("conditions")
        if conditions:
            match = _CONTAINS.match(conditions.strip())
            if self.reject_conditions is not None:
                return _error(self.reject_conditions, "InvalidConditions", f"Cannot search on: {conditions}")
            if not match:
                return _error(400, "InvalidConditions", f"Could not parse conditions: {conditions}")
            notes = [note for note in notes if match.group(1) in note["text"]]
        order = request.query_params.get("orderBy", "").replace(" ", "").lower()
        notes.sort(key=lambda note: note["id"], reverse=order == "iddesc")
        size = min(int(request.query_params.get("pageSize", "25")), 1000)
        page = int(request.query_params.get("page", "1"))
        return JSONResponse(notes[(page - 1) * size : page * size])

    async def _add_note(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = request.path_params["id"]
        if ticket not in self.tickets:
            return self._missing(ticket)
        body = await request.json()
        errors = []
        if not isinstance(body.get("text"), str) or not body["text"].strip():
            errors.append({"code": "NullOrEmpty", "message": "text is required", "field": "text"})
        if not any(body.get(flag) is True for flag in FLAGS):
            errors.append(
                {
                    "code": "InvalidObject",
                    "message": "At least one of detailDescriptionFlag, internalAnalysisFlag or "
                    "resolutionFlag must be true",
                    "field": "detailDescriptionFlag",
                }
            )
        if errors:
            return _error(400, "InvalidObject", "serviceNote object is invalid", errors)
        note = self.add_existing_note(ticket, body["text"], **{f: bool(body.get(f)) for f in FLAGS})
        return JSONResponse(note, status_code=201)

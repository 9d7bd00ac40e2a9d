"""Autotask PSA REST v1.0, the part Relaydesk uses.

Zone lookup: GET /atservicesrest/v1.0/zoneInformation?user=… answers the zone's base URL
(here `{server}/zone5/atservicesrest/`). An unknown (or blank) user gets 500: django-autotask's
`get_zone_info` says "AT returns 500 if username is blank or incorrect" and reads a JSON body
from it; the body's wording here is ours. Zone calls need the `ApiIntegrationCode`, `UserName`
and `Secret` headers (401 otherwise) and answer errors as `{"errors": ["…"]}`, validation
failures as 500 the way Autotask does.

    GET  V1.0/Tickets/{id}                    {"item": {…}}; unknown id: 404, or 200 {"item": null}
                                              when `unknown_ticket == "null"`
    GET  V1.0/Tickets/{id}/Notes              {"items": […], "pageDetails": {"count", "requestCount",
                                              "prevPageUrl", "nextPageUrl"}}, `page_size` a page.
                                              nextPageUrl is absolute and answered with GET, the
                                              method of the first page (django-autotask follows
                                              next_url with the request's own method); a POST
                                              there would add a note. `next_host` puts another
                                              host name in it: "LOCALHOST" for a fake served as
                                              `localhost` (host names have no case), or a
                                              foreign one.
    POST V1.0/Tickets/{id}/Notes              200 {"itemId": n}; title, description, noteType and
                                              publish required, noteType/publish from the picklists
    GET  V1.0/Tickets/entityInformation/fields  the priority picklist
    GET  V1.0/Companies/{id}                  {"item": {"companyName": …}}
    POST V1.0/TicketNotes                     404: notes are created under their ticket
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor, note_time

USER, SECRET, INTEGRATION_CODE = "relaydesk-api@acmemsp.example", "At-Secret-9f8e7d", "INTCODE0123456789"
ZONE_PATH = "/zone5/atservicesrest/"
NOTE_TYPES = {1, 2, 3}
PUBLISH = {1, 2, 3}
PRIORITIES = [
    {"value": "1", "label": "High", "isActive": True},
    {"value": "2", "label": "Medium", "isActive": True},
    {"value": "3", "label": "Low", "isActive": True},
    {"value": "4", "label": "Critical", "isActive": True},
]


def _errors(status: int, *messages: str) -> Response:
    return JSONResponse({"errors": list(messages)}, status_code=status)


class FakeAutotask(FakeVendor):
    def __init__(self) -> None:
        self.unknown_ticket: Literal["404", "null"] = "404"
        self.page_size = 500
        self.next_host: str | None = None
        self.tickets: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.companies: dict[int, dict[str, Any]] = {}
        self._next_note = 29000
        super().__init__()
        self.reset_state()

    def routes(self) -> list[BaseRoute]:
        zone = ZONE_PATH + "V1.0"
        return [
            Route("/atservicesrest/v1.0/zoneInformation", self._zone_information, methods=["GET"]),
            Route(f"{zone}/Tickets/entityInformation/fields", self._ticket_fields, methods=["GET"]),
            Route(f"{zone}/Tickets/query", self._query_tickets, methods=["POST"]),
            Route(f"{zone}/Tickets/{{id:int}}", self._ticket, methods=["GET"]),
            Route(f"{zone}/Tickets/{{id:int}}/Notes", self._list_notes, methods=["GET"]),
            Route(f"{zone}/Tickets/{{id:int}}/Notes", self._add_note, methods=["POST"]),
            Route(f"{zone}/Companies/{{id:int}}", self._company, methods=["GET"]),
        ]

    def reset_state(self) -> None:
        self.unknown_ticket = "404"
        self.page_size = 500
        self.next_host = None
        self.tickets = {
            81234: {
                "id": 81234,
                "ticketNumber": "T20261123.0042",
                "title": "Printer on 3rd floor offline",
                "description": "Nobody on the 3rd floor can print since the switch was replaced.",
                "companyID": 175,
                "priority": 1,
                "status": 8,
            }
        }
        self.companies = {175: {"id": 175, "companyName": "Fabrikam Inc."}}
        self.notes = {81234: []}

    def lookup_url(self, base: str) -> str:
        return base + "/atservicesrest/v1.0/zoneInformation"

    def add_existing_note(self, ticket: int, description: str, *, publish: int = 1) -> dict[str, Any]:
        self._next_note += 1
        note = {
            "id": self._next_note,
            "ticketID": ticket,
            "title": description.splitlines()[0][:250] if description else "note",
            "description": description,
            "noteType": 1,
            "publish": publish,
            "createDateTime": note_time(self._next_note),
        }
        self.notes.setdefault(ticket, []).append(note)
        return note

    def add_completed_ticket(
        self, ticket: int, title: str, completed: str, *, notes: list[str], resolution: str | None
    ) -> None:
        self.tickets[ticket] = {
            "id": ticket,
            "title": title,
            "companyID": 175,
            "completedDate": completed,
            "resolution": resolution,
            "status": 5,
        }
        self.notes[ticket] = []
        for note in notes:
            self.add_existing_note(ticket, note)

    async def _query_tickets(self, request: Request) -> Response:
        """Tickets/query: `filter` items ANDed (gte/gt/eq on a field), results in id order, MaxRecords
        (at most 500)."""
        if denied := self._auth_error(request):
            return denied
        body = await request.json()
        tickets = sorted(self.tickets.values(), key=lambda t: t["id"])
        for item in body.get("filter") or []:
            field, value, op = item.get("field"), item.get("value"), item.get("op")
            if op not in ("gte", "gt", "eq"):
                return _errors(500, f"Unsupported filter operation {op}")
            tickets = [
                t
                for t in tickets
                if t.get(field) is not None
                and (
                    t[field] >= value
                    if op == "gte"
                    else t[field] > value
                    if op == "gt"
                    else t[field] == value
                )
            ]
        size = min(int(body.get("MaxRecords") or 500), 500)
        count = min(len(tickets), size)
        page = {"count": count, "requestCount": size, "prevPageUrl": None, "nextPageUrl": None}
        return JSONResponse({"items": tickets[:size], "pageDetails": page})

    def _auth_error(self, request: Request) -> Response | None:
        if (
            request.headers.get("apiintegrationcode") != INTEGRATION_CODE
            or request.headers.get("username") != USER
            or request.headers.get("secret") != SECRET
        ):
            return Response(status_code=401)
        return None

    async def _zone_information(self, request: Request) -> Response:
        if request.query_params.get("user", "").lower() != USER.lower():
            return _errors(500, "Zone information could not be determined for the given user")
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"zoneName": "Fake Zone 5", "url": base + ZONE_PATH, "webUrl": base + "/ww5/", "ci": 5}
        )

    async def _ticket(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = self.tickets.get(request.path_params["id"])
        if ticket is None and self.unknown_ticket == "404":
            return _errors(404, "Ticket not found")
        return JSONResponse({"item": ticket})

    async def _ticket_fields(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        return JSONResponse(
            {
                "fields": [
                    {"name": "id", "dataType": "long", "isPickList": False},
                    {
                        "name": "priority",
                        "dataType": "integer",
                        "isPickList": True,
                        "picklistValues": PRIORITIES,
                    },
                ]
            }
        )

    async def _company(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        return JSONResponse({"item": self.companies.get(request.path_params["id"])})

    async def _list_notes(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = request.path_params["id"]
        if ticket not in self.tickets:
            return _errors(404, "Ticket not found")
        page = int(request.query_params.get("page", "1"))
        notes = self.notes.get(ticket, [])
        chunk = notes[(page - 1) * self.page_size : page * self.page_size]
        more = page * self.page_size < len(notes)
        next_url = request.url.replace(query=f"page={page + 1}") if more else None
        if next_url is not None and self.next_host is not None:
            next_url = next_url.replace(hostname=self.next_host)
        details = {
            "count": len(chunk),
            "requestCount": self.page_size,
            "prevPageUrl": None,
            "nextPageUrl": str(next_url) if next_url is not None else None,
        }
        return JSONResponse({"items": chunk, "pageDetails": details})

    async def _add_note(self, request: Request) -> Response:
        if denied := self._auth_error(request):
            return denied
        ticket = request.path_params["id"]
        if ticket not in self.tickets:
            return _errors(404, "Ticket not found")
        body = await request.json()
        required = [
            key for key in ("title", "description", "noteType", "publish") if body.get(key) in (None, "")
        ]
        if required:
            return _errors(500, *(f"Missing required field: {key}" for key in required))
        if body.get("ticketID") not in (None, ticket):
            return _errors(500, "ticketID does not match the parent ticket")
        if body["noteType"] not in NOTE_TYPES:
            return _errors(500, f"Value {body['noteType']} for field noteType is not a valid picklist value")
        if body["publish"] not in PUBLISH:
            return _errors(500, f"Value {body['publish']} for field publish is not a valid picklist value")
        if len(body["title"]) > 250 or len(body["description"]) > 32000:
            return _errors(500, "title or description is too long")
        note = self.add_existing_note(ticket, body["description"], publish=body["publish"])
        note.update(title=body["title"], noteType=body["noteType"])
        return JSONResponse({"itemId": note["id"]})

"""GET /api/v1/live: the caller's account's events as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from relaydesk.errors import BadInput, RelaydeskError
from relaydesk.live.sse import EventStreamResponse, StreamConfig, event_stream
from relaydesk.web.deps import CurrentActor

router = APIRouter(prefix="/api/v1", tags=["live"])


class LiveUnavailable(RelaydeskError):
    status_code = 503
    title = "Live updates unavailable"


# Event ids are PostgreSQL bigints; a larger number would abort the stream in its first query.
MAX_EVENT_ID = 2**63 - 1


def _position(last_event_id: str | None, since: int | None) -> int | None:
    # The header wins: a browser's EventSource sends it on every reconnect, while `since` stays
    # whatever the page first put in the URL.
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if not value.isascii() or not value.isdigit() or int(value) > MAX_EVENT_ID:
            raise BadInput("Last-Event-ID must be an event id from this stream (a whole number).")
        return int(value)
    return since


@router.get(
    "/live",
    status_code=200,
    response_class=EventStreamResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events in order: `id:` is the account's event seq, `event:` the type, "
            "`data:` JSON {seq, type, at, actor_id, session_id, handoff_id, payload}. First a `ready` "
            "event {user_id, role}; `: ping` comments while quiet; `reset` means refetch your state, "
            "then reconnect after its id.",
        }
    },
)
async def live(
    request: Request,
    actor: CurrentActor,
    since: Annotated[
        int | None,
        Query(ge=0, le=MAX_EVENT_ID, description="Replay after this id (if no Last-Event-ID)."),
    ] = None,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> EventStreamResponse:
    """Live updates for the caller's account, with replay after `Last-Event-ID` (or `?since=`).
    Authenticated by the session cookie (so a page's EventSource works) or a Bearer token."""
    after = _position(last_event_id, since)
    state = request.app.state
    hub, listener = getattr(state, "live_hub", None), getattr(state, "live_listener", None)
    if hub is None or listener is None:
        raise LiveUnavailable("Live updates are not running in this process; reload the page later.")
    config = StreamConfig.from_settings(state.settings)
    # The actor's transaction (a function-scoped dependency) has ended before the body streams;
    # the stream opens its own short ones, so no transaction stays open for the stream's lifetime.
    stream = event_stream(db=state.db, hub=hub, listener=listener, actor=actor, after=after, config=config)
    return EventStreamResponse(stream, send_timeout=config.send_timeout)

"""The triage queue page: priority then waiting order, the pickup SLA per row in words and glyph,
whose (team / sent to me / mine) and client/priority filters in the URL, the row fragment."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import psycopg

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import SettingsUpdate
from tests.factories import Member, escalate, make_session
from tests.handoffs.conftest import SignIn
from tests.handoffs.test_pages import Team, _team, page


async def _waiting(
    db: Database,
    conn: psycopg.Connection,
    member: Member,
    *,
    priority: str,
    minutes_ago: float = 0,
    client: str = "Harbor Dental",
    target: uuid.UUID | None = None,
) -> uuid.UUID:
    session = await make_session(
        db, member, problem=f"A {priority} problem", priority=priority, client=client
    )
    handoff = await escalate(db, member, session, target=target)
    if minutes_ago:
        conn.execute(
            "UPDATE handoffs SET created_at = created_at - %s WHERE id = %s",
            (timedelta(minutes=minutes_ago), handoff.id),
        )
    return handoff.id


async def _sla(db: Database, team: Team, minutes: int) -> None:
    async with db.uow(team.account.id) as uow:
        await integrations.update_settings(
            uow, team.owner.actor, SettingsUpdate(pickup_sla_minutes=minutes), smtp_configured=False
        )


async def test_most_urgent_first_then_longest_waiting_with_the_sla(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    await _sla(db, team, 30)
    low = await _waiting(db, admin_conn, team.jane, priority="low", minutes_ago=40)
    normal_new = await _waiting(db, admin_conn, team.jane, priority="normal", minutes_ago=10)
    normal_old = await _waiting(db, admin_conn, team.jane, priority="normal", minutes_ago=25)
    high = await _waiting(db, admin_conn, team.jane, priority="high", minutes_ago=1)
    urgent = await _waiting(db, admin_conn, team.jane, priority="urgent")

    doc = page((await (await sign_in(team.sam)).get("/queue")).text)
    rows = doc.one(id="queue").find(cls="queue-item")
    assert [r.attrs["data-handoff-id"] for r in rows] == [
        str(h) for h in (urgent, high, normal_old, normal_new, low)
    ]
    keys = [r.attrs["data-sort"] for r in rows]
    assert keys == sorted(keys)  # the live page inserts by this key

    state = {r.attrs["data-handoff-id"]: r for r in rows}
    # 30 min SLA: a quarter left or less is "soon"; words and a glyph, never colour alone
    ok, soon, breached = state[str(normal_new)], state[str(normal_old)], state[str(low)]
    assert ok.attrs["data-sla-state"] == "ok"
    assert re.fullmatch(r"◷ (19|20) min left to pick up", ok.one(cls="sla").text)
    assert soon.attrs["data-sla-state"] == "soon" and "4:5" in soon.one(cls="sla-words").text
    assert soon.one(cls="sla-glyph").text == "⚠"
    assert breached.one(cls="sla-words").text.startswith("SLA breached 10")
    assert (
        breached.one(cls="sla-glyph").text == "✕" and "sla-breached" in breached.one(cls="sla").attrs["class"]
    )
    assert (
        "data-sla-due" in breached.one(cls="sla").attrs
        and breached.one(cls="sla").attrs["data-sla-window"] == "1800"
    )
    assert "waiting 40 min" in breached.text and "assessment being prepared" in breached.text

    figures = {
        n.attrs["data-figure"]: n.text for n in doc.one(id="queue-figures").walk() if "data-figure" in n.attrs
    }
    assert figures == {"waiting": "5", "urgent": "1", "high": "1", "breached": "1"}
    assert doc.one(id="queue-keys").tag == "dialog"  # the ? list


async def test_sla_off_says_so(db: Database, sign_in: SignIn, admin_conn: psycopg.Connection) -> None:
    team = await _team(db)
    await _sla(db, team, 0)
    await _waiting(db, admin_conn, team.jane, priority="normal", minutes_ago=90)
    row = page((await (await sign_in(team.sam)).get("/queue")).text).one(cls="queue-item")
    assert row.one(cls="sla-words").text == "no pickup SLA" and "data-sla-due" not in row.one(cls="sla").attrs


async def test_views_and_filters_live_in_the_url(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    harbor = await _waiting(db, admin_conn, team.jane, priority="normal", client="Harbor Dental")
    acme = await _waiting(db, admin_conn, team.jane, priority="high", client="Acme")
    to_sam = await _waiting(db, admin_conn, team.jane, priority="low", client="Acme", target=team.sam.user.id)
    to_kim = await _waiting(db, admin_conn, team.jane, priority="low", client="Acme", target=team.kim.user.id)
    claimed = await _waiting(db, admin_conn, team.jane, priority="urgent", client="Acme")
    async with db.uow(team.account.id) as uow:
        await handoffs.claim(uow, team.sam.actor, claimed)
    sam = await sign_in(team.sam)

    async def ids(url: str) -> list[str]:
        response = await sam.get(url)
        assert response.status_code == 200, response.text
        return [r.attrs["data-handoff-id"] for r in page(response.text).find(cls="queue-item")]

    assert await ids("/queue") == [str(acme), str(harbor), str(to_sam)]  # not Kim's, not the claimed one
    assert await ids("/queue?view=targeted") == [str(to_sam)]
    assert await ids("/queue?view=mine") == [str(claimed)]
    assert await ids("/queue?client=acme") == [str(acme), str(to_sam)]  # case-insensitive
    assert await ids("/queue?client=Acme&priority=low") == [str(to_sam)]
    assert str(to_kim) not in await ids("/queue?view=team&priority=low")

    doc = page((await sam.get("/queue?view=targeted&client=Acme")).text)
    views = {a.text: a.attrs for a in doc.one(cls="queue-views").find(tag="a")}
    assert views["Sent to me"].get("aria-current") == "page"
    assert views["Team"]["href"] == "/queue?client=Acme"  # the filters stay when switching
    assert views["Mine (picked up by me)"]["href"] == "/queue?view=mine&client=Acme"
    form = doc.one(cls="queue-filters")
    assert [o.attrs.get("value") for o in form.find(tag="option") if "selected" in o.attrs] == ["Acme"]
    assert {i.attrs["name"]: i.attrs["value"] for i in form.find(tag="input")} == {"view": "targeted"}

    bad = await sam.get("/queue?priority=someday")
    assert bad.status_code == 422 and "Unknown priority" in bad.text
    assert (await sam.get("/queue?view=everything")).status_code == 422


async def test_the_row_fragment_is_the_pages_row(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    team = await _team(db)
    urgent = await _waiting(db, admin_conn, team.jane, priority="urgent")
    own = await _waiting(db, admin_conn, team.sam, priority="normal")
    sam = await sign_in(team.sam)

    fragment = await sam.get(f"/queue/rows/{urgent}")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    (row,) = page(fragment.text).find(cls="queue-item")
    (on_page,) = [r for r in page((await sam.get("/queue")).text).find(cls="queue-item")]
    assert row.attrs == on_page.attrs and row.text.split("waiting")[0] == on_page.text.split("waiting")[0]
    # the page's filters apply: not for this view, not in the queue at all
    assert (await sam.get(f"/queue/rows/{urgent}?priority=low")).status_code == 404
    assert (await sam.get(f"/queue/rows/{own}")).status_code == 404
    assert (await sam.get(f"/queue/rows/{uuid.uuid4()}")).status_code == 404

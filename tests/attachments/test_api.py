"""Attachments through the JSON API: types by the bytes, safe headers, limits, who may, RLS."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.accounts.models import Account
from relaydesk.app import create_app
from relaydesk.attachments import service
from relaydesk.db.uow import ACCOUNT_SETTING, APP_ROLE, Database
from relaydesk.errors import TooLarge
from relaydesk.sessions.models import Session
from relaydesk.settings import Settings
from tests.attachments import data
from tests.factories import Member, escalate, make_account, make_session, make_step, make_user

MB = 1024 * 1024


@dataclass
class Setup:
    account: Account
    jane: Member
    session: Session
    step_id: uuid.UUID


async def _team(db: Database) -> Setup:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    session = await make_session(db, jane)
    step = await make_step(db, jane, session)
    return Setup(account, jane, session, step.id)


async def _setup(db: Database) -> tuple[Member, uuid.UUID, uuid.UUID]:
    team = await _team(db)
    return team.jane, team.session.id, team.step_id


async def _upload(
    client: httpx.AsyncClient,
    member: Member,
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    name: str,
    body: bytes,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/sessions/{session_id}/steps/{step_id}/attachments",
        headers=member.headers,
        files={"file": (name, body, "application/x-msdownload")},  # the claimed type is ignored
    )


def _count(conn: psycopg.Connection) -> tuple[int, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM step_attachments), (SELECT count(*) FROM attachment_chunks)"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


async def test_a_png_named_exe_is_an_inline_image(client: httpx.AsyncClient, db: Database) -> None:
    jane, session_id, step_id = await _setup(db)
    png = data.png()
    created = await _upload(client, jane, session_id, step_id, "setup.exe", png)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("filename", "content_type", "size")} == {
        "filename": "setup.exe",
        "content_type": "image/png",
        "size": len(png),
    }
    assert body["sha256"] == hashlib.sha256(png).hexdigest()

    got = await client.get(f"/api/v1/attachments/{body['id']}", headers=jane.headers)
    assert got.status_code == 200
    assert got.content == png
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == (
        "inline; filename=\"setup.exe.png\"; filename*=UTF-8''setup.exe.png"  # saved as a picture
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    csp = got.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert got.headers["content-length"] == str(len(png))
    # unchanged bytes: the browser's copy is good
    again = await client.get(
        f"/api/v1/attachments/{body['id']}", headers={**jane.headers, "If-None-Match": got.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


async def test_html_named_png_is_a_text_download(client: httpx.AsyncClient, db: Database) -> None:
    jane, session_id, step_id = await _setup(db)
    created = await _upload(client, jane, session_id, step_id, "screenshot.png", data.HTML)
    assert created.status_code == 201, created.text
    assert created.json()["content_type"] == "text/plain"
    got = await client.get(f"/api/v1/attachments/{created.json()['id']}", headers=jane.headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert got.headers["content-disposition"].startswith('attachment; filename="screenshot.png.txt"')
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.content == data.HTML


async def test_binary_is_an_octet_stream_download_with_its_name_encoded(
    client: httpx.AsyncClient, db: Database
) -> None:
    jane, session_id, step_id = await _setup(db)
    created = await _upload(
        client, jane, session_id, step_id, "dump été.bin", b"MZ\x90\x00" + bytes(range(256))
    )
    assert created.status_code == 201 and created.json()["content_type"] == "application/octet-stream"
    got = await client.get(f"/api/v1/attachments/{created.json()['id']}", headers=jane.headers)
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"dump _t_.bin\"; filename*=UTF-8''dump%20%C3%A9t%C3%A9.bin"
    )


async def test_a_text_attachment_is_redacted_when_downloaded(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    log = b"12:01 connect ok\n12:02 password: Winter2024!Harbor\n12:03 retry\n"
    created = await _upload(client, jane, session_id, step_id, "vpn.log", log)
    assert created.status_code == 201
    got = await client.get(f"/api/v1/attachments/{created.json()['id']}", headers=jane.headers)
    assert got.text == "12:01 connect ok\n12:02 password: [redacted password]\n12:03 retry\n"
    # stored as uploaded (its size and hash are the upload's); redacted on the way out
    stored = admin_conn.execute("SELECT data FROM attachment_chunks").fetchone()
    assert stored is not None and bytes(stored[0]) == log


async def test_ten_megabytes_fit_and_come_back_whole(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    blob = data.png() + bytes(range(256)) * (10 * MB // 256 - 1)
    blob += b"\x00" * (10 * MB - len(blob))
    created = await _upload(client, jane, session_id, step_id, "big.png", blob)
    assert created.status_code == 201, created.text
    assert created.json()["size"] == 10 * MB
    assert _count(admin_conn) == (1, 40)  # 256 KiB chunks
    got = await client.get(f"/api/v1/attachments/{created.json()['id']}", headers=jane.headers)
    assert hashlib.sha256(got.content).hexdigest() == created.json()["sha256"]


async def test_over_ten_megabytes_is_refused_naming_size_and_limit(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    refused = await _upload(client, jane, session_id, step_id, "big.log", b"a" * (10 * MB + 1))
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "This file is 10 MB; the limit is 10 MB per file."
    # a body far over the limit is refused before it is read
    huge = await _upload(client, jane, session_id, step_id, "huge.log", b"a" * (20 * MB))
    assert huge.status_code == 413
    assert huge.json()["detail"] == "The upload is 20 MB; the limit is 10 MB per file."
    assert _count(admin_conn) == (0, 0)
    # and other routes keep the small limit
    steps = await client.post(
        f"/api/v1/sessions/{session_id}/steps",
        headers={**jane.headers, "Content-Type": "application/json"},
        content=b'{"action": "' + b"a" * (2 * MB) + b'", "outcome": "info"}',
    )
    assert steps.status_code == 413


@pytest.fixture
async def small_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An app with tiny limits: 1,000 bytes a file, 2,500 a session."""
    tight = settings.model_copy(update={"attachment_max_bytes": 1000, "attachment_session_max_bytes": 2500})
    app: FastAPI = create_app(tight)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            yield http


async def test_the_session_limit_counts_every_file_of_the_session(
    small_client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    for n in range(2):
        assert (
            await _upload(small_client, jane, session_id, step_id, f"{n}.log", b"x" * 1000)
        ).status_code == 201
    refused = await _upload(small_client, jane, session_id, step_id, "third.log", b"x" * 600)
    assert refused.status_code == 413
    assert refused.json()["detail"] == (
        "This file is 600 bytes; the session already holds 2 kB of attachments "
        "and the limit is 2.4 kB per session."
    )
    assert _count(admin_conn) == (2, 2)
    assert (await _upload(small_client, jane, session_id, step_id, "fits.log", b"x" * 500)).status_code == 201
    too_big = await _upload(small_client, jane, session_id, step_id, "one.log", b"x" * 1001)
    assert too_big.json()["detail"] == "This file is 1001 bytes; the limit is 1000 bytes per file."


async def test_an_empty_file_and_bad_multipart_are_4xx(client: httpx.AsyncClient, db: Database) -> None:
    jane, session_id, step_id = await _setup(db)
    url = f"/api/v1/sessions/{session_id}/steps/{step_id}/attachments"
    empty = await _upload(client, jane, session_id, step_id, "empty.txt", b"")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    no_file = await client.post(url, headers=jane.headers, data={"other": "x"}, files={"x": ("a", b"b")})
    assert no_file.status_code == 422
    as_text = await client.post(url, headers=jane.headers, data={"file": "not a file"})
    assert as_text.status_code == 422
    broken = await client.post(
        url,
        headers={**jane.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nhello\r\n--xyz--\r\n',
    )
    assert 400 <= broken.status_code < 500, broken.text
    no_boundary = await client.post(
        url, headers={**jane.headers, "Content-Type": "multipart/form-data"}, content=b"garbage"
    )
    assert 400 <= no_boundary.status_code < 500, no_boundary.text
    json_body = await client.post(url, headers=jane.headers, json={"file": "x"})
    assert json_body.status_code == 422
    wrong_step = await _upload(client, jane, session_id, uuid.uuid4(), "a.txt", b"hello")
    assert wrong_step.status_code == 404


async def test_who_may_attach_and_read(client: httpx.AsyncClient, db: Database) -> None:
    team = await _team(db)
    jane, session_id, step_id = team.jane, team.session.id, team.step_id
    viewer = await make_user(db, team.account, role="viewer")
    teammate = await make_user(db, team.account)
    admin = await make_user(db, team.account, role="admin")
    stranger = await make_user(db, await make_account(db))
    created = await _upload(client, jane, session_id, step_id, "a.txt", b"hello")
    url = f"/api/v1/attachments/{created.json()['id']}"

    # A viewer reads every session of the account (handoffs/policy.py) but never writes.
    assert (await _upload(client, viewer, session_id, step_id, "v.txt", b"x")).status_code == 403
    assert (await _upload(client, teammate, session_id, step_id, "t.txt", b"x")).status_code == 404
    assert (await _upload(client, stranger, session_id, step_id, "s.txt", b"x")).status_code == 404
    assert (await _upload(client, admin, session_id, step_id, "ad.txt", b"x")).status_code == 201
    for member, status in ((viewer, 200), (teammate, 404), (stranger, 404), (admin, 200), (jane, 200)):
        assert (await client.get(url, headers=member.headers)).status_code == status
    assert (await client.get(url)).status_code == 401


async def test_while_escalated_engineers_may_read_but_not_attach(
    client: httpx.AsyncClient, db: Database
) -> None:
    team = await _team(db)
    jane, session_id, step_id = team.jane, team.session.id, team.step_id
    created = await _upload(client, jane, session_id, step_id, "a.txt", b"hello")
    senior = await make_user(db, team.account)
    viewer = await make_user(db, team.account, role="viewer")
    await escalate(db, jane, team.session)
    url = f"/api/v1/attachments/{created.json()['id']}"
    assert (await client.get(url, headers=senior.headers)).status_code == 200  # the pickup screen's reader
    refused = await _upload(client, senior, session_id, step_id, "b.txt", b"x")
    assert refused.status_code == 403
    # the escalator may add findings while it waits (handoffs/policy.py RULES), files too
    assert (await _upload(client, jane, session_id, step_id, "c.txt", b"x")).status_code == 201
    assert (await client.get(url, headers=viewer.headers)).status_code == 200  # viewers read


async def test_another_account_sees_nothing_even_in_raw_sql(
    client: httpx.AsyncClient, db: Database, database_url: str
) -> None:
    jane, session_id, step_id = await _setup(db)
    created = await _upload(client, jane, session_id, step_id, "a.png", data.png())
    other = await make_user(db, await make_account(db))
    assert (
        await client.get(f"/api/v1/attachments/{created.json()['id']}", headers=other.headers)
    ).status_code == 404
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.autocommit = False
        for account_id, expected in ((other.actor.account_id, (0, 0)), (jane.actor.account_id, (1, 1))):
            conn.execute("SELECT set_config(%s, %s, true)", (ACCOUNT_SETTING, str(account_id)))
            assert _count(conn) == expected
            conn.rollback()
        # unscoped, the app role sees none
        assert _count(conn) == (0, 0)


async def test_an_upload_is_a_live_event_for_the_sessions_readers(
    client: httpx.AsyncClient, db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    created = await _upload(client, jane, session_id, step_id, "a.png", data.png())
    row = admin_conn.execute(
        "SELECT type, session_id, payload FROM events WHERE type = 'attachment.added'"
    ).fetchone()
    assert row is not None
    _type, event_session, payload = row
    assert event_session == session_id
    assert payload["attachment_id"] == created.json()["id"] and payload["step_id"] == str(step_id)
    assert payload["readers"] == [str(jane.user.id)] and payload["in_queue"] is False


class _Uncounted:
    """An upload whose size the parser did not report: only reading it finds it too large."""

    def __init__(self, data: bytes) -> None:
        self.filename, self.size, self._data = "stream.log", None, data

    async def read(self, size: int = -1) -> bytes:
        piece, self._data = self._data[:size], self._data[size:]
        return piece


async def test_an_uncounted_upload_is_cut_off_at_the_limit_and_nothing_stays(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    jane, session_id, step_id = await _setup(db)
    limits = service.Limits(per_file=600 * 1024, per_session=50 * MB)
    with pytest.raises(TooLarge, match=r"^This file is over 600 kB; the limit is 600 kB per file\.$"):
        async with db.uow(jane.actor.account_id) as uow:
            await service.attach(uow, jane.actor, session_id, step_id, _Uncounted(b"x" * MB), limits)
    assert _count(admin_conn) == (0, 0)

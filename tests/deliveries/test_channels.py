"""Outbound channel clients against local servers that speak each vendor's API over real sockets."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from standardwebhooks import Webhook

from relaydesk.deliveries.email import SmtpConfig, send_email
from relaydesk.deliveries.slack import post_slack, slack_escalation_message
from relaydesk.deliveries.teams import post_teams, teams_escalation_card
from relaydesk.deliveries.webhook import generate_secret, post_webhook, sign
from relaydesk.outbound.outcome import (
    DeliveryFailed,
    Sent,
    is_retryable_status,
    parse_retry_after,
    send_request,
)
from tests.fakes.server import LocalServer, free_port, serving
from tests.fakes.slack import FakeSlack, block_errors
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import FakeTeams, card_errors
from tests.fakes.webhook_receiver import FakeWebhookReceiver

ESCALATION: dict[str, Any] = {
    "title": "VPN drops every 10 minutes",
    "problem": "Client's VPN <AnyConnect> drops & reconnects; tried reinstalling.",
    "client": "Contoso Ltd",
    "ticket": "4711",
    "priority": "High",
    "escalator": "Sam Tech",
    "likely_cause": "MTU mismatch on the new firewall",
    "url": "https://relaydesk.example/handoffs/42",
}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
async def impatient() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.3) as client:
        yield client


Served = TypeVar("Served", bound=LocalServer[Any])


def _fresh(server: Served) -> Served:
    server.app.reset()
    server.start()  # a test may have stopped it
    return server


# -- outcome ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (409, False),
        (410, False),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_status_retryability(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


def test_retry_after_delta_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 7 ") == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0  # already past
    for nothing in (None, "", "-3", "soon", "Mon, 99 Foo 2026"):
        assert parse_retry_after(nothing, now=now) is None


async def test_transport_errors_are_retryable_and_readable(http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryFailed) as refused:
        await send_request(http, "Slack", "POST", f"http://127.0.0.1:{free_port()}/x")
    assert refused.value.retryable and refused.value.status is None
    assert refused.value.message == "Slack could not be reached: connection refused (is it down?)"

    with pytest.raises(DeliveryFailed) as bad_url:
        await send_request(http, "Slack", "POST", "ftp://example.test/hook")
    assert not bad_url.value.retryable


async def test_tls_handshake_failure_is_retryable(http: httpx.AsyncClient) -> None:
    fake = FakeSlack()
    with serving(fake) as server:
        https_url = server.url.replace("http://", "https://") + "/services/a/b/c"
        with pytest.raises(DeliveryFailed) as failed:
            await send_request(http, "Slack", "POST", https_url, json={})
    assert failed.value.retryable
    assert failed.value.message.startswith("TLS handshake with Slack failed")


# -- Slack -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slack_server() -> Iterator[LocalServer[FakeSlack]]:
    with serving(FakeSlack()) as server:
        yield server


@pytest.fixture
def slack(slack_server: LocalServer[FakeSlack]) -> LocalServer[FakeSlack]:
    return _fresh(slack_server)


def test_slack_message_is_valid_block_kit_and_escaped() -> None:
    message = slack_escalation_message(**ESCALATION)
    assert block_errors(message["blocks"]) == []
    assert [block["type"] for block in message["blocks"]] == [
        "header",
        "section",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert message["blocks"][0]["text"]["text"] == "VPN drops every 10 minutes"
    problem = message["blocks"][1]["text"]["text"]
    assert problem == "Client's VPN &lt;AnyConnect&gt; drops &amp; reconnects; tried reinstalling."
    fields = [field["text"] for field in message["blocks"][2]["fields"]]
    assert fields == [
        "*Client*\nContoso Ltd",
        "*Ticket*\n4711",
        "*Priority*\nHigh",
        "*Escalated by*\nSam Tech",
    ]
    button = message["blocks"][-1]["elements"][0]
    assert button["url"] == ESCALATION["url"] and button["text"]["text"] == "Open handoff"
    assert "VPN drops every 10 minutes" in message["text"] and "Contoso Ltd" in message["text"]


def test_slack_message_keeps_within_block_kit_limits() -> None:
    sparse = {"client": None, "ticket": None, "priority": None, "likely_cause": None}
    message = slack_escalation_message(**{**ESCALATION, **sparse, "title": "T" * 400, "problem": "<" * 5000})
    assert block_errors(message["blocks"]) == []
    assert len(message["blocks"][0]["text"]["text"]) == 150
    problem = message["blocks"][1]["text"]["text"]
    assert len(problem) <= 3000 and problem.endswith("&lt;…")
    assert [field["text"] for field in message["blocks"][2]["fields"]] == ["*Escalated by*\nSam Tech"]
    assert "Likely cause" not in str(message["blocks"])


async def test_slack_post_succeeds(slack: LocalServer[FakeSlack], http: httpx.AsyncClient) -> None:
    sent = await post_slack(
        slack.app.hook_url(slack.url), slack_escalation_message(**ESCALATION), client=http
    )
    assert sent == Sent(external_id=None, detail="Slack accepted the message")
    assert slack.app.messages[0]["blocks"][0]["type"] == "header"
    assert slack.app.requests[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("state", "status", "explanation"),
    [
        ("channel_not_found", 404, "the webhook's channel no longer exists"),
        ("channel_is_archived", 410, "the webhook's channel is archived"),
        ("action_prohibited", 403, "restricted posting"),
    ],
)
async def test_slack_channel_errors_are_final(
    slack: LocalServer[FakeSlack], http: httpx.AsyncClient, state: Any, status: int, explanation: str
) -> None:
    slack.app.set_channel(state)
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert not failed.value.retryable and failed.value.status == status
    assert failed.value.message.startswith(f"Slack answered {status} {state}: ")
    assert explanation in failed.value.message
    assert "s3cr3t" not in failed.value.message  # the webhook URL is the credential


async def test_slack_channel_not_found_message(
    slack: LocalServer[FakeSlack], http: httpx.AsyncClient
) -> None:
    slack.app.set_channel("channel_not_found")
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert (
        failed.value.message == "Slack answered 404 channel_not_found: the webhook's channel no longer exists"
    )


async def test_slack_rejects_bad_payload_and_blocks(
    slack: LocalServer[FakeSlack], http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as payload:
        await post_slack(slack.app.hook_url(slack.url), {}, client=http)
    assert not payload.value.retryable and "invalid_payload" in payload.value.message

    too_long = {
        "text": "x",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
    }
    with pytest.raises(DeliveryFailed) as blocks:
        await post_slack(slack.app.hook_url(slack.url), too_long, client=http)
    assert not blocks.value.retryable and blocks.value.status == 400
    assert blocks.value.message.startswith("Slack answered 400 invalid_blocks: ")


async def test_slack_unknown_webhook(slack: LocalServer[FakeSlack], http: httpx.AsyncClient) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.url + "/services/T0/B0/revoked", {"text": "hi"}, client=http)
    assert not failed.value.retryable and "no_service" in failed.value.message


async def test_slack_rollup_error_is_retryable(
    slack: LocalServer[FakeSlack], http: httpx.AsyncClient
) -> None:
    slack.app.fail_next(status=500, body="rollup_error")
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert failed.value.retryable and failed.value.status == 500
    assert failed.value.message == "Slack answered 500 rollup_error: Slack had an internal error"
    await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)  # next one passes


async def test_slack_rate_limit_carries_retry_after(
    slack: LocalServer[FakeSlack], http: httpx.AsyncClient
) -> None:
    slack.app.fail_next(status=429, body="rate_limited", retry_after="30")
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert failed.value.retryable and failed.value.retry_after == 30 and failed.value.status == 429
    assert "wait 30 s" in failed.value.message

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    slack.app.fail_next(status=429, body="", retry_after=when)
    with pytest.raises(DeliveryFailed) as dated:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert dated.value.retry_after is not None and 100 < dated.value.retry_after <= 120


async def test_slack_down_then_back(slack: LocalServer[FakeSlack], http: httpx.AsyncClient) -> None:
    url = slack.app.hook_url(slack.url)
    slack.stop()
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(url, {"text": "hi"}, client=http)
    assert failed.value.retryable and "connection refused" in failed.value.message
    slack.start()
    assert (await post_slack(url, {"text": "hi"}, client=http)).detail == "Slack accepted the message"


async def test_slack_timeout(slack: LocalServer[FakeSlack], impatient: httpx.AsyncClient) -> None:
    slack.app.hang_next()
    with pytest.raises(DeliveryFailed) as failed:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=impatient)
    assert failed.value.retryable and failed.value.message == "Slack did not answer within the timeout"


async def test_slack_malformed_replies(slack: LocalServer[FakeSlack], http: httpx.AsyncClient) -> None:
    slack.app.malformed_next(kind="truncated")
    with pytest.raises(DeliveryFailed) as truncated:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert truncated.value.retryable and truncated.value.message.startswith("Slack sent a malformed reply")

    slack.app.malformed_next(kind="garbage")
    with pytest.raises(DeliveryFailed) as garbage:
        await post_slack(slack.app.hook_url(slack.url), {"text": "hi"}, client=http)
    assert garbage.value.retryable and "200 but not `ok`" in garbage.value.message


# -- Teams -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def teams_server() -> Iterator[LocalServer[FakeTeams]]:
    with serving(FakeTeams()) as server:
        yield server


@pytest.fixture
def teams(teams_server: LocalServer[FakeTeams]) -> LocalServer[FakeTeams]:
    return _fresh(teams_server)


def test_teams_card_shape() -> None:
    message = teams_escalation_card(**ESCALATION)
    attachment = message["attachments"][0]
    assert message["type"] == "message"
    assert "contentUrl" in attachment and attachment["contentUrl"] is None
    assert card_errors(attachment) == []
    card = attachment["content"]
    assert card["version"] == "1.4"
    facts = next(element for element in card["body"] if element["type"] == "FactSet")["facts"]
    assert {"title": "Client", "value": "Contoso Ltd"} in facts
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open handoff", "url": ESCALATION["url"]}]


async def test_teams_workflow_accepts(teams: LocalServer[FakeTeams], http: httpx.AsyncClient) -> None:
    sent = await post_teams(
        teams.app.workflow_url(teams.url), teams_escalation_card(**ESCALATION), client=http
    )
    assert sent.detail == "Teams accepted the message"
    assert teams.app.messages[0]["attachments"][0]["contentUrl"] is None
    assert teams.app.card_errors == []


async def test_teams_legacy_connector_answering_1(
    teams: LocalServer[FakeTeams], http: httpx.AsyncClient
) -> None:
    sent = await post_teams(teams.app.legacy_url(teams.url), teams_escalation_card(**ESCALATION), client=http)
    assert sent.detail == "Teams accepted the message"


async def test_teams_schema_mismatch_is_final(teams: LocalServer[FakeTeams], http: httpx.AsyncClient) -> None:
    message = teams_escalation_card(**ESCALATION)
    del message["attachments"][0]["contentUrl"]
    with pytest.raises(DeliveryFailed) as failed:
        await post_teams(teams.app.workflow_url(teams.url), message, client=http)
    assert not failed.value.retryable and failed.value.status == 400
    assert failed.value.message.startswith("Teams answered 400 TriggerInputSchemaMismatch: ")
    assert "contentUrl" in failed.value.message
    assert "sig=" not in failed.value.message


async def test_teams_wrong_signature(teams: LocalServer[FakeTeams], http: httpx.AsyncClient) -> None:
    url = teams.app.workflow_url(teams.url).replace("sig=", "sig=x")
    with pytest.raises(DeliveryFailed) as failed:
        await post_teams(url, teams_escalation_card(**ESCALATION), client=http)
    assert not failed.value.retryable and "DirectApiAuthorizationRequired" in failed.value.message


async def test_teams_legacy_error_in_200_body(teams: LocalServer[FakeTeams], http: httpx.AsyncClient) -> None:
    teams.app.fail_next(
        status=200,
        body="Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429",
    )
    with pytest.raises(DeliveryFailed) as failed:
        await post_teams(teams.app.legacy_url(teams.url), {"text": "x"}, client=http)
    assert failed.value.retryable and failed.value.message.startswith("Teams answered 200 with an error")


@pytest.mark.parametrize("status", [429, 502])
async def test_teams_transient_statuses(
    teams: LocalServer[FakeTeams], http: httpx.AsyncClient, status: int
) -> None:
    teams.app.fail_next(
        status=status, body={"error": {"code": "Throttled", "message": "slow down"}}, retry_after="12"
    )
    with pytest.raises(DeliveryFailed) as failed:
        await post_teams(teams.app.workflow_url(teams.url), teams_escalation_card(**ESCALATION), client=http)
    assert failed.value.retryable and failed.value.retry_after == 12
    assert failed.value.message == f"Teams answered {status} Throttled: slow down"


async def test_teams_down_slow_and_garbled(
    teams: LocalServer[FakeTeams], http: httpx.AsyncClient, impatient: httpx.AsyncClient
) -> None:
    url, card = teams.app.workflow_url(teams.url), teams_escalation_card(**ESCALATION)
    teams.app.hang_next()
    with pytest.raises(DeliveryFailed) as slow:
        await post_teams(url, card, client=impatient)
    assert slow.value.retryable and "did not answer" in slow.value.message

    teams.app.malformed_next()
    with pytest.raises(DeliveryFailed) as garbled:
        await post_teams(url, card, client=http)
    assert garbled.value.retryable and "malformed" in garbled.value.message

    teams.stop()
    with pytest.raises(DeliveryFailed) as down:
        await post_teams(url, card, client=http)
    assert down.value.retryable and "connection refused" in down.value.message


# -- signed webhooks -------------------------------------------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[LocalServer[FakeWebhookReceiver]]:
    with serving(FakeWebhookReceiver(SECRET)) as server:
        yield server


@pytest.fixture
def receiver(receiver_server: LocalServer[FakeWebhookReceiver]) -> LocalServer[FakeWebhookReceiver]:
    return _fresh(receiver_server)


def test_signature_matches_the_reference_library() -> None:
    body = b'{"type":"handoff.escalated","data":{"id":1}}'
    ours = sign(SECRET, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, body)
    theirs = Webhook(SECRET).sign(
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", datetime.fromtimestamp(1674087231, UTC), body.decode()
    )
    assert ours == theirs and ours.startswith("v1,")
    unpadded = SECRET.rstrip("=")
    assert sign(unpadded, "m", 1, b"x") == sign(SECRET, "m", 1, b"x")


def test_generated_secrets() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != generate_secret()
    Webhook(secret)  # the reference library accepts it


async def test_webhook_is_verified_by_standardwebhooks(
    receiver: LocalServer[FakeWebhookReceiver], http: httpx.AsyncClient
) -> None:
    payload = {"handoff_id": "h-1", "title": "VPN drops", "note": "naïve – ünïcode"}
    sent = await post_webhook(
        receiver.app.url(receiver.url),
        SECRET,
        msg_id="delivery-7f3a",
        event_type="handoff.escalated",
        payload=payload,
        client=http,
    )
    assert sent.external_id == "delivery-7f3a"
    assert receiver.app.rejected == []
    event = receiver.app.events[0]
    assert event["type"] == "handoff.escalated" and event["data"] == payload
    headers = receiver.app.requests[0].headers
    assert headers["webhook-id"] == "delivery-7f3a"
    assert headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,")


async def test_webhook_retry_keeps_id_so_receiver_dedupes(
    receiver: LocalServer[FakeWebhookReceiver], http: httpx.AsyncClient
) -> None:
    for _ in range(2):
        await post_webhook(
            receiver.app.url(receiver.url),
            SECRET,
            msg_id="delivery-same",
            event_type="handoff.claimed",
            payload={"n": 1},
            client=http,
        )
    assert len(receiver.app.requests) == 2 and len(receiver.app.events) == 1
    assert {r.headers["webhook-id"] for r in receiver.app.requests} == {"delivery-same"}


async def test_webhook_wrong_secret_is_refused_by_receiver(
    receiver: LocalServer[FakeWebhookReceiver], http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await post_webhook(
            receiver.app.url(receiver.url),
            generate_secret(),
            msg_id="d-1",
            event_type="handoff.claimed",
            payload={},
            client=http,
        )
    assert not failed.value.retryable and failed.value.status == 401
    assert receiver.app.rejected == ["No matching signature found"]


async def test_webhook_unusable_secret_sends_nothing(
    receiver: LocalServer[FakeWebhookReceiver], http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await post_webhook(
            receiver.app.url(receiver.url), "whsec_!!!", msg_id="d", event_type="t", payload={}, client=http
        )
    assert not failed.value.retryable and "!!!" not in failed.value.message
    assert receiver.app.requests == []


@pytest.mark.parametrize(
    ("status", "retryable", "fragment"),
    [
        (503, True, "Service Unavailable"),
        (410, False, "Gone"),
        (301, False, "redirects"),
        (400, False, "nope"),
    ],
)
async def test_webhook_statuses(
    receiver: LocalServer[FakeWebhookReceiver],
    http: httpx.AsyncClient,
    status: int,
    retryable: bool,
    fragment: str,
) -> None:
    receiver.app.fail_next(
        status=status, body="nope", retry_after="5", headers={"location": "https://elsewhere"}
    )
    with pytest.raises(DeliveryFailed) as failed:
        await post_webhook(
            receiver.app.url(receiver.url), SECRET, msg_id="d", event_type="t", payload={}, client=http
        )
    assert failed.value.retryable is retryable and failed.value.status == status
    assert fragment in failed.value.message
    if retryable:
        assert failed.value.retry_after == 5


async def test_webhook_endpoint_down_and_slow(
    receiver: LocalServer[FakeWebhookReceiver], impatient: httpx.AsyncClient
) -> None:
    url = receiver.app.url(receiver.url)
    receiver.app.hang_next()
    with pytest.raises(DeliveryFailed) as slow:
        await post_webhook(url, SECRET, msg_id="d", event_type="t", payload={}, client=impatient)
    assert slow.value.retryable
    receiver.stop()
    with pytest.raises(DeliveryFailed) as down:
        await post_webhook(url, SECRET, msg_id="d", event_type="t", payload={}, client=impatient)
    assert down.value.retryable and "connection refused" in down.value.message


# -- email -----------------------------------------------------------------------------------

SMTP_USER, SMTP_PASSWORD = "relay@example.test", "correct horse"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[FakeSmtp]:
    with FakeSmtp(users={SMTP_USER: SMTP_PASSWORD}) as server:
        yield server


@pytest.fixture
def smtp(smtp_server: FakeSmtp) -> FakeSmtp:
    smtp_server.reset()
    smtp_server.start()
    return smtp_server


def _config(smtp: FakeSmtp, *, password: str = SMTP_PASSWORD, query: str = "starttls=0") -> SmtpConfig:
    return SmtpConfig.from_url(smtp.url(user=SMTP_USER, password=password, query=query))


def test_smtp_urls() -> None:
    plain = SmtpConfig.from_url(
        "smtp://mailer%40acme.test:p%40ss%3Aw0rd@mail.acme.test:2525?starttls=1&timeout=5"
    )
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.acme.test",
        2525,
        "mailer@acme.test",
        "p@ss:w0rd",
    )
    assert plain.start_tls is True and plain.use_tls is False and plain.timeout == 5
    assert "p@ss" not in repr(plain)

    assert SmtpConfig.from_url("smtps://u:p@mail.acme.test").port == 465
    assert SmtpConfig.from_url("smtps://u:p@mail.acme.test").use_tls is True
    assert SmtpConfig.from_url("smtp+starttls://mail.acme.test").port == 587
    assert SmtpConfig.from_url("smtp://mail.acme.test").start_tls is None  # opportunistic
    assert SmtpConfig.from_url("smtp://mail.acme.test?starttls=0").start_tls is False
    assert SmtpConfig.from_url("smtp://relay.local?verify=0").validate_certs is False
    for bad in ("http://mail.acme.test", "smtp://", "smtps://h?starttls=1", "smtp://h?starttls=maybe"):
        with pytest.raises(ValueError):
            SmtpConfig.from_url(bad)


async def test_email_is_multipart_alternative(smtp: FakeSmtp) -> None:
    sent = await send_email(
        _config(smtp),
        sender="Relaydesk <relaydesk@acme.test>",
        to=["senior@acme.test", "lead@acme.test"],
        subject="Escalation: VPN drops\r\nBcc: victim@evil.test",
        text="The VPN drops every 10 minutes.",
        html="<p>The VPN drops <b>every 10 minutes</b>.</p>",
        message_id="<delivery-91@relaydesk.acme.test>",
    )
    assert sent.external_id == "<delivery-91@relaydesk.acme.test>"
    assert "2 recipient(s)" in sent.detail
    mail = smtp.messages[0]
    assert mail.login == SMTP_USER
    assert mail.rcpt_tos == ["senior@acme.test", "lead@acme.test"]
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Escalation: VPN drops Bcc: victim@evil.test"  # no header injection
    assert message["Bcc"] is None
    assert message["Message-ID"] == "<delivery-91@relaydesk.acme.test>"
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert parts["text/plain"].strip() == "The VPN drops every 10 minutes."
    assert "<b>every 10 minutes</b>" in parts["text/html"]


async def test_email_text_only_and_partial_refusal(smtp: FakeSmtp) -> None:
    smtp.unknown_recipients.add("gone@acme.test")
    sent = await send_email(
        _config(smtp),
        sender="relaydesk@acme.test",
        to=["ok@acme.test", "gone@acme.test"],
        subject="s",
        text="t",
        html=None,
    )
    assert "refused: gone@acme.test (550)" in sent.detail
    assert sent.external_id and sent.external_id.endswith("@acme.test>")
    assert smtp.messages[0].message.get_content_type() == "text/plain"

    again = await send_email(
        _config(smtp),
        sender="relaydesk@acme.test",
        to="ok@acme.test",
        subject="s",
        text="t",
        html=None,
        message_id="delivery-92@relaydesk.acme.test",
    )
    assert again.external_id == "<delivery-92@relaydesk.acme.test>"


async def test_email_wrong_password_is_final(smtp: FakeSmtp) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await send_email(
            _config(smtp, password="wrong-Pa55"),
            sender="r@acme.test",
            to="x@acme.test",
            subject="s",
            text="t",
            html=None,
        )
    assert not failed.value.retryable and failed.value.status == 535
    assert "check the SMTP user and password" in failed.value.message
    assert "wrong-Pa55" not in failed.value.message


@pytest.mark.parametrize(
    ("stage", "code", "retryable"),
    [
        ("RCPT", 450, True),
        ("RCPT", 550, False),
        ("DATA", 451, True),
        ("DATA", 554, False),
        ("MAIL", 421, True),
    ],
)
async def test_email_smtp_replies(smtp: FakeSmtp, stage: Any, code: int, retryable: bool) -> None:
    smtp.fail_next(stage, code, "4.0.0 computer says no" if code < 500 else "5.0.0 computer says no")
    with pytest.raises(DeliveryFailed) as failed:
        await send_email(
            _config(smtp), sender="r@acme.test", to="x@acme.test", subject="s", text="t", html=None
        )
    assert failed.value.retryable is retryable and failed.value.status == code
    assert "computer says no" in failed.value.message


async def test_email_server_down_then_back(smtp: FakeSmtp) -> None:
    config = _config(smtp)
    smtp.stop()
    with pytest.raises(DeliveryFailed) as failed:
        await send_email(config, sender="r@acme.test", to="x@acme.test", subject="s", text="t", html=None)
    assert failed.value.retryable and "could not be reached" in failed.value.message
    smtp.start()
    await send_email(config, sender="r@acme.test", to="x@acme.test", subject="s", text="t", html=None)
    assert len(smtp.messages) == 1


async def test_email_timeout(smtp: FakeSmtp) -> None:
    smtp.hang_next(3)
    with pytest.raises(DeliveryFailed) as failed:
        await send_email(
            _config(smtp, query="starttls=0&timeout=0.3"),
            sender="r@acme.test",
            to="x@acme.test",
            subject="s",
            text="t",
            html=None,
        )
    assert failed.value.retryable and "did not answer within 0.3 s" in failed.value.message


async def test_email_tls_settings_the_server_cannot_meet(smtp: FakeSmtp) -> None:
    with pytest.raises(DeliveryFailed) as implicit:
        await send_email(
            SmtpConfig.from_url(f"smtps://127.0.0.1:{smtp.port}?timeout=2"),
            sender="r@acme.test",
            to="x@acme.test",
            subject="s",
            text="t",
            html=None,
        )
    assert implicit.value.retryable

    with pytest.raises(DeliveryFailed) as required:
        await send_email(
            _config(smtp, query="starttls=1"),
            sender="r@acme.test",
            to="x@acme.test",
            subject="s",
            text="t",
            html=None,
        )
    assert not required.value.retryable and "Settings → Integrations" in required.value.message

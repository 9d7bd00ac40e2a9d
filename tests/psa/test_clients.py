"""PSA clients against local servers that speak ConnectWise, Autotask and HaloPSA over real sockets."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa import autotask
from relaydesk.psa.autotask import AutotaskClient
from relaydesk.psa.base import (
    AutotaskConfig,
    ConnectWiseConfig,
    HaloPsaConfig,
    NoteRef,
    PsaClient,
    TicketInfo,
    add_note_once,
    marker_token,
)
from relaydesk.psa.clients import make_psa_client
from relaydesk.psa.connectwise import ConnectWiseClient
from relaydesk.psa.halopsa import HaloPsaClient
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer
from tests.psa.vendors import MARKER, NOTE, Clock, at_config, cw_config, halo_client, secret_free


def test_marker_tokens_are_bracketed_and_narrow() -> None:
    assert marker_token(MARKER) == f"[{MARKER}]"
    for bad in ("", 'x" or 1=1', "a b", "<b>", "x" * 200):
        with pytest.raises(ValueError):
            marker_token(bad)


# -- ConnectWise -----------------------------------------------------------------------------


def test_connectwise_config() -> None:
    config = ConnectWiseConfig("api-na.myconnectwise.net", "acme", "pub", "priv", "cid")
    assert config.api_base == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/"
    assert "priv" not in repr(config) and "cid" not in repr(config)


async def test_connectwise_internal_note(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    ref = await client.add_note("4711", NOTE, internal=True, marker=MARKER)
    stored = cw_fake.app.notes[4711][-1]
    assert ref == NoteRef(str(stored["id"]))
    assert stored["internalAnalysisFlag"] is True and stored["detailDescriptionFlag"] is False
    assert stored["text"].startswith(NOTE) and stored["text"].endswith(f"[{MARKER}]")
    request = cw_fake.app.requests_to("/notes", "POST")[0]
    expected = base64.b64encode(f"{cw.COMPANY}+{cw.PUBLIC_KEY}:{cw.PRIVATE_KEY}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["clientid"] == cw.CLIENT_ID


async def test_connectwise_public_note(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    await ConnectWiseClient(cw_config(cw_fake), client=http).add_note(
        "#4711", NOTE, internal=False, marker=MARKER
    )
    assert cw_fake.app.notes[4711][-1]["detailDescriptionFlag"] is True


async def test_connectwise_fake_requires_a_flag(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    response = await http.post(
        f"{cw_config(cw_fake).api_base}service/tickets/4711/notes",
        json={
            "text": "x",
            "detailDescriptionFlag": False,
            "internalAnalysisFlag": False,
            "resolutionFlag": False,
        },
        headers=client._headers,
    )
    assert response.status_code == 400 and response.json()["code"] == "InvalidObject"


async def test_connectwise_invalid_object_is_readable(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    cw_fake.app.fail_next(
        status=400,
        body={
            "code": "InvalidObject",
            "message": "serviceNote object is invalid",
            "errors": [{"code": "InvalidObject", "message": "At least one flag must be true", "field": "x"}],
        },
    )
    with pytest.raises(DeliveryFailed) as failed:
        await ConnectWiseClient(cw_config(cw_fake), client=http).add_note(
            "4711", NOTE, internal=True, marker=MARKER
        )
    assert not failed.value.retryable and failed.value.status == 400
    assert failed.value.message == (
        "ConnectWise answered 400 InvalidObject: ConnectWise rejected the note "
        "(serviceNote object is invalid; At least one flag must be true)"
    )


async def test_connectwise_bad_keys(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake, private_key="Wr0ngPrivate"), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("4711", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 401
    assert "check the API keys in Settings → Integrations" in failed.value.message
    secret_free(failed.value, "Wr0ngPrivate", cw.PUBLIC_KEY)

    wrong_client = ConnectWiseClient(cw_config(cw_fake, client_id="not-registered"), client=http)
    with pytest.raises(DeliveryFailed) as client_id:
        await wrong_client.get_ticket("4711")
    assert not client_id.value.retryable and "clientId was refused" in client_id.value.message
    secret_free(client_id.value, "not-registered")


async def test_connectwise_unknown_ticket(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("123", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 404
    assert failed.value.message == "Ticket 123 not found in ConnectWise (404)"
    with pytest.raises(DeliveryFailed) as not_a_number:
        await client.add_note("12; DROP", NOTE, internal=True, marker=MARKER)
    assert not not_a_number.value.retryable and cw_fake.app.requests_to("12;") == []


async def test_connectwise_get_ticket(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    assert await client.get_ticket("4711") == TicketInfo(
        ticket_id="4711",
        summary="Outlook keeps asking for the password",
        company="Contoso Ltd",
        priority="Priority 2 - High",
        details="Since Monday, Outlook prompts every few minutes.",
    )
    assert await client.get_ticket("999") is None
    assert await client.get_ticket("abc") is None


async def test_connectwise_find_note_by_conditions(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    cw_fake.app.add_existing_note(4711, f"older\n\n[{MARKER}0]")  # a marker that merely starts the same
    assert await client.find_note("4711", MARKER) is None
    ref = await client.add_note("4711", NOTE, internal=True, marker=MARKER)
    assert await client.find_note("4711", MARKER) == ref
    lookup = cw_fake.app.requests_to("/notes", "GET")[-1]
    assert lookup.query["conditions"] == f'text contains "{MARKER}"'


async def test_connectwise_find_note_pages_without_conditions(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    cw_fake.app.reject_conditions = 400
    target = cw_fake.app.add_existing_note(4711, f"the one\n\n[{MARKER}]", internalAnalysisFlag=True)
    for number in range(150):
        cw_fake.app.add_existing_note(4711, f"chatter {number}", detailDescriptionFlag=True)
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    assert await client.find_note("4711", MARKER) == NoteRef(str(target["id"]))
    pages = [r.query.get("page") for r in cw_fake.app.requests_to("/notes", "GET")]
    assert pages == [None, "1", "2"]  # the refused conditions query, then two pages


async def test_connectwise_add_note_once(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    first = await add_note_once(client, "4711", NOTE, internal=True, marker=MARKER)
    again = await add_note_once(client, "4711", NOTE, internal=True, marker=MARKER)
    assert again == NoteRef(first.external_id, existing=True) and not first.existing
    assert len(cw_fake.app.requests_to("/notes", "POST")) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_connectwise_transient(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient, status: int
) -> None:
    cw_fake.app.fail_next(
        status=status, body={"code": "TooBusy", "message": "Try again later"}, retry_after="9"
    )
    with pytest.raises(DeliveryFailed) as failed:
        await ConnectWiseClient(cw_config(cw_fake), client=http).add_note(
            "4711", NOTE, internal=True, marker=MARKER
        )
    assert failed.value.retryable and failed.value.retry_after == 9 and failed.value.status == status
    assert failed.value.message == f"ConnectWise answered {status} TooBusy: Try again later"


async def test_connectwise_down_slow_garbled(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient, impatient: httpx.AsyncClient
) -> None:
    cw_fake.app.hang_next()
    with pytest.raises(DeliveryFailed) as slow:
        await ConnectWiseClient(cw_config(cw_fake), client=impatient).get_ticket("4711")
    assert slow.value.retryable and slow.value.message == "ConnectWise did not answer within the timeout"

    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    cw_fake.app.malformed_next(kind="garbage")
    with pytest.raises(DeliveryFailed) as garbage:
        await client.add_note("4711", NOTE, internal=True, marker=MARKER)
    assert garbage.value.retryable and "not JSON" in garbage.value.message

    cw_fake.app.malformed_next(kind="truncated")
    with pytest.raises(DeliveryFailed) as truncated:
        await client.get_ticket("4711")
    assert truncated.value.retryable and "malformed" in truncated.value.message

    cw_fake.stop()
    with pytest.raises(DeliveryFailed) as down:
        await client.add_note("4711", NOTE, internal=True, marker=MARKER)
    assert down.value.retryable and "connection refused" in down.value.message


# -- Autotask --------------------------------------------------------------------------------


async def test_autotask_note_and_cached_zone(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    ref = await AutotaskClient(at_config(at_fake), client=http).add_note(
        "81234", NOTE, internal=True, marker=MARKER
    )
    await AutotaskClient(at_config(at_fake), client=http).add_note("81234", NOTE, internal=False, marker="m2")
    internal, public = at_fake.app.notes[81234]
    assert ref == NoteRef(str(internal["id"]))
    assert internal["title"] == "Escalated to the network team."
    assert internal["description"].endswith(f"[{MARKER}]")
    assert (internal["noteType"], internal["publish"], public["publish"]) == (1, 2, 1)
    post = at_fake.app.requests_to("/Notes", "POST")[0]
    assert post.path == "/zone5/atservicesrest/V1.0/Tickets/81234/Notes"
    assert post.body["ticketID"] == 81234
    assert (post.headers["apiintegrationcode"], post.headers["username"], post.headers["secret"]) == (
        at.INTEGRATION_CODE,
        at.USER,
        at.SECRET,
    )
    lookups = at_fake.app.requests_to("zoneInformation")
    assert len(lookups) == 1 and lookups[0].query == {"user": at.USER}
    assert "secret" not in lookups[0].headers  # the zone lookup needs no credentials


async def test_autotask_fake_refuses_root_ticketnotes(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    response = await http.post(at_fake.url + "/zone5/atservicesrest/V1.0/TicketNotes", json={})
    assert response.status_code == 404


async def test_autotask_get_ticket(at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient) -> None:
    client = AutotaskClient(at_config(at_fake), client=http)
    assert await client.get_ticket("81234") == TicketInfo(
        ticket_id="81234",
        summary="Printer on 3rd floor offline",
        company="Fabrikam Inc.",
        priority="High",
        details="Nobody on the 3rd floor can print since the switch was replaced.",
    )


@pytest.mark.parametrize("style", ["404", "null"])
async def test_autotask_unknown_ticket(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient, style: Any
) -> None:
    at_fake.app.unknown_ticket = style
    client = AutotaskClient(at_config(at_fake), client=http)
    assert await client.get_ticket("5") is None
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("5", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.message == "Ticket 5 not found in Autotask (404)"


async def test_autotask_find_note_follows_pages(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    at_fake.app.page_size = 2
    for number in range(4):
        at_fake.app.add_existing_note(81234, f"note {number}")
    target = at_fake.app.add_existing_note(81234, f"ours\n\n[{MARKER}]")
    client = AutotaskClient(at_config(at_fake), client=http)
    assert await client.find_note("81234", MARKER) == NoteRef(str(target["id"]))
    assert await client.find_note("81234", "relaydesk:other") is None
    assert len(at_fake.app.requests_to("/Notes", "GET")) == 6  # three pages, twice


async def test_autotask_bad_credentials(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    client = AutotaskClient(at_config(at_fake, secret="Wr0ngSecret"), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("81234", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 401
    assert "check the API keys in Settings → Integrations" in failed.value.message
    secret_free(failed.value, "Wr0ngSecret", at.INTEGRATION_CODE)


async def test_autotask_unknown_api_user(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    client = AutotaskClient(at_config(at_fake, username="nobody@acme.example"), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.get_ticket("81234")
    assert (
        not failed.value.retryable
        and "does not know the API user 'nobody@acme.example'" in failed.value.message
    )


async def test_autotask_picklist_settings_rejected(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    client = AutotaskClient(at_config(at_fake, note_type=9), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("81234", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 500
    assert "Value 9 for field noteType is not a valid picklist value" in failed.value.message


@pytest.mark.parametrize(
    ("status", "fragment"), [(500, "Database timeout"), (429, "hourly request threshold")]
)
async def test_autotask_transient(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient, status: int, fragment: str
) -> None:
    at_fake.app.fail_next(
        status=status, body={"errors": ["Database timeout"]}, retry_after="60", only="/Notes"
    )
    with pytest.raises(DeliveryFailed) as failed:
        await AutotaskClient(at_config(at_fake), client=http).add_note(
            "81234", NOTE, internal=True, marker=MARKER
        )
    assert failed.value.retryable and failed.value.retry_after == 60 and fragment in failed.value.message


async def test_autotask_down_slow_garbled(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient, impatient: httpx.AsyncClient
) -> None:
    at_fake.app.hang_next(only="/Notes")
    with pytest.raises(DeliveryFailed) as slow:
        await AutotaskClient(at_config(at_fake), client=impatient).find_note("81234", MARKER)
    assert slow.value.retryable and "did not answer" in slow.value.message

    client = AutotaskClient(at_config(at_fake), client=http)
    at_fake.app.malformed_next(kind="garbage", only="/Tickets/")
    with pytest.raises(DeliveryFailed) as garbage:
        await client.get_ticket("81234")
    assert garbage.value.retryable and "not JSON" in garbage.value.message

    at_fake.stop()
    autotask.clear_zone_cache()
    with pytest.raises(DeliveryFailed) as down:
        await client.add_note("81234", NOTE, internal=True, marker=MARKER)
    assert down.value.retryable and "connection refused" in down.value.message


# -- HaloPSA ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reply_style", ["object", "array"])
async def test_halo_note(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock, reply_style: Any
) -> None:
    halo_fake.app.reply_style = reply_style
    ref = await halo_client(halo_fake, http, halo_clock).add_note(
        "3021", "a < b\nnext", internal=True, marker=MARKER
    )
    action = halo_fake.app.actions[-1]
    assert ref == NoteRef(str(action["id"]))
    posted = halo_fake.app.requests_to("/api/Actions", "POST")[0].body
    assert isinstance(posted, list) and len(posted) == 1
    assert posted[0] == {
        "ticket_id": 3021,
        "outcome": "Private Note",
        "note_html": f"a &lt; b<br>next<br><br>[{MARKER}]",
        "hiddenfromuser": True,
        "sendemail": False,
    }
    token_form = halo_fake.app.requests_to("/auth/token")[0].body
    assert token_form["scope"] == "all" and token_form["grant_type"] == "client_credentials"


async def test_halo_public_note(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    await halo_client(halo_fake, http, halo_clock).add_note("3021", NOTE, internal=False, marker=MARKER)
    assert halo_fake.app.actions[-1]["hiddenfromuser"] is False
    assert halo_fake.app.actions[-1]["outcome"] == "Public Note"


async def test_halo_fake_refuses_tokens_without_scope_all(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": halo.CLIENT_ID,
        "client_secret": halo.CLIENT_SECRET,
    }
    token = (await http.post(halo_fake.url + "/auth/token", data=form)).json()["access_token"]
    response = await http.get(
        halo_fake.url + "/api/Tickets/3021", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401

    token = (await http.post(halo_fake.url + "/auth/token", data={**form, "scope": "all"})).json()[
        "access_token"
    ]
    not_an_array = await http.post(
        halo_fake.url + "/api/Actions", json={"ticket_id": 3021}, headers={"Authorization": f"Bearer {token}"}
    )
    assert not_an_array.status_code == 400


async def test_halo_token_cached_then_renewed_before_expiry(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    client = halo_client(halo_fake, http, halo_clock)
    await client.get_ticket("3021")
    await client.find_note("3021", MARKER)
    assert halo_fake.app.token_requests() == 1
    halo_clock.now += 3600 - 30  # still valid for 30 s, inside the 60 s margin
    await client.get_ticket("3021")
    assert halo_fake.app.token_requests() == 2


async def test_halo_retries_once_on_401(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    client = halo_client(halo_fake, http, halo_clock)
    await client.get_ticket("3021")
    halo_fake.app.revoke_tokens()
    assert (await client.get_ticket("3021")) is not None
    assert halo_fake.app.token_requests() == 2
    assert len(halo_fake.app.requests_to("/api/Tickets/3021")) == 3


async def test_halo_gives_up_after_second_401(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.fail_next(2, status=401, only="/api/Actions")
    with pytest.raises(DeliveryFailed) as failed:
        await halo_client(halo_fake, http, halo_clock).add_note("3021", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 401
    assert "check the API keys in Settings → Integrations" in failed.value.message
    assert halo_fake.app.token_requests() == 2


async def test_halo_bad_client_secret(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    client = halo_client(halo_fake, http, halo_clock, client_secret="Wr0ngHaloSecret")
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("3021", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 400
    assert failed.value.message.startswith("HaloPSA refused the client id or secret (400 invalid_client)")
    secret_free(failed.value, "Wr0ngHaloSecret")
    assert halo_fake.app.requests_to("/api/Actions") == []


@pytest.mark.parametrize("list_style", ["object", "array"])
async def test_halo_find_note(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock, list_style: Any
) -> None:
    halo_fake.app.list_style = list_style
    halo_fake.app.add_existing_action(3021, "unrelated")
    client = halo_client(halo_fake, http, halo_clock)
    assert await client.find_note("3021", MARKER) is None
    ref = await add_note_once(client, "3021", NOTE, internal=True, marker=MARKER)
    assert await add_note_once(client, "3021", NOTE, internal=True, marker=MARKER) == NoteRef(
        ref.external_id, existing=True
    )
    assert halo_fake.app.requests_to("/api/Actions", "GET")[0].query["ticket_id"] == "3021"


async def test_halo_get_ticket(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    client = halo_client(halo_fake, http, halo_clock)
    assert await client.get_ticket("3021") == TicketInfo(
        ticket_id="3021",
        summary="New starter needs a laptop and accounts",
        company="Northwind Traders",
        priority="High",
        details="<p>Jane starts Monday.</p>",
    )
    assert await client.get_ticket("9999") is None
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("9999", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.message == "Ticket 9999 not found in HaloPSA (404)"


@pytest.mark.parametrize("status", [429, 500])
async def test_halo_transient(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock, status: int
) -> None:
    halo_fake.app.fail_next(status=status, body={"message": "Busy"}, retry_after="3", only="/api/Actions")
    with pytest.raises(DeliveryFailed) as failed:
        await halo_client(halo_fake, http, halo_clock).add_note("3021", NOTE, internal=True, marker=MARKER)
    assert failed.value.retryable and failed.value.retry_after == 3
    assert failed.value.message.endswith(": Busy")


async def test_halo_down_slow_garbled(
    halo_fake: LocalServer[halo.FakeHalo],
    http: httpx.AsyncClient,
    impatient: httpx.AsyncClient,
    halo_clock: Clock,
) -> None:
    halo_fake.app.hang_next(only="/auth/token")
    with pytest.raises(DeliveryFailed) as slow:
        await halo_client(halo_fake, impatient, halo_clock).get_ticket("3021")
    assert slow.value.retryable and slow.value.message == "HaloPSA did not answer within the timeout"

    client = halo_client(halo_fake, http, halo_clock)
    halo_fake.app.malformed_next(only="/api/Actions")
    with pytest.raises(DeliveryFailed) as truncated:
        await client.add_note("3021", NOTE, internal=True, marker=MARKER)
    assert truncated.value.retryable and "malformed" in truncated.value.message

    halo_fake.stop()
    with pytest.raises(DeliveryFailed) as down:
        await client.get_ticket("3021")
    assert down.value.retryable and "connection refused" in down.value.message


# -- the factory -----------------------------------------------------------------------------


async def test_make_psa_client(http: httpx.AsyncClient) -> None:
    configs: dict[str, Any] = {
        "connectwise": ConnectWiseConfig("site", "c", "p", "k", "id"),
        "autotask": AutotaskConfig("user", "secret", "code"),
        "halopsa": HaloPsaConfig.for_instance("https://acme.halopsa.com", "id", "secret"),
    }
    kinds = {"connectwise": ConnectWiseClient, "autotask": AutotaskClient, "halopsa": HaloPsaClient}
    for kind, config in configs.items():
        client = make_psa_client(kind, config, client=http)
        assert isinstance(client, kinds[kind]) and isinstance(client, PsaClient)
    with pytest.raises(ValueError):
        make_psa_client("autotask", configs["connectwise"], client=http)
    assert configs["halopsa"].auth_url == "https://acme.halopsa.com/auth"
    assert "secret" not in repr(configs["autotask"]) and "secret" not in repr(configs["halopsa"])

"""The corrections from comparing the PSA clients with the vendors' schemas and independent clients.

One section per point: the ConnectWise description, HaloPSA's note search and token endpoint,
Autotask's zone lookup and note paging, ConnectWise's search refusals; and the Autotask
integration's default zone lookup URL.
"""

from __future__ import annotations

import httpx
import pytest

from relaydesk.integrations.service import psa_config
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.autotask import AutotaskClient
from relaydesk.psa.base import AutotaskConfig, NoteRef, add_note_once
from relaydesk.psa.connectwise import PAGE_SIZE, ConnectWiseClient
from relaydesk.psa.halopsa import PAGE_SIZE as HALO_PAGE_SIZE
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer
from tests.psa.vendors import MARKER, NOTE, Clock, at_config, cw_config, halo_client

STOCK_ZONE_LOOKUP = "https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation"


# -- 1. ConnectWise: the ticket's description comes from its first description note ---------


async def test_connectwise_details_come_from_the_description_note(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    raw = await http.get(f"{cw_config(cw_fake).api_base}service/tickets/4711", headers=client._headers)
    assert "initialDescription" not in raw.json()  # "will not be returned in the response"

    # Later public notes carry detailDescriptionFlag too; the description is the first of them.
    cw_fake.app.add_existing_note(4711, "Customer called again", detailDescriptionFlag=True)
    await client.add_note("4711", NOTE, internal=False, marker=MARKER)
    ticket = await client.get_ticket("4711")
    assert ticket is not None and ticket.details == cw.DESCRIPTION
    lookup = cw_fake.app.requests_to("/notes", "GET")[-1]
    assert lookup.query["orderBy"] == "id asc"


async def test_connectwise_ticket_without_a_description(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    cw_fake.app.descriptions.clear()
    cw_fake.app.add_existing_note(4711, "internal only", internalAnalysisFlag=True)
    ticket = await ConnectWiseClient(cw_config(cw_fake), client=http).get_ticket("4711")
    assert ticket is not None and ticket.details is None and ticket.summary


async def test_connectwise_ticket_survives_a_failed_description_lookup(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    cw_fake.app.fail_next(status=503, body={"code": "Busy", "message": "later"}, only="/notes")
    ticket = await ConnectWiseClient(cw_config(cw_fake), client=http).get_ticket("4711")
    assert ticket is not None and ticket.details is None and ticket.company == "Contoso Ltd"


# -- 2. HaloPSA: the note search asks for the HTML and pages -----------------------------------


async def test_halo_fake_sends_no_note_text_unless_asked(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.add_existing_action(3021, f"ours\n\n[{MARKER}]")
    client = halo_client(halo_fake, http, halo_clock)
    token = await client._access_token()
    headers = {"Authorization": f"Bearer {token}"}
    plain = await http.get(f"{halo_fake.url}/api/Actions", params={"ticket_id": 3021}, headers=headers)
    assert "note_html" not in plain.json()["actions"][0]
    html = await http.get(
        f"{halo_fake.url}/api/Actions",
        params={"ticket_id": 3021, "includehtmlnote": "true"},
        headers=headers,
    )
    assert MARKER in html.json()["actions"][0]["note_html"]


@pytest.mark.parametrize("list_style", ["object", "array"])
async def test_halo_find_note_pages_past_the_default_count(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock, list_style: str
) -> None:
    halo_fake.app.list_style = list_style  # type: ignore[assignment]
    ours = halo_fake.app.add_existing_action(3021, f"ours\n\n[{MARKER}]")
    for number in range(HALO_PAGE_SIZE + 30):  # newer chatter pushes ours onto page two
        halo_fake.app.add_existing_action(3021, f"chatter {number}")
    client = halo_client(halo_fake, http, halo_clock)
    assert await client.find_note("3021", MARKER) == NoteRef(str(ours["id"]))
    again = await add_note_once(client, "3021", NOTE, internal=True, marker=MARKER)
    assert again == NoteRef(str(ours["id"]), existing=True)
    assert halo_fake.app.requests_to("/api/Actions", "POST") == []

    queries = [r.query for r in halo_fake.app.requests_to("/api/Actions", "GET")]
    assert [q["page_no"] for q in queries] == ["1", "2", "1", "2"]
    assert all(q["includehtmlnote"] == "true" and q["count"] == str(HALO_PAGE_SIZE) for q in queries)
    assert all(q["pageinate"] == "true" and q["page_size"] == str(HALO_PAGE_SIZE) for q in queries)


async def test_halo_find_note_stops_at_the_last_page(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    for number in range(HALO_PAGE_SIZE):  # exactly one full page: record_count says it is all
        halo_fake.app.add_existing_action(3021, f"chatter {number}")
    assert await halo_client(halo_fake, http, halo_clock).find_note("3021", MARKER) is None
    assert len(halo_fake.app.requests_to("/api/Actions", "GET")) == 1


# -- 3. HaloPSA: the token endpoint comes from /api/authinfo -----------------------------------


async def test_halo_token_endpoint_from_authinfo(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.auth_path = "/identity/auth"  # /auth/token would 404 here
    halo_fake.app.tenant_id = "acme"
    client = halo_client(halo_fake, http, halo_clock)
    assert await client.get_ticket("3021") is not None
    halo_clock.now += 3600  # the token expires; the endpoint is remembered
    assert await client.get_ticket("3021") is not None
    tokens = [r for r in halo_fake.app.requests if r.path.endswith("/token")]
    assert [(r.path, r.query) for r in tokens] == [("/identity/auth/token", {"tenant": "acme"})] * 2
    assert len(halo_fake.app.requests_to("/api/authinfo", "GET")) == 1


async def test_halo_configured_tenant_wins_over_authinfo(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.tenant_id = "acme"
    client = halo_client(halo_fake, http, halo_clock, tenant="other")
    with pytest.raises(DeliveryFailed):
        await client.get_ticket("3021")
    assert halo_fake.app.requests_to("/auth/token")[0].query == {"tenant": "other"}


async def test_halo_falls_back_to_auth_token_without_authinfo(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.authinfo = False
    client = halo_client(halo_fake, http, halo_clock)
    assert await client.get_ticket("3021") is not None
    halo_fake.app.revoke_tokens()
    assert await client.get_ticket("3021") is not None
    assert len(halo_fake.app.requests_to("/auth/token", "POST")) == 2
    assert len(halo_fake.app.requests_to("/api/authinfo")) == 1  # a 404 is remembered too


async def test_halo_authinfo_outage_is_asked_again(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    halo_fake.app.auth_path = "/identity/auth"
    halo_fake.app.fail_next(status=503, only="/api/authinfo")
    client = halo_client(halo_fake, http, halo_clock)
    with pytest.raises(DeliveryFailed):  # fell back to /auth/token, which this instance lacks
        await client.get_ticket("3021")
    assert await client.get_ticket("3021") is not None
    assert len(halo_fake.app.requests_to("/api/authinfo")) == 2


async def test_halo_secret_goes_to_no_foreign_plain_http_auth_server(
    halo_fake: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, halo_clock: Clock
) -> None:
    client = halo_client(halo_fake, http, halo_clock)
    assert client._may_send_secret_to(f"{halo_fake.url}/auth")
    assert client._may_send_secret_to("https://auth.example.com/auth")
    assert not client._may_send_secret_to("http://auth.example.com/auth")
    assert not client._may_send_secret_to("/auth")


# -- 4. Autotask: a zone lookup 500 means an unknown API user -----------------------------------


async def test_autotask_zone_lookup_500_is_a_setup_error(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    client = AutotaskClient(at_config(at_fake, username="nobody@acme.example"), client=http)
    with pytest.raises(DeliveryFailed) as failed:
        await client.add_note("81234", NOTE, internal=True, marker=MARKER)
    assert not failed.value.retryable and failed.value.status == 500
    assert failed.value.message == (
        "Autotask does not know the API user 'nobody@acme.example' (500); "
        "check the user name in Settings → Integrations"
    )
    assert at_fake.app.requests_to("zoneInformation")[0].query == {"user": "nobody@acme.example"}


async def test_autotask_zone_lookup_outage_is_retried(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    at_fake.app.fail_next(status=503, body="Service Unavailable", only="zoneInformation")
    with pytest.raises(DeliveryFailed) as failed:
        await AutotaskClient(at_config(at_fake), client=http).get_ticket("81234")
    assert failed.value.retryable and failed.value.status == 503


# -- 5. Autotask: nextPageUrl is followed with GET, its host compared without case -------------


async def test_autotask_follows_next_pages_whatever_the_host_case(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    at_fake.app.page_size = 2
    at_fake.app.next_host = "LOCALHOST"
    for number in range(4):
        at_fake.app.add_existing_note(81234, f"note {number}")
    target = at_fake.app.add_existing_note(81234, f"ours\n\n[{MARKER}]")
    client = AutotaskClient(at_config(at_fake, host="localhost"), client=http)
    assert await client.find_note("81234", MARKER) == NoteRef(str(target["id"]))
    pages = at_fake.app.requests_to("/Notes")
    assert [(r.method, r.query.get("page")) for r in pages] == [("GET", None), ("GET", "2"), ("GET", "3")]
    headers = {"ApiIntegrationCode": at.INTEGRATION_CODE, "UserName": at.USER, "Secret": at.SECRET}
    first = await http.get(f"http://localhost:{at_fake.port}{pages[0].path}", headers=headers)
    assert first.json()["pageDetails"]["nextPageUrl"].startswith("http://LOCALHOST:")


async def test_autotask_does_not_follow_next_pages_elsewhere(
    at_fake: LocalServer[at.FakeAutotask], http: httpx.AsyncClient
) -> None:
    at_fake.app.page_size = 2
    at_fake.app.next_host = "localhost"  # the zone is 127.0.0.1: another host, same server
    for number in range(3):
        at_fake.app.add_existing_note(81234, f"note {number}")
    assert await AutotaskClient(at_config(at_fake), client=http).find_note("81234", MARKER) is None
    assert len(at_fake.app.requests_to("/Notes")) == 1  # the Secret header went nowhere else


# -- 6. ConnectWise: any 4xx to the text search means "page instead" --------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_connectwise_search_refusals_fall_back_to_paging(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient, status: int
) -> None:
    cw_fake.app.reject_conditions = status
    target = cw_fake.app.add_existing_note(4711, f"the one\n\n[{MARKER}]", internalAnalysisFlag=True)
    for number in range(PAGE_SIZE + 10):
        cw_fake.app.add_existing_note(4711, f"chatter {number}", detailDescriptionFlag=True)
    client = ConnectWiseClient(cw_config(cw_fake), client=http)
    assert await client.find_note("4711", MARKER) == NoteRef(str(target["id"]))
    assert [r.query.get("page") for r in cw_fake.app.requests_to("/notes", "GET")] == [None, "1", "2"]


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (401, False)])
async def test_connectwise_rate_limit_or_bad_keys_on_search_are_not_refusals(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    cw_fake.app.fail_next(status=status, body={"code": "No", "message": "not now"}, retry_after="5")
    with pytest.raises(DeliveryFailed) as failed:
        await ConnectWiseClient(cw_config(cw_fake), client=http).find_note("4711", MARKER)
    assert failed.value.retryable is retryable and failed.value.status == status
    assert len(cw_fake.app.requests_to("/notes")) == 1  # no paging after it


async def test_connectwise_unknown_ticket_still_404s_after_a_refused_search(
    cw_fake: LocalServer[cw.FakeConnectWise], http: httpx.AsyncClient
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await ConnectWiseClient(cw_config(cw_fake), client=http).find_note("999", MARKER)
    assert not failed.value.retryable and failed.value.message == "Ticket 999 not found in ConnectWise (404)"


# -- issue 12: the Autotask integration's default zone lookup URL ------------------------------


def test_autotask_integration_gets_the_stock_zone_lookup_url() -> None:
    secrets = {"secret": "s", "integration_code": "c"}
    config = psa_config("autotask", {"username": "api@acme.example"}, secrets)
    assert isinstance(config, AutotaskConfig)
    assert config.zone_lookup_url == STOCK_ZONE_LOOKUP
    blank = psa_config("autotask", {"username": "api@acme.example", "zone_lookup_url": ""}, secrets)
    assert isinstance(blank, AutotaskConfig) and blank.zone_lookup_url == STOCK_ZONE_LOOKUP
    own = psa_config("autotask", {"username": "u", "zone_lookup_url": "https://at.test/zi"}, secrets)
    assert isinstance(own, AutotaskConfig) and own.zone_lookup_url == "https://at.test/zi"

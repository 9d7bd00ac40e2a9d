"""Fixtures for browser tests: the app on a real port, Debian's chromium, a signed-up engineer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests import browser as helpers
from tests.factories import PASSWORD, Member, make_account, make_user


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    """The base URL of the app served by uvicorn; `db` empties the tables afterwards."""
    with helpers.live_server(settings) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    try:
        helpers.require_chromium()
    except RuntimeError as exc:  # fail, never skip: a silent skip hides a broken setup
        pytest.fail(str(exc), pytrace=False)
    async with helpers.chromium() as launched:
        yield launched


@dataclass
class Seeded:
    account: Account
    engineer: Member
    email: str
    password: str


@pytest.fixture
async def seeded(db: Database) -> Seeded:
    account = await make_account(db, name="Browser MSP")
    email = "jamie@browser.example"
    engineer = await make_user(db, account, role="engineer", name="Jamie Reyes", email=email)
    return Seeded(account=account, engineer=engineer, email=email, password=PASSWORD)

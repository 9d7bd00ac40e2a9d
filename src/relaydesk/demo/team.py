"""Who the demo MSP is: its account, its people, its clients' categories, and its calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ACCOUNT_NAME = "Demo MSP"
DEMO_PASSWORD = "relaydesk-demo"

# The categories the demo's tickets use: what an MSP's board is sorted by.
MSP_CATEGORIES = (
    "Email",
    "Accounts",
    "Network",
    "Wi-Fi",
    "VPN",
    "Printing",
    "File shares",
    "Backup",
    "Applications",
    "Onboarding",
    "Hardware",
)

# history.jsonl is written as of this instant; the seed moves every date by whole days so that this
# day is the day it runs, and the last 90 days always have a working week at their end.
WRITTEN_AS_OF = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    key: str
    label: str  # shown in the printed list of logins
    name: str
    email: str
    role: str
    senior: bool = False  # takes escalations


PEOPLE = (
    Person("dana", "owner", "Dana Whitfield", "dana@demo-msp.example", "owner", senior=True),
    Person("jamie", "junior engineer", "Jamie Reyes", "jamie@demo-msp.example", "engineer"),
    Person("sam", "senior engineer", "Sam Okafor", "sam@demo-msp.example", "engineer", senior=True),
    Person("priya", "senior engineer 2", "Priya Nair", "priya@demo-msp.example", "engineer", senior=True),
    Person("tom", "engineer", "Tom Becker", "tom@demo-msp.example", "engineer"),
    Person("vic", "viewer", "Vic Moreno", "vic@demo-msp.example", "viewer"),
)
BY_NAME = {p.name: p for p in PEOPLE}
BY_KEY = {p.key: p for p in PEOPLE}


def logins() -> list[tuple[str, str]]:
    return [(p.label, p.email) for p in PEOPLE]


def shift_for(now: datetime) -> timedelta:
    """How far the written dates move so WRITTEN_AS_OF falls on `now`'s day (whole days)."""
    return timedelta(days=(now.date() - WRITTEN_AS_OF.date()).days)

"""The demo account: people to sign in as and a history of troubleshooting sessions.

`relaydesk demo` seeds it once (idempotent by account name) and prints the logins.

Most resolved sessions are adapted from real technical-support conversations in the
#ubuntu IRC channel, shipped in `demo_threads.jsonl` beside this module. They come from
the corpus of Jonathan K. Kummerfeld, Sai R. Gouravajhala, Joseph J. Peper, Vignesh
Athreya, Chulaka Gunasekara, Jatin Ganhotra, Siva Sankalp Patel, Lazaros C. Polymenakos
and Walter S. Lasecki, "A Large-Scale Corpus for Conversation Disentanglement", ACL 2019
(https://github.com/jkkummerfeld/irc-disentanglement), licensed CC-BY-4.0
(https://creativecommons.org/licenses/by/4.0/). Changes are listed in DEMO_DATA_LICENSE.md;
every adapted session carries a note crediting its source thread.

A thread becomes a session this way: the asker's first message is the problem; each run of
helper suggestions becomes one step (the action) whose result is the asker's next reply,
with an outcome read from that reply; further asker messages become notes; the resolution
is the curated `fix` line, else the step the asker thanked for. Turns listed in a thread's
`skip` (side chatter, repeats) are left out; the turns themselves are kept verbatim.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn, SessionCreate, StepCreate

ACCOUNT_NAME = "Demo MSP"
DEMO_PASSWORD = "relaydesk-demo"
THREADS_FILE = "demo_threads.jsonl"
CREDIT = "Kummerfeld et al., ACL 2019, CC-BY-4.0"


@dataclass(frozen=True)
class Person:
    label: str  # shown in the printed list of logins
    name: str
    email: str
    role: str


PEOPLE = (
    Person("owner", "Dana Whitfield", "dana@demo-msp.example", "owner"),
    Person("junior engineer", "Jamie Reyes", "jamie@demo-msp.example", "engineer"),
    Person("senior engineer", "Sam Okafor", "sam@demo-msp.example", "engineer"),
    Person("viewer", "Vic Moreno", "vic@demo-msp.example", "viewer"),
)

CLIENTS = (
    "Harbor Dental",
    "Northwind Legal",
    "Bluebird Logistics",
    "Cedar Street Bakery",
    "Kestrel Architects",
    "Maple Grove School",
)


@dataclass
class DemoStep:
    action: str
    result: str | None = None
    outcome: str = "info"


@dataclass
class DemoSession:
    problem: str
    category: str | None
    steps: list[DemoStep] = field(default_factory=list)
    resolution: str | None = None
    source_id: str | None = None


# --- turning an IRC thread into a session ------------------------------------------------------

_ADDRESS = re.compile(
    r"^\s*@?(?:asker|someone|helper\d+|[a-z][\w-]{1,14}(?=\s*(?:\([^)]*\))?\s*:))"
    r"\s*(?:\([^)]*\))?\s*[:,]?\s+",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^(?:hi|hello|hey)(?: guys| all| there)?\s*[,!.]*\s+", re.IGNORECASE)
_NEGATED = re.compile(
    r"\b(?:didn'?t|doesn'?t|does not|did not|won'?t|not|no|never|nothing)\b[^.!?]{0,20}\b(?:work|fix|help)",
    re.IGNORECASE,
)
_FIXED = re.compile(
    r"\b(?:works?|worked|working|fixed|solved|that was (?:it|my problem|the proble\w*)|bingo|perfect\w*)\b",
    re.IGNORECASE,
)
_PARTIAL = re.compile(r"\b(?:sort of|partly|partially|kind of|but it still|works?,? but)\b", re.IGNORECASE)
_FAILED = re.compile(
    r"\b(?:same|still|error|fails?|failed|invalid|unknown|nothing|nope|no luck|can'?t|cannot|"
    r"not found|denied|doesn'?t|didn'?t|isn'?t|aren'?t|not)\b",
    re.IGNORECASE,
)


def clean(text: str) -> str:
    """One IRC line as a readable sentence: no leading nick addressing, tidy spaces."""
    text = " ".join(text.split())
    while (stripped := _GREETING.sub("", _ADDRESS.sub("", text, count=1), count=1)) != text:
        text = stripped
    return text if text.startswith("http") else text[:1].upper() + text[1:]


def outcome_of(result: str) -> str:
    """What the asker's reply says about the step they were answering."""
    if _NEGATED.search(result):
        return "failed"
    if _FIXED.search(result):
        return "partial" if _PARTIAL.search(result) else "fixed"
    if _FAILED.search(result):
        return "failed"
    return "info"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def thread_to_session(thread: dict[str, Any]) -> DemoSession:
    skip = set(thread.get("skip", []))
    turns = [
        (t["role"], clean(t["text"]))
        for i, t in enumerate(thread["turns"])
        if i not in skip and t["role"] != "bot" and not t["text"].lstrip().startswith("!")
    ]
    asker_turns = [text for role, text in turns if role == "asker"]
    problem = thread.get("problem") or _shorten(asker_turns[0] if asker_turns else thread["title"], 300)
    session = DemoSession(problem=problem, category=thread.get("category"), source_id=thread["id"])
    session.steps.append(
        DemoStep(
            f"Demo data: adapted from #ubuntu IRC thread {thread['id']} ({CREDIT}); the helpers' "
            "suggestions are the steps, the asker's replies the results."
        )
    )

    pending: list[str] = []
    last_tried: DemoStep | None = None
    seen_problem = False
    for role, text in turns:
        if role != "asker":
            pending.append(text if text[-1:] in ".!?:)" else text + ".")
            continue
        if not seen_problem:
            seen_problem = True  # the first asker line is the problem itself
            continue
        outcome = outcome_of(text)
        if pending:
            action = " ".join(pending)
            if action.endswith("?") and outcome != "fixed":
                outcome = "info"  # a question answered: facts, not a failed attempt
            last_tried = DemoStep(action, text, outcome)
            session.steps.append(last_tried)
            pending = []
        elif outcome == "fixed" and last_tried is not None:
            # "did that, works now" a little later: the verdict on the last thing tried
            last_tried.result = f"{last_tried.result} Later: {text}"
            last_tried.outcome = "fixed"
        else:
            session.steps.append(DemoStep(text))

    # The thread is resolved: the last step the asker answered is the one they thanked for,
    # unless the reply itself says it did not work.
    answered = [s for s in session.steps if s.result]
    if answered and not _NEGATED.search(answered[-1].result or ""):
        answered[-1].outcome = "fixed"
    fixed = [s for s in session.steps if s.outcome == "fixed"]
    last_words = (thread.get("resolution") or {}).get("asker_last")
    confirmed = f"The user confirmed: “{clean(last_words)}”" if last_words else "The user confirmed the fix."
    session.resolution = thread.get("fix") or (f"{fixed[-1].action} {confirmed}" if fixed else confirmed)
    return session


def load_threads() -> list[dict[str, Any]]:
    text = resources.files("relaydesk").joinpath(THREADS_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- hand-written MSP sessions --------------------------------------------------------------------

ACTIVE_OUTLOOK: dict[str, Any] = {
    "problem": "Outlook stopped syncing for the front desk after this morning's password change; "
    "send/receive fails with 0x800CCC0E and it keeps asking for the password.",
    "category": "Email",
    "client_name": "Harbor Dental",
    "ticket_id": "48213",
    "priority": "high",
    "steps": [
        ("User reports Outlook has not synced since 09:10; OWA works in the browser.", None, "info"),
        ("Restarted Outlook and the PC", "Same prompt for the password, then 0x800CCC0E", "failed"),
        (
            "Checked Microsoft 365 admin: account active, no sign-in blocks, MFA registered",
            "Sign-in logs show successful web logins and failed Outlook ones (error 50126)",
            "info",
        ),
        (
            "Removed the old MicrosoftOffice16 entries from Windows Credential Manager",
            "Outlook asked for the new password once; inbox synced for ~2 minutes then the prompt came back",
            "partial",
        ),
        (
            "Created a new Outlook profile with autodiscover",
            "Profile creation hangs at 'Searching for server settings'",
            "failed",
        ),
    ],
}

ACTIVE_VPN: dict[str, Any] = {
    "problem": "Remote staff cannot connect to the office VPN since the firewall firmware update last "
    "night; FortiClient stops at 98% and disconnects.",
    "category": "Network",
    "client_name": "Northwind Legal",
    "ticket_id": "48227",
    "priority": "urgent",
    "steps": [
        ("Three users affected, all on FortiClient 7.0; one user on 7.2 connects fine.", None, "info"),
        (
            "Checked the FortiGate event log for the failing users",
            "'SSL VPN tunnel down: ssl_alert handshake_failure' right after authentication",
            "info",
        ),
        (
            "Asked one user to upgrade FortiClient to 7.2.4",
            "Connects, but the mapped S: drive does not reconnect",
            "partial",
        ),
    ],
}

RESOLVED_PRINTER: dict[str, Any] = {
    "problem": "Reception printer (HP LaserJet M404dn) shows offline on every PC since the router was "
    "replaced; jobs sit in the queue.",
    "category": "Printing",
    "client_name": "Cedar Street Bakery",
    "ticket_id": "48102",
    "priority": "normal",
    "steps": [
        ("Printer's front panel shows IP 192.168.1.57; the queues point to 192.168.0.57.", None, "info"),
        ("Pinged 192.168.0.57 from the office PC", "Request timed out", "failed"),
        (
            "Changed the printer port on one PC to 192.168.1.57",
            "Test page printed, but the address will change again on the next lease",
            "partial",
        ),
        (
            "Added a DHCP reservation for the printer's MAC on the new router (192.168.1.20) and "
            "pushed the new port to all PCs by GPO",
            "All four PCs print; printer keeps .20 after a power cycle",
            "fixed",
        ),
    ],
    "resolution": "New router hands out 192.168.1.x; the old queues pointed at the previous address. "
    "Reserved 192.168.1.20 for the printer in DHCP and updated the TCP/IP port on every PC via GPO.",
}


# --- seeding -------------------------------------------------------------------------------------


def logins() -> list[tuple[str, str]]:
    return [(p.label, p.email) for p in PEOPLE]


async def seed(database_url: str) -> list[tuple[str, str]]:
    """Create the demo account once; when it exists, change nothing. Returns (role label, email)."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.uow() as uow:
            if await accounts.find_account_id(uow, ACCOUNT_NAME) is None:
                await _seed(uow)
    finally:
        await db.dispose()
    return logins()


async def _seed(uow: UnitOfWork) -> None:
    account = await accounts.create_account(uow, ACCOUNT_NAME)
    actors: dict[str, Actor] = {}
    for person in PEOPLE:
        user = await accounts.add_user(
            uow, account.id, email=person.email, name=person.name, role=person.role, password=DEMO_PASSWORD
        )
        actors[person.label] = accounts.actor_for(user)
    junior, senior = actors["junior engineer"], actors["senior engineer"]

    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(20190728)  # fixed: the demo looks the same on every machine

    # Past work, oldest first: one adapted thread every day or so, in working hours.
    threads = load_threads()
    for n, thread in enumerate(threads):
        days_ago = 2 + (len(threads) - n) * 1.3
        start = (now - timedelta(days=days_ago)).replace(hour=8 + n % 8, minute=rng.randrange(60))
        demo = thread_to_session(thread)
        await _add(
            uow,
            senior if n % 3 == 2 else junior,
            demo,
            client=CLIENTS[n % len(CLIENTS)],
            ticket=str(47100 + n * 37),
            priority=("normal", "normal", "high", "low")[n % 4],
            start=start,
            rng=rng,
        )

    for spec, actor, start in (
        (RESOLVED_PRINTER, senior, now - timedelta(days=1, hours=3)),
        (ACTIVE_VPN, junior, now - timedelta(minutes=35)),
        (ACTIVE_OUTLOOK, junior, now - timedelta(minutes=70)),
    ):
        demo = DemoSession(
            problem=spec["problem"],
            category=spec["category"],
            steps=[DemoStep(a, r, o) for a, r, o in spec["steps"]],
            resolution=spec.get("resolution"),
        )
        await _add(
            uow,
            actor,
            demo,
            client=spec["client_name"],
            ticket=spec["ticket_id"],
            priority=spec["priority"],
            start=start,
            rng=rng,
            resolve=demo.resolution is not None,
        )


async def _add(
    uow: UnitOfWork,
    actor: Actor,
    demo: DemoSession,
    *,
    client: str,
    ticket: str,
    priority: str,
    start: datetime,
    rng: random.Random,
    resolve: bool = True,
) -> None:
    session = await sessions.create_session(
        uow,
        actor,
        SessionCreate(
            problem_summary=demo.problem,
            category=demo.category,
            client_name=client,
            ticket_id=ticket,
            priority=priority,  # type: ignore[arg-type]
        ),
    )
    # The services stamp everything "now"; spread the timeline over the minutes it took.
    at = start
    for demo_step in demo.steps:
        at += timedelta(minutes=rng.randint(2, 9), seconds=rng.randrange(60))
        step = await sessions.add_step(
            uow,
            actor,
            session.id,
            StepCreate(action=demo_step.action, result=demo_step.result, outcome=demo_step.outcome),  # type: ignore[arg-type]
        )
        step.created_at = at
    if resolve and demo.resolution:
        await sessions.resolve_session(uow, actor, session.id, ResolveIn(resolution=demo.resolution))
        at += timedelta(minutes=rng.randint(1, 5))
        session.resolved_at = at
    session.created_at = start
    session.updated_at = at
    await uow.flush()

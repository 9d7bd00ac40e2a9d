"""The three write-ups by template: the ticket note, the client update and the email draft.

Real sentences, never a phrase cut mid-way: every quoted action or result is clipped where a clause
ends (words.clip), and when the note runs long, whole steps are left out and counted instead.

- The ticket note is for the team and the PSA: the problem, what each person tried and what happened,
  why it was escalated, and the likely cause and next step; once resolved, the fix (from the resolution
  and the step that fixed it) in place of any guess.
- The client update and the email draft are for the client's contact: plain words, no internal jargon,
  no quotes of the team's notes, nothing from any other session. They say what happened, what we did
  and what happens next, and greet the contact by name when the session has one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from relaydesk.summaries.schemas import EmailDraft, StepMaterial, SummaryMaterial
from relaydesk.summaries.words import capital, clip, lower_first, plural, sentence

NOTE_CHARS = 2000
_PROBLEM_CHARS = 300
_ACTION_CHARS = 110
_RESULT_CHARS = 130
_MAX_LISTED = 6

_OUTCOME = {"failed": "did not help", "partial": "partly helped", "fixed": "fixed it"}


def _head(material: SummaryMaterial) -> str:
    problem = clip(material.problem, _PROBLEM_CHARS).rstrip(".")
    where = []
    if material.client:
        where.append(material.client)
    if material.ticket:
        where.append(f"ticket #{material.ticket.lstrip('#')}")
    return sentence(f"{', '.join(where)}: {problem}" if where else capital(problem))


def _step_clause(step: StepMaterial) -> str:
    action = lower_first(clip(step.action, _ACTION_CHARS).rstrip("."))
    result = clip(step.result, _RESULT_CHARS).rstrip(".") if step.result else ""
    if step.outcome in _OUTCOME:
        said = f"{action}, which {_OUTCOME[step.outcome]}"
        return f"{said} ({lower_first(result)})" if result else said
    return f"{action}: {lower_first(result)}" if result else action


def _who_did_what(steps: Sequence[StepMaterial]) -> list[str]:
    """One sentence per person, in the order they first acted, their steps oldest first."""
    shown = [s for s in steps if s.outcome != "info" or s.result]
    left_out = max(0, len(shown) - _MAX_LISTED)
    # When there are many, the latest are listed (what was tried last matters most to whoever is next).
    shown = shown[left_out:]
    people: dict[str, list[StepMaterial]] = {}
    for step in shown:
        people.setdefault(step.author, []).append(step)
    out = []
    if left_out:
        out.append(f"{plural(left_out, 'earlier step')} are in the session's history.")
    for n, (author, theirs) in enumerate(people.items()):
        said = "; ".join(_step_clause(s) for s in theirs)
        out.append(sentence(f"{'Steps' if n == 0 else 'Then'} by {author}: {said}"))
    return out


def _fit(paragraphs: list[list[str]]) -> str:
    """Paragraphs of sentences within NOTE_CHARS, dropping whole middle sentences when too long."""
    text = "\n\n".join(" ".join(p) for p in paragraphs if p)
    while len(text) > NOTE_CHARS:
        longest = max((p for p in paragraphs[1:-1] if len(p) > 1), key=len, default=None)
        if longest is None:
            return clip(text, NOTE_CHARS)
        longest.pop(1 if len(longest) > 2 else 0)
        text = "\n\n".join(" ".join(p) for p in paragraphs if p)
    return text


def ticket_note(material: SummaryMaterial, *, cause: str, next_step: str | None, grounded: bool) -> str:
    """The ticket note of an escalation: ready for the PSA, plain sentences, built only from the material."""
    tried = (
        _who_did_what(material.steps)
        if material.steps
        else ["No troubleshooting steps were recorded before the escalation."]
    )
    why = []
    if material.reason:
        why.append(sentence(f"Escalated because: {clip(material.reason, 200)}"))
    if material.notes:
        why.append(sentence(f"Notes: {clip(material.notes, 200)}"))
    if grounded:
        assessment = [sentence(f"Likely cause: {lower_first(cause)}")]
    elif cause.startswith("Not known yet"):
        assessment = ["Cause: not known yet."]
    else:
        assessment = [sentence(cause)]
    if next_step:
        assessment.append(sentence(f"Suggested next step: {lower_first(next_step)}"))
    return _fit([[_head(material)], tried, why, assessment])


def resolved_note(material: SummaryMaterial, resolution: str, *, resolved_by: str | None) -> str:
    """The ticket note once the session is resolved: what was tried, then the cause and the fix from the
    resolution and the step that fixed it. No guess stands beside a resolution."""
    fixing = [s for s in material.steps if s.outcome == "fixed"]
    before = [s for s in material.steps if s not in fixing]
    tried = _who_did_what(before) if before else []
    fix = [sentence(f"Resolved{' by ' + resolved_by if resolved_by else ''}: {clip(resolution, 600)}")]
    if fixing:
        step = fixing[-1]
        said = clip(step.action, _ACTION_CHARS).rstrip(".")
        if said.lower() not in resolution.lower():
            result = clip(step.result, _RESULT_CHARS).rstrip(".") if step.result else ""
            fix.append(
                sentence(
                    f"The step that fixed it ({step.author}): {lower_first(said)}"
                    + (f" ({lower_first(result)})" if result else "")
                )
            )
    return _fit([[_head(material)], tried, fix, []])


# --- for the client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientCase:
    """What the client-facing templates know about the case."""

    problem: str
    client: str | None
    ticket: str | None
    steps_tried: int
    partly_helped: bool
    resolved: bool
    contact_name: str | None = None
    category: str | None = None
    resolution: str | None = None
    claimed: bool = False


# What the client would call the thing, found in the problem (first match wins).
_TOPICS: list[tuple[str, str]] = [
    (r"\boutlook\b", "Outlook"),
    (r"\bsharepoint\b", "SharePoint"),
    (r"\bonedrive\b", "OneDrive"),
    (r"\bteams\b", "Microsoft Teams"),
    (r"\bvpn\b", "the VPN connection"),
    (r"\b(?:printer|printing|prints?)\b", "the printer"),
    (r"\b(?:wi-?fi|wireless)\b", "the Wi-Fi"),
    (r"\b(?:e-?mail|mailbox|inbox)\b", "email"),
    (r"\b(?:password|sign[- ]?in|log ?in|mfa|locked out)\b", "signing in"),
    (r"\b(?:internet|network|dns|dhcp)\b", "the network connection"),
    (r"\b(?:sound|audio|speakers?|headset)\b", "the sound"),
    (r"\b(?:screen|display|monitor|resolution)\b", "the display"),
    (r"\b(?:disk|drive|partition|storage)\b", "the disk"),
    (r"\b(?:install|package|upgrade|update)\b", "the software installation"),
    (r"\b(?:boot|startup|start up|grub)\b", "the computer starting up"),
]
_CATEGORY_TOPICS = {"email": "email", "network": "the network connection", "hardware": "the equipment"}
# What makes a phrase internal: codes, paths, settings, commands, quotes.
_JARGON = re.compile(
    r"0x[0-9a-f]+|\b[A-Z]{2,}\d+\b|\b\w+=\w+|[\\/]\w+[\\/]|[\"“'‘`]|\b(?:registry|regedit|sudo|apt|dns|dhcp|"
    r"mtu|gpo|ldap|smtp|imap|cli|cmd|powershell|event id|error \d+|\d{3,})\b",
    re.I,
)


def topic(case: ClientCase) -> str:
    text = case.problem.lower()
    for pattern, name in _TOPICS:
        if re.search(pattern, text):
            return name
    return _CATEGORY_TOPICS.get((case.category or "").lower(), "")


def _greeting(case: ClientCase) -> str:
    name = (case.contact_name or "").strip().split(" ")[0]
    return f"Hi {name}," if name else "Hello,"


def _plain_fix(resolution: str | None) -> str | None:
    """The first sentence of the resolution as "we …", when it is plain enough for a client."""
    first = re.split(r"[.;!?](?:\s+|$)", (resolution or "").strip())[0].strip().rstrip(".")
    if not first or len(first) > 110 or _JARGON.search(first):
        return None
    word = first.split(" ", 1)[0]
    if not word.lower().endswith("ed") and word.lower() not in {
        "reset",
        "set",
        "ran",
        "put",
        "rebuilt",
        "made",
    }:
        return None
    return "we " + lower_first(first)


def client_update(case: ClientCase) -> str:
    """Plain words for the client's contact: what happened, what we did, what happens next."""
    about = topic(case)
    issue = f"the problem with {about}" if about else "the problem you reported"
    if case.resolved:
        fix = _plain_fix(case.resolution)
        did = (
            f"We found the cause and put it right: {fix}."
            if fix
            else "We found what was causing it and put it right."
        )
        return (
            f"Good news: {issue} is fixed. {did}\n\n"
            "There is nothing you need to do. If you notice it again, just reply to this message and we "
            "will pick it straight back up."
        )
    if case.steps_tried:
        did = f"So far we have tried {plural(case.steps_tried, 'fix', 'fixes')}"
        did += (
            ", and one of them helped for a while, so we are on the right track."
            if case.partly_helped
            else ", but it has not cleared up yet."
        )
    else:
        did = "We have started looking into it."
    nxt = (
        "A senior engineer has now taken it over and is working on it."
        if case.claimed
        else "We have passed it to a senior engineer on our team, who will pick it up next."
    )
    return (
        f"Thanks for your patience while we work on {issue}. {did}\n\n"
        f"{nxt} We will let you know as soon as we have an update, and sooner if we need anything from you."
    )


def email_draft(case: ClientCase) -> str:
    """The client update as an email: subject, greeting, body, sign-off."""
    about = topic(case)
    if case.resolved:
        subject = f"Fixed: the problem with {about}" if about else "Your support request is fixed"
    else:
        subject = f"Update on the problem with {about}" if about else "An update on your support request"
    if case.ticket:
        subject += f" (ticket #{case.ticket.lstrip('#')})"
    return EmailDraft(
        subject=clip(capital(subject), 150),
        greeting=_greeting(case),
        body=client_update(case),
        sign_off="Kind regards,\nYour IT support team",
    ).render()


def client_message(case: ClientCase) -> str:
    """The client update with its greeting, as it is sent."""
    return f"{_greeting(case)}\n\n{client_update(case)}"


def steps_summary(steps: Sequence[StepMaterial]) -> tuple[int, bool]:
    """How many things were tried, and whether one partly helped (what the client templates use)."""
    return (
        sum(1 for s in steps if s.outcome in ("failed", "partial", "fixed")),
        any(s.outcome == "partial" for s in steps),
    )

"""The offline engine: a grounded summary from the session's own steps and the account's resolved history.

Deterministic and database-free: the service hands in redacted material (invariant 7) with the similar
sessions already found by full-text search, and gets the same summary for the same material every time,
in well under a millisecond per step. It is the default when no model is configured and the instant
first draft when one is (invariant 4).

What it may say, and from where:

- `what_we_know` comes only from steps: each fact quotes (shortened) one step's action and result and
  records that step's id in `facts`; failed and partial steps come first, and when there are more of
  them than fit, the older ones are listed together in one fact that cites them all.
- `likely_cause` and `suggested_steps` come only from the resolutions of similar resolved sessions,
  leaving out what this session already tried. With no usable match it says it has no basis.
- `confidence` is from how strong the best match is and whether another match agrees with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from relaydesk.summaries.schemas import (
    MAX_FACTS,
    MAX_SUGGESTED_STEPS,
    Confidence,
    EarlierSuggestion,
    EmailDraft,
    Fact,
    SimilarSession,
    StepMaterial,
    Summary,
    SummaryMaterial,
    SummaryState,
)

ENGINE = "offline"

# Match strength (share of this problem's search terms a past session's problem and resolution hold).
STRONG_MATCH = 0.6
USABLE_MATCH = 0.45
# Two resolutions "agree" when this share of their words is the same (Jaccard).
AGREEMENT = 0.3
# A suggestion counts as already tried when this share of its words appears in one step's action.
TRIED_OVERLAP = 0.6

NO_BASIS_CAUSE = (
    "No basis for a cause yet: no resolved session of this account looks like this one, "
    "and the steps so far do not point at one."
)
ALL_TRIED_CAUSE = (
    "No basis for a cause yet: similar resolved sessions were fixed by steps already tried here "
    "without success, so the cause is probably different."
)

_ACTION_CHARS = 100
_RESULT_CHARS = 120
_LIST_ACTION_CHARS = 45
_FACT_CHARS = 300
_CHIP_CHARS = 80
_CAUSE_CHARS = 300


# --- words ------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a about after again all also an and any are as at be been before being but by can could did do
    does done for from get got had has have he her his how i if in into is it its just me more my no not
    now of on once only or our out over she so some still than that the their them then there these they
    this those to too up us was we were what when where which while who why will with would you your
    user users client tried try trying again same""".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def terms(text: str | None) -> frozenset[str]:
    """Content words of a text, crudely stemmed: enough to tell whether two short texts say the same."""
    return frozenset(_stem(w) for w in _WORD.findall((text or "").lower()) if w not in _STOPWORDS)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def shorten(text: str | None, limit: int) -> str:
    """One line, at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (cut or text[: limit - 1]) + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    # Keep acronyms and names ("VPN", "Outlook") as typed.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fingerprint(text: str) -> str:
    """A short, stable digest of a text (which ticket note a cached variant was made from)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- steps from resolutions ---------------------------------------------------------------------------

# Past tense as technicians write resolutions → the imperative a next step is phrased in. Verbs not
# listed keep the resolution's own words: a correct past tense beats a wrong guess.
_IMPERATIVE: dict[str, str] = dict(
    pair.split(">")
    for pair in """
    added>add adjusted>adjust allowed>allow applied>apply assigned>assign blocked>block changed>change
    checked>check cleaned>clean cleared>clear configured>configure connected>connect copied>copy
    corrected>correct created>create deleted>delete disabled>disable disconnected>disconnect
    downgraded>downgrade downloaded>download edited>edit emptied>empty enabled>enable excluded>exclude
    exported>export extended>extend fixed>fix flushed>flush forced>force formatted>format freed>free
    gave>give granted>grant imported>import increased>increase installed>install joined>join killed>kill
    loaded>load lowered>lower made>make mapped>map migrated>migrate modified>modify mounted>mount
    moved>move opened>open patched>patch pointed>point purged>purge raised>raise ran>run rebooted>reboot
    rebuilt>rebuild recreated>recreate reconfigured>reconfigure reconnected>reconnect redid>redo
    reduced>reduce re-added>re-add reenabled>re-enable re-enabled>re-enable refreshed>refresh
    regenerated>regenerate registered>register reimaged>reimage reinstalled>reinstall rejoined>rejoin
    reloaded>reload remapped>remap removed>remove renamed>rename renewed>renew repaired>repair
    replaced>replace reseated>reseat reset>reset resized>resize restarted>restart restored>restore
    revoked>revoke rolled>roll scanned>scan selected>select sent>send set>set signed>sign started>start
    stopped>stop switched>switch synced>sync turned>turn uninstalled>uninstall unblocked>unblock
    unlocked>unlock unplugged>unplug updated>update upgraded>upgrade used>use verified>verify
    whitelisted>allow-list wiped>wipe wrote>write
    """.split()
)
_LEADING_SUBJECT = re.compile(r"^(?:(?:we|i|they|the tech(?:nician)?|finally|then|so)\b[\s,]*)+", re.I)
_CONFIRMATION = re.compile(
    r"^(?:the )?(?:user|client|customer|caller)s? (?:confirmed|said|says|reports?|reported)\b|^thanks?\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def imperative(sentence: str) -> str:
    """ "Lowered the tunnel MTU to 1400." → "Lower the tunnel MTU to 1400" (chip-sized, no full stop)."""
    text = _LEADING_SUBJECT.sub("", " ".join(sentence.split())).rstrip(" .")
    first, _, rest = text.partition(" ")
    verb = _IMPERATIVE.get(first.lower())
    if verb is not None:
        text = _capital(verb) + (" " + rest if rest else "")
    # Otherwise as written: a command such as "sudo apt-get install x" keeps its lower case.
    return shorten(text, _CHIP_CHARS)


def fix_steps(resolution: str) -> list[str]:
    """The things a resolution says were done, as next-step chips: at most two, confirmations dropped."""
    steps: list[str] = []
    for sentence in _SENTENCES.split(resolution or ""):
        sentence = sentence.strip().strip("“”\"'")
        if len(terms(sentence)) < 2 or _CONFIRMATION.search(sentence):
            continue
        steps.append(imperative(sentence))
        if len(steps) == 2:
            break
    return steps


def was_tried(step: str, steps: Iterable[StepMaterial]) -> StepMaterial | None:
    """The step of this session that already did `step`, if one did."""
    wanted = terms(step)
    if not wanted:
        return None
    for done in steps:
        if len(wanted & terms(done.action)) / len(wanted) >= TRIED_OVERLAP:
            return done
    return None


# --- the assessment ---------------------------------------------------------------------------------


@dataclass
class Assessment:
    """The part of a summary the suggestions endpoint also serves."""

    likely_cause: str
    suggested_steps: list[str]
    confidence: Confidence
    confidence_basis: str
    evidence: list[str] = field(default_factory=list)
    similar_sessions: list[SimilarSession] = field(default_factory=list)


def assess(material: SummaryMaterial) -> Assessment:
    """Likely cause, next steps not yet tried, confidence and evidence, from the similar sessions."""
    similar = sorted(material.similar_sessions, key=lambda s: -s.score)
    if not similar:
        return Assessment(
            likely_cause=NO_BASIS_CAUSE,
            suggested_steps=[],
            confidence="low",
            confidence_basis="No similar resolved session in this account's history.",
        )

    # Each match with the fixes it suggests that this session has not tried yet.
    untried: list[tuple[SimilarSession, list[str]]] = []
    for match in similar:
        fixes = [f for f in fix_steps(match.resolution) if was_tried(f, material.steps) is None]
        if fixes:
            untried.append((match, fixes))

    steps: list[str] = []
    seen: list[frozenset[str]] = []
    for _, fixes in untried:
        for fix in fixes:
            words = terms(fix)
            if any(_jaccard(words, other) >= 0.6 for other in seen):
                continue
            seen.append(words)
            steps.append(fix)
    steps = steps[:MAX_SUGGESTED_STEPS]

    if not untried:
        return Assessment(
            likely_cause=ALL_TRIED_CAUSE,
            suggested_steps=[],
            confidence="low",
            confidence_basis=(
                f"{len(similar)} similar resolved session{'s' if len(similar) > 1 else ''} found, "
                "but what fixed them was already tried here."
            ),
            similar_sessions=similar,
        )

    best, best_fixes = untried[0]
    best_words = terms(best.resolution)
    agreeing = [
        m
        for m, _ in untried[1:]
        if m.score >= USABLE_MATCH * 0.9 and _jaccard(best_words, terms(m.resolution)) >= AGREEMENT
    ]
    pct = round(best.score * 100)
    if best.score >= STRONG_MATCH and agreeing:
        confidence: Confidence = "high"
        basis = (
            f"{len(agreeing) + 1} similar resolved sessions were fixed the same way "
            f"(best match {pct}% of this problem's terms)."
        )
    elif best.score >= USABLE_MATCH:
        confidence = "medium"
        basis = f"One similar resolved session matches {pct}% of this problem's terms; no other confirms it."
        if agreeing:
            basis = f"{len(agreeing) + 1} similar resolved sessions agree, but the best matches only {pct}%."
    else:
        confidence = "low"
        basis = f"Only a weak match: the closest resolved session shares {pct}% of this problem's terms."

    cause = shorten(
        f"Probably the same as a resolved session (“{shorten(best.problem, 90)}”, {pct}% match), "
        f"which was fixed by: {shorten(best_fixes[0], 120)}",
        _CAUSE_CHARS,
    )
    # Steps whose words overlap the matched session's story back the cause up.
    story = terms(best.problem) | best_words
    backing = [str(s.id) for s in material.steps if len(terms(f"{s.action} {s.result or ''}") & story) >= 2]
    evidence = [str(best.id), *(str(m.id) for m in agreeing), *backing]
    return Assessment(
        likely_cause=cause,
        suggested_steps=steps,
        confidence=confidence,
        confidence_basis=basis,
        evidence=evidence,
        similar_sessions=similar,
    )


# --- what we know -----------------------------------------------------------------------------------

_OUTCOME_WORDS = {"failed": "failed", "partial": "partly helped", "fixed": "fixed it"}


def _fact_for(step: StepMaterial) -> Fact:
    action = shorten(step.action, _ACTION_CHARS)
    result = shorten(step.result, _RESULT_CHARS) if step.result else ""
    if step.outcome in _OUTCOME_WORDS:
        text = f"{action}: {_OUTCOME_WORDS[step.outcome]}" + (f" ({result})" if result else "")
    elif result:
        text = f"{action}: {result}"
    else:
        text = f"Note: {action}"
    return Fact(text=shorten(text, _FACT_CHARS), step_ids=[str(step.id)])


def _listed(label: str, steps: Sequence[StepMaterial]) -> Fact:
    """Several steps in one fact, each named while they fit, all cited."""
    names: list[str] = []
    for n, step in enumerate(steps):
        name = shorten(step.action, _LIST_ACTION_CHARS)
        left = len(steps) - n - 1
        tail = f"; and {left} more" if left else ""
        if len(label) + len("; ".join([*names, name])) + len(tail) > _FACT_CHARS:
            names.append(f"and {len(steps) - n} more")
            break
        names.append(name)
    return Fact(text=label + "; ".join(names), step_ids=[str(s.id) for s in steps])


def known_facts(steps: Sequence[StepMaterial]) -> list[Fact]:
    """Up to MAX_FACTS facts, every one resting on steps; tried-and-failed first, oldest first."""
    attempts = [s for s in steps if s.outcome in ("failed", "partial", "fixed")]
    observations = [s for s in steps if s.outcome == "info" and s.result]
    notes = [s for s in steps if s.outcome == "info" and not s.result]

    chosen: list[tuple[datetime, Fact]] = []
    if len(attempts) > MAX_FACTS:
        # Keep the latest attempts whole; the older failures are named together in the first fact.
        whole = attempts[-(MAX_FACTS - 1) :]
        older = attempts[: len(attempts) - len(whole)]
        chosen.append((older[0].at, _listed("Also tried without success: ", older)))
        chosen.extend((s.at, _fact_for(s)) for s in whole)
    else:
        chosen.extend((s.at, _fact_for(s)) for s in attempts)
    for extra in (observations, notes):
        room = MAX_FACTS - len(chosen)
        chosen.extend((s.at, _fact_for(s)) for s in extra[:room] if room > 0)
    chosen.sort(key=lambda item: item[0])
    return [fact for _, fact in chosen]


# --- the earlier suggestions --------------------------------------------------------------------------


def earlier_suggestions(suggested: Sequence[str], steps: Sequence[StepMaterial]) -> list[EarlierSuggestion]:
    """What the workspace suggested before the escalation, each marked tried or not by a later step."""
    out: list[EarlierSuggestion] = []
    for step in suggested:
        done = was_tried(step, steps)
        out.append(
            EarlierSuggestion(step=step, tried=done is not None, outcome=done.outcome if done else None)
        )
    return out


# --- the ticket note --------------------------------------------------------------------------------


def _listing(steps: Sequence[StepMaterial], limit: int = 3) -> str:
    names = [_lower_first(shorten(s.action, 60).rstrip(".")) for s in steps[:limit]]
    if len(steps) > limit:
        names.append(f"{len(steps) - limit} more")
    return _join(names)


def prose(material: SummaryMaterial, assessment: Assessment) -> str:
    """A ticket note ready for the PSA: plain sentences, no markdown, built only from the material."""
    head = shorten(material.problem, 300).rstrip(".")
    if material.client:
        head = f"{material.client}: {_lower_first(head)}"
    if material.ticket:
        head += f" (ticket #{material.ticket.lstrip('#')})"
    sentences = [_sentence(head)]

    steps = material.steps
    failed = [s for s in steps if s.outcome == "failed"]
    partial = [s for s in steps if s.outcome == "partial"]
    fixed = [s for s in steps if s.outcome == "fixed"]
    if not steps:
        sentences.append("No troubleshooting steps were recorded before the escalation.")
    else:
        if failed:
            sentences.append(_sentence(f"Tried without success: {_listing(failed)}"))
        if partial:
            sentences.append(_sentence(f"Partly helped: {_listing(partial)}"))
        if fixed:
            sentences.append(_sentence(f"Reported as fixing part of it: {_listing(fixed)}"))
        if not (failed or partial or fixed):
            sentences.append(
                f"{len(steps)} observation{'s' if len(steps) > 1 else ''} recorded, no fix tried yet."
            )
    if material.reason:
        sentences.append(_sentence(f"Escalated because: {shorten(material.reason, 200)}"))
    if assessment.similar_sessions and assessment.suggested_steps:
        sentences.append(_sentence(f"Likely cause: {_lower_first(assessment.likely_cause)}"))
        sentences.append(_sentence(f"Suggested next step: {_lower_first(assessment.suggested_steps[0])}"))
    else:
        sentences.append("The cause is not yet known.")
    return shorten(" ".join(sentences), 2000)


def closing_note(material: SummaryMaterial, resolution: str) -> str:
    """The ticket note of a session resolved without an escalation summary: what was tried, what fixed it."""
    head = shorten(material.problem, 300).rstrip(".")
    if material.client:
        head = f"{material.client}: {_lower_first(head)}"
    if material.ticket:
        head += f" (ticket #{material.ticket.lstrip('#')})"
    sentences = [_sentence(head)]
    failed = [s for s in material.steps if s.outcome == "failed"]
    partial = [s for s in material.steps if s.outcome == "partial"]
    if failed:
        sentences.append(_sentence(f"Tried without success: {_listing(failed)}"))
    if partial:
        sentences.append(_sentence(f"Partly helped: {_listing(partial)}"))
    sentences.append(_sentence(f"Resolved: {shorten(resolution, 600)}"))
    return shorten(" ".join(sentences), 2000)


def summarize(
    material: SummaryMaterial,
    *,
    now: datetime,
    state: SummaryState = "draft",
    suggested_before: Sequence[str] = (),
    fallback_reason: str | None = None,
) -> Summary:
    """The whole offline summary of a handoff."""
    assessment = assess(material)
    facts = known_facts(material.steps)
    return Summary(
        summary_prose=prose(material, assessment),
        what_we_know=[f.text for f in facts],
        facts=facts,
        likely_cause=assessment.likely_cause,
        suggested_steps=assessment.suggested_steps,
        confidence=assessment.confidence,
        confidence_basis=assessment.confidence_basis,
        evidence=assessment.evidence,
        similar_sessions=assessment.similar_sessions,
        engine=ENGINE,
        fallback_reason=fallback_reason,
        suggested_before=earlier_suggestions(suggested_before, material.steps),
        state=state,
        created_at=now,
        updated_at=now,
    )


# --- variants: tone shifts of the ticket note by template ---------------------------------------------


@dataclass(frozen=True)
class Audience:
    """What the templates know about the case, beyond the ticket note they must agree with."""

    problem: str
    client: str | None
    ticket: str | None
    steps_tried: int
    partly_helped: bool
    resolved: bool


def client_update(case: Audience) -> str:
    """Plain words for the client: what the problem is, what was done, what happens next. No blame."""
    problem = _lower_first(shorten(case.problem, 160).rstrip("."))
    if case.resolved:
        return (
            f"Good news: the issue you reported ({problem}) has been fixed. "
            "We found what was causing it and put it right. "
            "If you notice anything like it again, just let us know and we will take another look."
        )
    done = (
        f"So far we have tried {case.steps_tried} thing{'s' if case.steps_tried != 1 else ''} to fix it"
        + (", and one of them has already helped a little." if case.partly_helped else ".")
        if case.steps_tried
        else "We have started looking into it."
    )
    return (
        f"We are working on the issue you reported ({problem}). {done} "
        "A senior engineer on our team is now taking it forward and will work on the most likely cause next. "
        "We will update you as soon as we know more."
    )


def email_draft(case: Audience) -> str:
    """The client update as an email: subject, greeting, body, sign-off."""
    subject = "Your issue has been fixed" if case.resolved else "An update on your support request"
    if case.ticket:
        subject += f" (ticket #{case.ticket.lstrip('#')})"
    greeting = f"Hello {case.client}," if case.client else "Hello,"
    body = client_update(case)
    if not case.resolved:
        body += (
            "\n\nThere is nothing you need to do right now. "
            "If anything changes on your side, reply to this email."
        )
    return EmailDraft(
        subject=shorten(subject, 150),
        greeting=shorten(greeting, 100),
        body=body,
        sign_off="Kind regards,\nYour IT support team",
    ).render()

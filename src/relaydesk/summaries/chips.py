"""Next-step chips: what fixed similar sessions, phrased as something to do now.

A chip is an imperative, whole phrase of at most 80 characters with no ellipsis, taken from the step that
fixed a similar session or from its resolution, and never something this session already tried. The
similar sessions reach this module already generalised (identifiers.py, done in similar.py), so nothing
here can carry another client's machine, person or ticket into this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from relaydesk.summaries.schemas import SimilarSession, StepMaterial
from relaydesk.summaries.words import capital, clip, jaccard, terms

CHIP_CHARS = 80
# A suggestion counts as already tried when this share of its words appears in one step's action.
TRIED_OVERLAP = 0.6

# Past tense as technicians write resolutions → the imperative a next step is phrased in.
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
    whitelisted>allow-list wiped>wipe wrote>write typed>type put>put entered>enter re-entered>re-enter
    rebound>rebind relinked>relink reissued>reissue reauthorized>reauthorize re-registered>re-register
    unpaired>unpair paired>pair reapplied>reapply re-ran>re-run reran>re-run uploaded>upload
    """.split()
)
_IMPERATIVE_VERBS = frozenset(_IMPERATIVE.values()) | frozenset(
    """add adjust allow apply assign boot change check clean clear configure connect copy create delete
    disable download edit enable install kill load make map mount move open patch point purge reboot rebuild
    recreate reconfigure reconnect reinstall reload remove rename renew repair replace reset restart restore
    run scan select set sign start stop switch sync turn uninstall unplug update upgrade use verify wipe
    edit type try put look grab get install compile boot chmod chown sudo apt-get apt aptitude dpkg
    modprobe mkdir cp mv rm nano gedit vi vim ln""".split()
)
_LEADING = re.compile(
    r"^(?:(?:we|i|they|you|the tech(?:nician)?|finally|then|so|ok(?:ay)?|just|also|first|now|maybe|try to|"
    r"you (?:can|could|should|need to|must|might want to)|(?:just )?try(?:ing)?|please|and)\b[\s,:]*)+",
    re.I,
)
_ADDRESS = re.compile(r"^(?:asker|helper\d*|someone)\s*[:,]\s*", re.I)
_CONFIRMATION = re.compile(
    r"^(?:the )?(?:user|client|customer|caller|asker)s? (?:confirmed|said|says|reports?|reported)\b"
    r"|^thanks?\b"
    r"|^(?:that|it) (?:worked|works|fixed)",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION = re.compile(r"\?\s*$")


def imperative(sentence: str) -> str:
    """ "Lowered the tunnel MTU to 1400." → "Lower the tunnel MTU to 1400" (no full stop, not clipped)."""
    text = _LEADING.sub("", _ADDRESS.sub("", " ".join(sentence.split()))).strip().rstrip(" .!")
    first, _, rest = text.partition(" ")
    verb = _IMPERATIVE.get(first.lower())
    if verb is None and first.lower().startswith("re-") and first.lower()[3:] in _IMPERATIVE:
        verb = "re-" + _IMPERATIVE[first.lower()[3:]]
    if verb is not None:
        return capital(verb) + (" " + rest if rest else "")
    if first.lower() in _IMPERATIVE_VERBS and first[:1].islower() and not first.startswith(("sudo", "apt")):
        return capital(text)
    # Otherwise as written: a command such as "sudo apt-get install x" keeps its lower case.
    return text


def is_action(text: str) -> bool:
    """Whether a phrase reads as something to do: it starts with a verb of doing, or is a command."""
    first = text.split(" ", 1)[0].lower()
    return first in _IMPERATIVE_VERBS


def chip(sentence: str) -> str | None:
    """One chip from a sentence of a fix, or None when it is not a whole action that fits."""
    if _QUESTION.search(sentence) or _CONFIRMATION.search(sentence.strip()):
        return None
    text = imperative(sentence.strip().strip("“”\"'"))
    if len(terms(text)) < 2 or not is_action(text):
        return None
    text = clip(text, CHIP_CHARS)
    return text if len(terms(text)) >= 2 else None


def fix_steps(resolution: str) -> list[str]:
    """The things a resolution says were done, as next-step chips: at most two, confirmations dropped."""
    steps: list[str] = []
    for part in _SENTENCES.split(resolution or ""):
        made = chip(part)
        if made:
            steps.append(made)
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


def fixes_of(match: SimilarSession) -> list[str]:
    """A similar session's fixes as chips: its fixing steps first, then its resolution's sentences."""
    out: list[str] = []
    for action in match.fixing_steps:
        for part in _SENTENCES.split(action):
            made = chip(part)
            if made:
                out.append(made)
                break
    out += fix_steps(match.resolution)
    return out


def chips_from(matches: Sequence[SimilarSession], steps: Sequence[StepMaterial], limit: int) -> list[str]:
    """Next steps from the fixes of `matches`, best match first, none already tried, none twice."""
    chosen: list[str] = []
    seen: list[frozenset[str]] = []
    for match in matches:
        for fix in fixes_of(match):
            words = terms(fix)
            if was_tried(fix, steps) is not None or any(jaccard(words, o) >= 0.6 for o in seen):
                continue
            seen.append(words)
            chosen.append(fix)
    return chosen[:limit]

"""Redaction before anything leaves (invariant 7): secrets go, look-alikes stay."""

from __future__ import annotations

import time

import pytest

from relaydesk.redaction import (
    Finding,
    Redaction,
    SecretKind,
    redact,
    redact_mapping,
    redact_with_findings,
)
from tests.redaction.corpus import (
    CARD,
    CONN,
    INNOCENT_CASES,
    PW,
    SECRET_CASES,
    TOK,
    WIFI,
    SecretCase,
)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SECRET_CASES])
def test_secret_is_replaced_by_its_marker(case: SecretCase) -> None:
    out = redact(case.text)
    for secret in case.secrets:
        assert secret not in out
    for marker in case.markers:
        assert marker in out
    for context in case.keeps:
        assert context in out


@pytest.mark.parametrize(("text"), [pytest.param(text, id=case_id) for case_id, text in INNOCENT_CASES])
def test_look_alike_survives_unchanged(text: str) -> None:
    assert redact(text) == text
    assert redact_with_findings(text).findings == ()


def test_corpus_is_big_enough() -> None:
    assert len(SECRET_CASES) >= 40
    assert len(INNOCENT_CASES) >= 40
    ids = [c.id for c in SECRET_CASES] + [i for i, _ in INNOCENT_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SECRET_CASES])
def test_redacting_twice_equals_once(case: SecretCase) -> None:
    once = redact(case.text)
    assert redact(once) == once
    assert redact_with_findings(once).findings == ()


def test_whole_corpus_in_one_text() -> None:
    # Interleaved and repeated, so a pattern that runs on across lines shows up.
    lines = [
        line
        for pair in zip(SECRET_CASES, INNOCENT_CASES, strict=False)
        for line in (pair[0].text, pair[1][1])
    ]
    text = "\n".join(lines * 2 + [c.text for c in SECRET_CASES] + [t for _, t in INNOCENT_CASES])
    once = redact(text)
    assert redact(once) == once
    for case in SECRET_CASES:
        for secret in case.secrets:
            assert secret not in once
        for context in case.keeps:
            assert once.count(context) == text.count(context), context
    for _, innocent in INNOCENT_CASES:
        assert once.count(innocent) == text.count(innocent), innocent


def test_cut_off_private_key_does_not_swallow_the_notes_after_it() -> None:
    body = "MIIEowIBAAKCAQEAsnu2dI1xnIAa/PxZn01oMkddpqmaSjAEWg55th4TrEvotMms"
    text = (
        f"-----BEGIN PRIVATE KEY-----\n{body}\n"
        "rebooted the server and checked the event log\n"
        f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    )
    assert redact(text) == (
        "[redacted private key]\nrebooted the server and checked the event log\n[redacted private key]"
    )


def test_key_is_kept_and_only_the_value_goes() -> None:
    assert redact("password: Summer2024!") == f"password: {PW}"
    assert redact("pw=Hunter22 then rebooted") == f"pw={PW} then rebooted"
    assert redact("Password=Hunter22;Encrypt=true") == f"Password={CONN};Encrypt=true"


def test_private_key_block_is_replaced_whole() -> None:
    text = (
        "before\n-----BEGIN EC PRIVATE KEY-----\n"
        "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5x2b4W6GYsEFRoAoGCCqGSM49\n"
        "AwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\nafter"
    )
    assert redact(text) == "before\n[redacted private key]\nafter"


def test_findings_are_in_original_coordinates() -> None:
    text = "pw: Summer2024! and card 4111111111111111."
    result = redact_with_findings(text)
    assert isinstance(result, Redaction)
    assert result.findings == (
        Finding(SecretKind.PASSWORD, 4, 15),
        Finding(SecretKind.CARD_NUMBER, 25, 41),
    )
    assert [text[f.start : f.end] for f in result.findings] == ["Summer2024!", "4111111111111111"]
    assert result.counts == {SecretKind.PASSWORD: 1, SecretKind.CARD_NUMBER: 1}
    assert result.changed
    assert result.text == f"pw: {PW} and card {CARD}."


def test_nothing_found_returns_the_same_text() -> None:
    result = redact_with_findings("printer offline again")
    assert result == Redaction(text="printer offline again", findings=())
    assert not result.changed
    assert result.counts == {}


def test_luhn_decides_card_numbers() -> None:
    assert redact("4539 1488 0343 6467") == CARD
    assert redact("4539 1488 0343 6468") == "4539 1488 0343 6468"


def test_marker_typed_by_a_user_is_left_alone() -> None:
    text = "password: [redacted password] per policy"
    assert redact(text) == text


def test_redact_mapping_walks_snapshots() -> None:
    snapshot = {
        "problem": "guest wifi drops, psk=Tr0ub4dor&3 confirmed with client",
        "steps": [
            {"action": "reset pw to Summer2024!", "outcome": "failed", "n": 3, "ok": False, "at": None},
            {
                "action": "checked KB5034441",
                "result": ("token expired", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig12345"),
            },
        ],
        "password": "hunter",
        "db_password": "",
        "ticket": "T20240611.0042",
    }
    out = redact_mapping(snapshot)
    assert out == {
        "problem": f"guest wifi drops, psk={WIFI} confirmed with client",
        "steps": [
            {"action": f"reset pw to {PW}", "outcome": "failed", "n": 3, "ok": False, "at": None},
            {"action": "checked KB5034441", "result": ("token expired", f"Bearer {TOK}")},
        ],
        "password": PW,
        "db_password": "",
        "ticket": "T20240611.0042",
    }
    assert snapshot["password"] == "hunter"  # a copy: the input is untouched
    assert redact_mapping(out) == out


def test_redact_mapping_passes_scalars_through() -> None:
    assert redact_mapping("pw: Summer2024!") == f"pw: {PW}"
    assert redact_mapping(42) == 42
    assert redact_mapping(None) is None
    assert redact_mapping({"input_tokens": 1200, "token_type": "Bearer"}) == {
        "input_tokens": 1200,
        "token_type": "Bearer",
    }


def test_100_kb_is_fast() -> None:
    lines = [c.text for c in SECRET_CASES] + [t for _, t in INNOCENT_CASES]
    text = ""
    while len(text) < 100_000:
        text += "\n".join(lines) + "\n"
    text = text[:100_000]
    redact(text)  # warm up
    started = time.perf_counter()
    redact(text)
    elapsed = time.perf_counter() - started
    # Measured around tens of milliseconds; the bound only catches a pattern gone quadratic.
    assert elapsed < 1.0

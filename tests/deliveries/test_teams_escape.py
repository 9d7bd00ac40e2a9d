"""Teams renders Markdown in card text: nothing typed into a session becomes a link or formatting."""

from __future__ import annotations

import json
import re

from relaydesk.deliveries.teams import markdown_escape, teams_escalation_card

LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")  # an unescaped [text]( starts a Markdown link


def test_session_text_cannot_make_links_or_formatting() -> None:
    hostile = "[Reset your password](https://evil.example) **now**"
    card = teams_escalation_card(
        title=f"Escalated: {hostile}",
        problem=hostile,
        client="[Contoso](https://evil.example)",
        ticket="4711",
        priority="high",
        escalator="_Jane_",
        likely_cause=hostile,
        url="https://relaydesk.example/handoffs/1",
    )
    content = card["attachments"][0]["content"]
    texts = [b["text"] for b in content["body"] if b["type"] == "TextBlock"]
    texts += [f["value"] for b in content["body"] if b["type"] == "FactSet" for f in b["facts"]]
    assert len(texts) == 7
    for text in texts:
        assert not LINK.search(text), text
        assert "**" not in text.replace("\\*", ""), text
    assert content["actions"][0]["url"] == "https://relaydesk.example/handoffs/1"  # our link stays
    assert "evil.example" in json.dumps(content)  # shown as text, not dropped


def test_escaping_reads_back_as_the_original() -> None:
    """CommonMark drops a backslash before ASCII punctuation: removing them gives the text back."""
    for text in ("a_b*c [x](y) `z` #1 <b> 1. item", "C:\\Users\\jane", "plain words, ok."):
        assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown_escape(text)) == text

"""The content type from the bytes, the file name and header made safe, text redacted as it streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from relaydesk.attachments import serving
from relaydesk.attachments.schemas import size_text
from relaydesk.attachments.service import clean_filename
from relaydesk.attachments.sniffing import BINARY, GIF, JPEG, PNG, TEXT, WEBP, Sniffer, sniff
from tests.attachments import data


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (data.png(), PNG),
        (data.JPEG, JPEG),
        (data.GIF, GIF),
        (data.WEBP, WEBP),
        (data.HTML, TEXT),  # HTML is text: served as text/plain, never text/html
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', TEXT),
        ("Événement 1000: Outlook.exe ✗\n".encode(), TEXT),
        (b"MZ\x90\x00\x03\x00\x00\x00", BINARY),  # a Windows executable
        (b"text with a \x00 NUL", BINARY),
        (b"\xff\xfe n\x00o\x00t\x00", BINARY),  # UTF-16 is not UTF-8
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", BINARY),  # RIFF, but not WebP
        (b"ends inside a character \xe2\x82", BINARY),
    ],
)
def test_the_bytes_decide(raw: bytes, expected: str) -> None:
    assert sniff(raw) == expected


def test_fed_in_chunks_a_character_split_between_chunks_is_still_text() -> None:
    text = ("ok ✓ " * 1000).encode()
    sniffer = Sniffer()
    for i in range(0, len(text), 7):  # 7 bytes at a time splits many ✓ (3 bytes) across chunks
        sniffer.feed(text[i : i + 7])
    assert sniffer.content_type == TEXT


def test_a_png_signature_split_across_chunks_is_seen() -> None:
    sniffer = Sniffer()
    raw = data.png()
    sniffer.feed(raw[:3])
    sniffer.feed(raw[3:])
    assert sniffer.content_type == PNG


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("screenshot.png", "screenshot.png"),
        ("C:\\Users\\jane\\Desktop\\error.png", "error.png"),
        ("../../etc/passwd", "passwd"),
        ("evil\r\nSet-Cookie: x=1.txt", "evilSet-Cookie: x=1.txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("x" * 300 + ".log", "x" * 196 + ".log"),
    ],
)
def test_file_names_lose_folders_and_control_characters(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_sizes_read_as_people_read_them() -> None:
    assert [size_text(n) for n in (1, 12, 2048, 1500, 20_000, 10 * 1024 * 1024, 1536 * 1024)] == [
        "1 byte",
        "12 bytes",
        "2 kB",
        "1.5 kB",
        "20 kB",
        "10 MB",
        "1.5 MB",
    ]


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    header = serving.content_disposition(data.attachment_out('Réseau "log"; x.txt', TEXT))
    assert header == (
        "attachment; filename=\"R_seau _log__ x.txt\"; filename*=UTF-8''R%C3%A9seau%20%22log%22%3B%20x.txt"
    )
    assert serving.content_disposition(data.attachment_out("shot.png", PNG)).startswith(
        'inline; filename="shot.png"'
    )


@pytest.mark.parametrize(
    ("name", "content_type", "saved_as"),
    [
        ("setup.exe", PNG, "setup.exe.png"),
        ("photo.JPG", JPEG, "photo.JPG"),
        ("photo.jpeg", JPEG, "photo.jpeg"),
        ("page.html", TEXT, "page.html.txt"),
        ("run.ps1", TEXT, "run.ps1.txt"),
        ("outlook.log", TEXT, "outlook.log"),
        ("dump.bin", BINARY, "dump.bin"),
    ],
)
def test_the_saved_name_ends_as_the_type_does(name: str, content_type: str, saved_as: str) -> None:
    assert serving.download_name(data.attachment_out(name, content_type)) == saved_as


async def _stream(text: str, piece: int) -> AsyncIterator[bytes]:
    raw = text.encode()
    for i in range(0, len(raw), piece):
        yield raw[i : i + piece]


async def _redacted(text: str, piece: int = 100_003) -> str:
    return b"".join([part async for part in serving.redacted(_stream(text, piece))]).decode()


async def test_a_long_log_is_redacted_segment_by_segment_with_nothing_lost() -> None:
    filler = "".join(f"{n:06d} INFO sync ok for mailbox jane@harbor.example\n" for n in range(20_000))
    log = filler + "ERROR login failed, password: Winter2024!Harbor\n" + filler
    assert len(log) > 4 * serving.SEGMENT
    out = await _redacted(log)
    assert "Winter2024!Harbor" not in out
    assert "password: [redacted password]" in out
    assert out.count("\n") == log.count("\n")
    assert out.replace("password: [redacted password]", "") == log.replace("password: Winter2024!Harbor", "")


async def test_a_private_key_across_a_segment_boundary_is_redacted_whole() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "".join("MIIEowIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH\n" for _ in range(25))
        + "-----END RSA PRIVATE KEY-----\n"
    )
    # the key begins just before the first segment would end
    head = "x" * (serving.SEGMENT - 200) + "\n"
    out = await _redacted(head + key + "tail\n")
    assert "MIIEowIBAAKCAQEA" not in out
    assert "[redacted private key]" in out
    assert out.startswith(head) and out.endswith("tail\n")

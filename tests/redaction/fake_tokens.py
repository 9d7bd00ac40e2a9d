"""Made-up credentials in the vendors' published shapes, generated so none is a real key.

`fake(prefix, n, alphabet, seed)` is deterministic: the corpus reads the same on every run.
"""

from __future__ import annotations

import random
import string

ALNUM = string.ascii_letters + string.digits
ALNUM_DASH = ALNUM + "_-"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
LOWER = string.ascii_lowercase
UPPER_DIGITS = string.ascii_uppercase + string.digits


def fake(prefix: str, n: int, alphabet: str = ALNUM, seed: str = "", suffix: str = "") -> str:
    rng = random.Random(f"{prefix}|{n}|{seed}")
    body = "".join(rng.choice(alphabet) for _ in range(n))
    # Always both a digit and a letter, as real keys of this length have.
    digit = next((c for c in alphabet if c.isdigit()), None)
    letter = next((c for c in reversed(alphabet) if c.isalpha()), None)
    if digit and letter and n >= 4:
        body = digit.replace("0", "7") + body[1:-1] + letter
    return prefix + body + suffix


def groups(n: int, size: int, alphabet: str, sep: str = "-", seed: str = "") -> str:
    rng = random.Random(f"groups|{n}|{size}|{seed}")
    parts = ["".join(rng.choice(alphabet) for _ in range(size)) for _ in range(n)]
    if alphabet == UPPER_DIGITS:
        parts[0] = "7" + parts[0][1:-1] + "K"  # both letters and digits, as real keys have
    return sep.join(parts)

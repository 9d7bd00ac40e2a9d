"""The `masked` template filter: secrets in a stored step shown as a mask with a "Reveal" button."""

from __future__ import annotations

import uuid

from markupsafe import Markup, escape

from relaydesk.redaction.masking import parts


def masked(
    text: str | None, session_id: uuid.UUID | str | None, step_id: uuid.UUID | str | None, field: str
) -> Markup:
    if not text:
        return Markup("")
    out: list[str] = []
    for part in parts(text):
        if part.kind is None:
            out.append(str(escape(part.text)))
            continue
        label = escape(part.kind.value)
        if session_id is None or step_id is None:
            out.append(f'<span class="secret-mask"><span class="secret-value">•••••• {label}</span></span>')
            continue
        url = escape(f"/api/v1/sessions/{session_id}/steps/{step_id}/reveal")
        out.append(
            f'<span class="secret-mask" data-reveal="{url}" data-field="{escape(field)}" '
            f'data-index="{part.index}">'
            f'<span class="secret-value" title="Hidden {label}">•••••• {label}</span> '
            f'<button type="button" class="reveal link" aria-label="Reveal this {label}">Reveal</button>'
            "</span>"
        )
    return Markup("".join(out))


def holds_secret(text: str | None) -> bool:
    """Whether `text` has a part the pages show masked: such text is never put back in a form."""
    return bool(text) and any(part.kind is not None for part in parts(text or ""))

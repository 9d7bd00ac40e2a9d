"""One secret for every free-text field of a session, each in a form technicians type.

The end-to-end tests put these into a session, escalate and resolve it, and look for every value
in everything that left: model requests, stored model-run input, emails, chat, webhook, PSA notes.
"""

from __future__ import annotations

# field → (text to type, the secret inside it)
FIELDS: dict[str, tuple[str, str]] = {
    "problem": ("NAS login fails: administrator / Nas#Probl3m", "Nas#Probl3m"),
    "client": ("Acme Dental (portal admin:AcmePortal88)", "AcmePortal88"),
    "category": ("Network, vpn psk=Categ0ry!Psk", "Categ0ry!Psk"),
    "action": ("logged in as backupadmin with Bkp!Acti0n and restarted the job", "Bkp!Acti0n"),
    "result": ("mysql -u root -pR3sultPw! answered 'access denied'", "R3sultPw!"),
    "note": ("door alarm code is 4471, the client asked us to keep it handy", "4471"),
    "reason": ("her password is probably Reas0n#2024 but it is rejected", "Reas0n#2024"),
    "notes": ("SNMP community string is n0tes-C0mm on the core switch", "n0tes-C0mm"),
    "resolution": ("Reset the account; new password: Res0lved!99, user signed in fine", "Res0lved!99"),
    "history_problem": ("Old NAS: root:H1storyRoot99 stopped working", "H1storyRoot99"),
    "history_resolution": ("Set the NAS password to H1stRes!77 and rebooted", "H1stRes!77"),
}

SECRETS: tuple[str, ...] = tuple(secret for _, secret in FIELDS.values())


def text(field: str) -> str:
    return FIELDS[field][0]


def leaks(body: str) -> list[str]:
    """The secrets found in `body`."""
    return [s for s in SECRETS if s in body]

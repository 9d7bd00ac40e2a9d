"""The demo account: an MSP's team, its clients and ninety days of its work.

`relaydesk demo` seeds it once (idempotent by account name) and prints the logins; `--reset` starts
it over. Everything in it is fiction written for Relaydesk (history.jsonl, the people, the clients).

- team.py: the account, people, categories and calendar;
- history.py: history.jsonl (the import format) and how it is written into the account;
- activity.py: the escalations behind that history (claims, releases, withdrawals) for analytics;
- waiting.py: the two escalations waiting in the queue on first start;
- seed.py: the order of it all, idempotence and reset.
"""

from relaydesk.demo.seed import drop_account, seed
from relaydesk.demo.team import ACCOUNT_NAME, DEMO_PASSWORD, MSP_CATEGORIES, PEOPLE, logins

__all__ = ["ACCOUNT_NAME", "DEMO_PASSWORD", "MSP_CATEGORIES", "PEOPLE", "drop_account", "logins", "seed"]

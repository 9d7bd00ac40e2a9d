"""The worker's reminder queue: fires due pickup-SLA reminders (deliveries/service.py writes them)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from relaydesk.db.uow import Database
from relaydesk.deliveries import service as deliveries
from relaydesk.deliveries.models import Reminder


class ReminderQueue:
    """Fires due reminders. Firing only writes rows (bell items, deliveries), in one transaction."""

    name = "reminders"

    async def run_once(self, db: Database) -> bool:
        async with db.uow() as uow:
            due = await uow.rows(
                text("SELECT reminder_id, account_id FROM relaydesk_due_reminders(:n)"), {"n": 20}
            )
        for reminder_id, account_id in due:
            async with db.uow(account_id) as uow:
                reminder = await uow.scalar(
                    select(Reminder)
                    .where(
                        Reminder.id == reminder_id,
                        Reminder.status == "pending",
                        Reminder.due_at <= func.now(),
                    )
                    .with_for_update(skip_locked=True)
                )
                if reminder is None:
                    continue  # another worker has it, or a claim cancelled it meanwhile
                await deliveries.fire_reminder(uow, reminder)
                return True
        return False

"""Engine, unit of work, tenant scope and the embedded PostgreSQL."""

from relaydesk.db.base import Base
from relaydesk.db.uow import Database, UnitOfWork

__all__ = ["Base", "Database", "UnitOfWork"]

"""The similar-session search index (migration 0007), mapped so the models describe the whole schema.

The rows are written only by the database: the trigger that fires when a session resolves fills
`search_postings` (one row per resolved session and term), `search_terms` (each term's document
frequency in the account) and `search_corpus` (N and total length, for BM25's average document
length). summaries/similar.py reads them with SQL; nothing in Python writes them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import REAL, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base


class SearchPosting(Base):
    __tablename__ = "search_postings"
    __table_args__ = (
        PrimaryKeyConstraint("session_id", "term", name="pk_search_postings"),
        Index(
            "ix_search_postings_term",
            "account_id",
            "term",
            postgresql_include=["session_id", "tf", "doc_len"],
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(Text)
    tf: Mapped[float] = mapped_column(REAL)
    doc_len: Mapped[float] = mapped_column(REAL)


class SearchTerm(Base):
    __tablename__ = "search_terms"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "term", name="pk_search_terms"),
        # ix_search_terms_trgm (near spellings) exists only where pg_trgm does (migration 0007), so it
        # is not declared here; tests/db/test_schema.py leaves it out of the comparison.
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(Text)
    df: Mapped[int] = mapped_column(Integer)


class SearchCorpus(Base):
    __tablename__ = "search_corpus"
    __table_args__ = (PrimaryKeyConstraint("account_id", name="pk_search_corpus"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    docs: Mapped[int] = mapped_column(Integer)
    total_len: Mapped[float] = mapped_column(Float)

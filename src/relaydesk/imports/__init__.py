"""Imports: resolved history brought in from a CSV/JSONL file or the account's PSA."""

"""Relaydesk: escalation handoffs for IT support teams."""

__version__ = "0.1.0"

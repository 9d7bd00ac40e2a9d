"""Troubleshooting sessions and their steps."""

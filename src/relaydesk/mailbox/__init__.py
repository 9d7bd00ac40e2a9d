"""The demo's local mailbox: an SMTP server on loopback inside the process, and a page to read it."""

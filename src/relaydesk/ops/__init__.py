"""Running Relaydesk as a service: shutdown, database outages, health, metrics, logs, backups."""

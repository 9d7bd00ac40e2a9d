"""integrations: per-account settings of outbound channels (webhook URLs, PSA credentials, routing)."""

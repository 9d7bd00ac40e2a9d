"""Files on a step: screenshots and logs, stored in PostgreSQL and served so they never execute."""

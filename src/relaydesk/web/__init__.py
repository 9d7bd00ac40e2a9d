"""Pages, templates, static files, and the HTTP plumbing shared by api and pages."""

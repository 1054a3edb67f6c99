"""PostgreSQL wire protocol server (protocol 3.0)."""

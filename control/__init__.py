"""Control plane: the db9-server node entry point, the REST API and the db9 CLI."""

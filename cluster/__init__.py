"""Raft replication of the KV store (pysyncobj) and its gRPC service."""

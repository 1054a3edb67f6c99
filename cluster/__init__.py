"""Raft replication of the KV store (pysyncobj), its gRPC service and client.

convert.py       Python values <-> protobuf messages, errors included
raft_fixes.py    corrections to pysyncobj 0.3.17 applied at import
raft_transport.py Raft's wire format: AES-GCM, pickle 5, zlib only for big messages
identity.py      a member's durable identity file (node uuid, cluster id, role)
raft_identity.py wiped members do not vote until readmitted; diverged members stop
state_machine.py the replicated MVCC store: applies command batches to LMDB
proposer.py      group commit: many callers' commands in one Raft entry
raft_kv.py       the KvBackend a node's SQL layer uses
service.py       the gRPC Kv service
client.py        RemoteKv: a KvBackend over gRPC with leader-change retries
node.py          one cluster node: Raft + gRPC, started by db9-server
"""

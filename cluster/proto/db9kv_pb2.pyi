from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Mutation(_message.Message):
    __slots__ = ("op", "key", "value")
    OP_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    op: int
    key: bytes
    value: bytes
    def __init__(self, op: _Optional[int] = ..., key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class LockInfo(_message.Message):
    __slots__ = ("key", "primary", "start_ts", "ttl_ms", "kind", "has_short_value", "short_value", "txn_size")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HAS_SHORT_VALUE_FIELD_NUMBER: _ClassVar[int]
    SHORT_VALUE_FIELD_NUMBER: _ClassVar[int]
    TXN_SIZE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    primary: bytes
    start_ts: int
    ttl_ms: int
    kind: int
    has_short_value: bool
    short_value: bytes
    txn_size: int
    def __init__(self, key: _Optional[bytes] = ..., primary: _Optional[bytes] = ..., start_ts: _Optional[int] = ..., ttl_ms: _Optional[int] = ..., kind: _Optional[int] = ..., has_short_value: _Optional[bool] = ..., short_value: _Optional[bytes] = ..., txn_size: _Optional[int] = ...) -> None: ...

class KvError(_message.Message):
    __slots__ = ("kind", "message", "detail", "key", "start_ts", "commit_ts", "lock", "safepoint")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    LOCK_FIELD_NUMBER: _ClassVar[int]
    SAFEPOINT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    message: str
    detail: str
    key: bytes
    start_ts: int
    commit_ts: int
    lock: LockInfo
    safepoint: int
    def __init__(self, kind: _Optional[str] = ..., message: _Optional[str] = ..., detail: _Optional[str] = ..., key: _Optional[bytes] = ..., start_ts: _Optional[int] = ..., commit_ts: _Optional[int] = ..., lock: _Optional[_Union[LockInfo, _Mapping]] = ..., safepoint: _Optional[int] = ...) -> None: ...

class KvPair(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    value: bytes
    def __init__(self, key: _Optional[bytes] = ..., value: _Optional[bytes] = ...) -> None: ...

class RetainPoint(_message.Message):
    __slots__ = ("prefix", "ts")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    prefix: bytes
    ts: int
    def __init__(self, prefix: _Optional[bytes] = ..., ts: _Optional[int] = ...) -> None: ...

class PrewriteRequest(_message.Message):
    __slots__ = ("mutations", "primary", "start_ts", "lock_ttl_ms", "txn_size")
    MUTATIONS_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    LOCK_TTL_MS_FIELD_NUMBER: _ClassVar[int]
    TXN_SIZE_FIELD_NUMBER: _ClassVar[int]
    mutations: _containers.RepeatedCompositeFieldContainer[Mutation]
    primary: bytes
    start_ts: int
    lock_ttl_ms: int
    txn_size: int
    def __init__(self, mutations: _Optional[_Iterable[_Union[Mutation, _Mapping]]] = ..., primary: _Optional[bytes] = ..., start_ts: _Optional[int] = ..., lock_ttl_ms: _Optional[int] = ..., txn_size: _Optional[int] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("keys", "start_ts", "commit_ts")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[bytes]
    start_ts: int
    commit_ts: int
    def __init__(self, keys: _Optional[_Iterable[bytes]] = ..., start_ts: _Optional[int] = ..., commit_ts: _Optional[int] = ...) -> None: ...

class OnePcRequest(_message.Message):
    __slots__ = ("mutations", "start_ts", "commit_ts", "term")
    MUTATIONS_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    mutations: _containers.RepeatedCompositeFieldContainer[Mutation]
    start_ts: int
    commit_ts: int
    term: int
    def __init__(self, mutations: _Optional[_Iterable[_Union[Mutation, _Mapping]]] = ..., start_ts: _Optional[int] = ..., commit_ts: _Optional[int] = ..., term: _Optional[int] = ...) -> None: ...

class RollbackRequest(_message.Message):
    __slots__ = ("keys", "start_ts")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[bytes]
    start_ts: int
    def __init__(self, keys: _Optional[_Iterable[bytes]] = ..., start_ts: _Optional[int] = ...) -> None: ...

class CheckTxnStatusRequest(_message.Message):
    __slots__ = ("primary", "lock_ts", "current_ts", "rollback_if_not_exist")
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    LOCK_TS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TS_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_IF_NOT_EXIST_FIELD_NUMBER: _ClassVar[int]
    primary: bytes
    lock_ts: int
    current_ts: int
    rollback_if_not_exist: bool
    def __init__(self, primary: _Optional[bytes] = ..., lock_ts: _Optional[int] = ..., current_ts: _Optional[int] = ..., rollback_if_not_exist: _Optional[bool] = ...) -> None: ...

class HeartBeatRequest(_message.Message):
    __slots__ = ("primary", "start_ts", "ttl_ms")
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    TTL_MS_FIELD_NUMBER: _ClassVar[int]
    primary: bytes
    start_ts: int
    ttl_ms: int
    def __init__(self, primary: _Optional[bytes] = ..., start_ts: _Optional[int] = ..., ttl_ms: _Optional[int] = ...) -> None: ...

class ResolveLockRequest(_message.Message):
    __slots__ = ("start_ts", "commit_ts", "all_keys", "keys")
    START_TS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    ALL_KEYS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    start_ts: int
    commit_ts: int
    all_keys: bool
    keys: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, start_ts: _Optional[int] = ..., commit_ts: _Optional[int] = ..., all_keys: _Optional[bool] = ..., keys: _Optional[_Iterable[bytes]] = ...) -> None: ...

class TsoRequest(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class TsoWindowRequest(_message.Message):
    __slots__ = ("floor", "window_ms")
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MS_FIELD_NUMBER: _ClassVar[int]
    floor: int
    window_ms: int
    def __init__(self, floor: _Optional[int] = ..., window_ms: _Optional[int] = ...) -> None: ...

class ReadIndexRequest(_message.Message):
    __slots__ = ("ts",)
    TS_FIELD_NUMBER: _ClassVar[int]
    ts: int
    def __init__(self, ts: _Optional[int] = ...) -> None: ...

class ReadIndexResponse(_message.Message):
    __slots__ = ("error", "index")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    index: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., index: _Optional[int] = ...) -> None: ...

class GcRequest(_message.Message):
    __slots__ = ("safepoint", "retain", "full")
    SAFEPOINT_FIELD_NUMBER: _ClassVar[int]
    RETAIN_FIELD_NUMBER: _ClassVar[int]
    FULL_FIELD_NUMBER: _ClassVar[int]
    safepoint: int
    retain: _containers.RepeatedCompositeFieldContainer[RetainPoint]
    full: bool
    def __init__(self, safepoint: _Optional[int] = ..., retain: _Optional[_Iterable[_Union[RetainPoint, _Mapping]]] = ..., full: _Optional[bool] = ...) -> None: ...

class GcChunk(_message.Message):
    __slots__ = ("safepoint", "retain", "start_key_enc", "max_keys", "from_log")
    SAFEPOINT_FIELD_NUMBER: _ClassVar[int]
    RETAIN_FIELD_NUMBER: _ClassVar[int]
    START_KEY_ENC_FIELD_NUMBER: _ClassVar[int]
    MAX_KEYS_FIELD_NUMBER: _ClassVar[int]
    FROM_LOG_FIELD_NUMBER: _ClassVar[int]
    safepoint: int
    retain: _containers.RepeatedCompositeFieldContainer[RetainPoint]
    start_key_enc: bytes
    max_keys: int
    from_log: bool
    def __init__(self, safepoint: _Optional[int] = ..., retain: _Optional[_Iterable[_Union[RetainPoint, _Mapping]]] = ..., start_key_enc: _Optional[bytes] = ..., max_keys: _Optional[int] = ..., from_log: _Optional[bool] = ...) -> None: ...

class GcKeyVersions(_message.Message):
    __slots__ = ("key_enc", "commit_ts")
    KEY_ENC_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    key_enc: bytes
    commit_ts: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, key_enc: _Optional[bytes] = ..., commit_ts: _Optional[_Iterable[int]] = ...) -> None: ...

class GcDelete(_message.Message):
    __slots__ = ("safepoint", "retain", "versions", "log_keys", "has_cursor", "cursor")
    SAFEPOINT_FIELD_NUMBER: _ClassVar[int]
    RETAIN_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    LOG_KEYS_FIELD_NUMBER: _ClassVar[int]
    HAS_CURSOR_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    safepoint: int
    retain: _containers.RepeatedCompositeFieldContainer[RetainPoint]
    versions: _containers.RepeatedCompositeFieldContainer[GcKeyVersions]
    log_keys: _containers.RepeatedScalarFieldContainer[bytes]
    has_cursor: bool
    cursor: bytes
    def __init__(self, safepoint: _Optional[int] = ..., retain: _Optional[_Iterable[_Union[RetainPoint, _Mapping]]] = ..., versions: _Optional[_Iterable[_Union[GcKeyVersions, _Mapping]]] = ..., log_keys: _Optional[_Iterable[bytes]] = ..., has_cursor: _Optional[bool] = ..., cursor: _Optional[bytes] = ...) -> None: ...

class SetBranchRequest(_message.Message):
    __slots__ = ("child", "parent", "fork_ts", "replace")
    CHILD_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FORK_TS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    child: bytes
    parent: bytes
    fork_ts: int
    replace: bool
    def __init__(self, child: _Optional[bytes] = ..., parent: _Optional[bytes] = ..., fork_ts: _Optional[int] = ..., replace: _Optional[bool] = ...) -> None: ...

class DropPrefixChunk(_message.Message):
    __slots__ = ("prefix", "max_keys", "keep_link")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    MAX_KEYS_FIELD_NUMBER: _ClassVar[int]
    KEEP_LINK_FIELD_NUMBER: _ClassVar[int]
    prefix: bytes
    max_keys: int
    keep_link: bool
    def __init__(self, prefix: _Optional[bytes] = ..., max_keys: _Optional[int] = ..., keep_link: _Optional[bool] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("prewrite", "commit", "one_pc", "rollback", "check_txn_status", "heart_beat", "resolve_lock", "tso", "set_safepoint", "gc_chunk", "set_branch", "drop_prefix", "tso_window", "gc_delete")
    PREWRITE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    ONE_PC_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_FIELD_NUMBER: _ClassVar[int]
    CHECK_TXN_STATUS_FIELD_NUMBER: _ClassVar[int]
    HEART_BEAT_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_LOCK_FIELD_NUMBER: _ClassVar[int]
    TSO_FIELD_NUMBER: _ClassVar[int]
    SET_SAFEPOINT_FIELD_NUMBER: _ClassVar[int]
    GC_CHUNK_FIELD_NUMBER: _ClassVar[int]
    SET_BRANCH_FIELD_NUMBER: _ClassVar[int]
    DROP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    TSO_WINDOW_FIELD_NUMBER: _ClassVar[int]
    GC_DELETE_FIELD_NUMBER: _ClassVar[int]
    prewrite: PrewriteRequest
    commit: CommitRequest
    one_pc: OnePcRequest
    rollback: RollbackRequest
    check_txn_status: CheckTxnStatusRequest
    heart_beat: HeartBeatRequest
    resolve_lock: ResolveLockRequest
    tso: TsoRequest
    set_safepoint: GcRequest
    gc_chunk: GcChunk
    set_branch: SetBranchRequest
    drop_prefix: DropPrefixChunk
    tso_window: TsoWindowRequest
    gc_delete: GcDelete
    def __init__(self, prewrite: _Optional[_Union[PrewriteRequest, _Mapping]] = ..., commit: _Optional[_Union[CommitRequest, _Mapping]] = ..., one_pc: _Optional[_Union[OnePcRequest, _Mapping]] = ..., rollback: _Optional[_Union[RollbackRequest, _Mapping]] = ..., check_txn_status: _Optional[_Union[CheckTxnStatusRequest, _Mapping]] = ..., heart_beat: _Optional[_Union[HeartBeatRequest, _Mapping]] = ..., resolve_lock: _Optional[_Union[ResolveLockRequest, _Mapping]] = ..., tso: _Optional[_Union[TsoRequest, _Mapping]] = ..., set_safepoint: _Optional[_Union[GcRequest, _Mapping]] = ..., gc_chunk: _Optional[_Union[GcChunk, _Mapping]] = ..., set_branch: _Optional[_Union[SetBranchRequest, _Mapping]] = ..., drop_prefix: _Optional[_Union[DropPrefixChunk, _Mapping]] = ..., tso_window: _Optional[_Union[TsoWindowRequest, _Mapping]] = ..., gc_delete: _Optional[_Union[GcDelete, _Mapping]] = ...) -> None: ...

class RaftBatch(_message.Message):
    __slots__ = ("clock_ms", "commands")
    CLOCK_MS_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    clock_ms: int
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, clock_ms: _Optional[int] = ..., commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("key", "ts")
    KEY_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    ts: int
    def __init__(self, key: _Optional[bytes] = ..., ts: _Optional[int] = ...) -> None: ...

class BatchGetRequest(_message.Message):
    __slots__ = ("keys", "ts")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[bytes]
    ts: int
    def __init__(self, keys: _Optional[_Iterable[bytes]] = ..., ts: _Optional[int] = ...) -> None: ...

class ScanRequest(_message.Message):
    __slots__ = ("start", "has_end", "end", "ts", "limit", "reverse")
    START_FIELD_NUMBER: _ClassVar[int]
    HAS_END_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REVERSE_FIELD_NUMBER: _ClassVar[int]
    start: bytes
    has_end: bool
    end: bytes
    ts: int
    limit: int
    reverse: bool
    def __init__(self, start: _Optional[bytes] = ..., has_end: _Optional[bool] = ..., end: _Optional[bytes] = ..., ts: _Optional[int] = ..., limit: _Optional[int] = ..., reverse: _Optional[bool] = ...) -> None: ...

class ScanLocksRequest(_message.Message):
    __slots__ = ("max_ts", "start", "has_end", "end", "limit")
    MAX_TS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    HAS_END_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    max_ts: int
    start: bytes
    has_end: bool
    end: bytes
    limit: int
    def __init__(self, max_ts: _Optional[int] = ..., start: _Optional[bytes] = ..., has_end: _Optional[bool] = ..., end: _Optional[bytes] = ..., limit: _Optional[int] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("error", "found", "value")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    found: bool
    value: bytes
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., found: _Optional[bool] = ..., value: _Optional[bytes] = ...) -> None: ...

class PairsResponse(_message.Message):
    __slots__ = ("error", "pairs", "ts")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    pairs: _containers.RepeatedCompositeFieldContainer[KvPair]
    ts: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., pairs: _Optional[_Iterable[_Union[KvPair, _Mapping]]] = ..., ts: _Optional[int] = ...) -> None: ...

class OnePcBatchRequest(_message.Message):
    __slots__ = ("commits",)
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    commits: _containers.RepeatedCompositeFieldContainer[OnePcRequest]
    def __init__(self, commits: _Optional[_Iterable[_Union[OnePcRequest, _Mapping]]] = ...) -> None: ...

class OnePcResult(_message.Message):
    __slots__ = ("error", "start_ts", "commit_ts")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    START_TS_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    start_ts: int
    commit_ts: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., start_ts: _Optional[int] = ..., commit_ts: _Optional[int] = ...) -> None: ...

class OnePcBatchResponse(_message.Message):
    __slots__ = ("error", "results")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    results: _containers.RepeatedCompositeFieldContainer[OnePcResult]
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., results: _Optional[_Iterable[_Union[OnePcResult, _Mapping]]] = ...) -> None: ...

class EmptyResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ...) -> None: ...

class TsResponse(_message.Message):
    __slots__ = ("error", "ts", "read_index")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    READ_INDEX_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    ts: int
    read_index: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., ts: _Optional[int] = ..., read_index: _Optional[int] = ...) -> None: ...

class TxnStatusResponse(_message.Message):
    __slots__ = ("error", "state", "commit_ts", "lock_ttl_ms", "reason")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TS_FIELD_NUMBER: _ClassVar[int]
    LOCK_TTL_MS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    state: str
    commit_ts: int
    lock_ttl_ms: int
    reason: str
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., state: _Optional[str] = ..., commit_ts: _Optional[int] = ..., lock_ttl_ms: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("error", "count")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    count: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., count: _Optional[int] = ...) -> None: ...

class GcResponse(_message.Message):
    __slots__ = ("error", "keys_scanned", "versions_deleted", "has_next", "next_key_enc")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    KEYS_SCANNED_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_DELETED_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_FIELD_NUMBER: _ClassVar[int]
    NEXT_KEY_ENC_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    keys_scanned: int
    versions_deleted: int
    has_next: bool
    next_key_enc: bytes
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., keys_scanned: _Optional[int] = ..., versions_deleted: _Optional[int] = ..., has_next: _Optional[bool] = ..., next_key_enc: _Optional[bytes] = ...) -> None: ...

class LocksResponse(_message.Message):
    __slots__ = ("error", "locks")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    locks: _containers.RepeatedCompositeFieldContainer[LockInfo]
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., locks: _Optional[_Iterable[_Union[LockInfo, _Mapping]]] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BranchLinkInfo(_message.Message):
    __slots__ = ("child", "parent", "fork_ts")
    CHILD_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FORK_TS_FIELD_NUMBER: _ClassVar[int]
    child: bytes
    parent: bytes
    fork_ts: int
    def __init__(self, child: _Optional[bytes] = ..., parent: _Optional[bytes] = ..., fork_ts: _Optional[int] = ...) -> None: ...

class LinksResponse(_message.Message):
    __slots__ = ("error", "links")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    links: _containers.RepeatedCompositeFieldContainer[BranchLinkInfo]
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., links: _Optional[_Iterable[_Union[BranchLinkInfo, _Mapping]]] = ...) -> None: ...

class PeerStatus(_message.Message):
    __slots__ = ("raft_addr", "connected", "match_index", "next_index")
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    MATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    NEXT_INDEX_FIELD_NUMBER: _ClassVar[int]
    raft_addr: str
    connected: bool
    match_index: int
    next_index: int
    def __init__(self, raft_addr: _Optional[str] = ..., connected: _Optional[bool] = ..., match_index: _Optional[int] = ..., next_index: _Optional[int] = ...) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("node_id", "raft_addr", "grpc_addr", "state", "leader", "term", "commit_index", "applied_index", "log_length", "tso_last", "peers", "members", "disk_full", "leader_grpc", "raft_applied_index", "log_first_index")
    class MembersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    GRPC_ADDR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    COMMIT_INDEX_FIELD_NUMBER: _ClassVar[int]
    APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    LOG_LENGTH_FIELD_NUMBER: _ClassVar[int]
    TSO_LAST_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    DISK_FULL_FIELD_NUMBER: _ClassVar[int]
    LEADER_GRPC_FIELD_NUMBER: _ClassVar[int]
    RAFT_APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    LOG_FIRST_INDEX_FIELD_NUMBER: _ClassVar[int]
    node_id: int
    raft_addr: str
    grpc_addr: str
    state: str
    leader: str
    term: int
    commit_index: int
    applied_index: int
    log_length: int
    tso_last: int
    peers: _containers.RepeatedCompositeFieldContainer[PeerStatus]
    members: _containers.ScalarMap[str, str]
    disk_full: str
    leader_grpc: str
    raft_applied_index: int
    log_first_index: int
    def __init__(self, node_id: _Optional[int] = ..., raft_addr: _Optional[str] = ..., grpc_addr: _Optional[str] = ..., state: _Optional[str] = ..., leader: _Optional[str] = ..., term: _Optional[int] = ..., commit_index: _Optional[int] = ..., applied_index: _Optional[int] = ..., log_length: _Optional[int] = ..., tso_last: _Optional[int] = ..., peers: _Optional[_Iterable[_Union[PeerStatus, _Mapping]]] = ..., members: _Optional[_Mapping[str, str]] = ..., disk_full: _Optional[str] = ..., leader_grpc: _Optional[str] = ..., raft_applied_index: _Optional[int] = ..., log_first_index: _Optional[int] = ...) -> None: ...

class MembershipRequest(_message.Message):
    __slots__ = ("raft_addr",)
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    raft_addr: str
    def __init__(self, raft_addr: _Optional[str] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ("raft_addr", "grpc_addr")
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    GRPC_ADDR_FIELD_NUMBER: _ClassVar[int]
    raft_addr: str
    grpc_addr: str
    def __init__(self, raft_addr: _Optional[str] = ..., grpc_addr: _Optional[str] = ...) -> None: ...

class ComputeHashRequest(_message.Message):
    __slots__ = ("chunk_bits",)
    CHUNK_BITS_FIELD_NUMBER: _ClassVar[int]
    chunk_bits: int
    def __init__(self, chunk_bits: _Optional[int] = ...) -> None: ...

class ComputeHashResponse(_message.Message):
    __slots__ = ("error", "index")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    index: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., index: _Optional[int] = ...) -> None: ...

class HashRequest(_message.Message):
    __slots__ = ("index", "wait_ms")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    index: int
    wait_ms: int
    def __init__(self, index: _Optional[int] = ..., wait_ms: _Optional[int] = ...) -> None: ...

class HashChunk(_message.Message):
    __slots__ = ("start", "keys", "digest")
    START_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    start: bytes
    keys: int
    digest: bytes
    def __init__(self, start: _Optional[bytes] = ..., keys: _Optional[int] = ..., digest: _Optional[bytes] = ...) -> None: ...

class HashResponse(_message.Message):
    __slots__ = ("error", "state", "index", "applied_index", "chunks", "detail", "node_id", "raft_addr")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    state: str
    index: int
    applied_index: int
    chunks: _containers.RepeatedCompositeFieldContainer[HashChunk]
    detail: str
    node_id: int
    raft_addr: str
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., state: _Optional[str] = ..., index: _Optional[int] = ..., applied_index: _Optional[int] = ..., chunks: _Optional[_Iterable[_Union[HashChunk, _Mapping]]] = ..., detail: _Optional[str] = ..., node_id: _Optional[int] = ..., raft_addr: _Optional[str] = ...) -> None: ...

class MemberIdentity(_message.Message):
    __slots__ = ("raft_addr", "registered_uuid", "node_uuid", "role")
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_UUID_FIELD_NUMBER: _ClassVar[int]
    NODE_UUID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    raft_addr: str
    registered_uuid: str
    node_uuid: str
    role: str
    def __init__(self, raft_addr: _Optional[str] = ..., registered_uuid: _Optional[str] = ..., node_uuid: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class IdentityResponse(_message.Message):
    __slots__ = ("error", "node_uuid", "cluster_id", "role", "members", "votes_withheld")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    NODE_UUID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    VOTES_WITHHELD_FIELD_NUMBER: _ClassVar[int]
    error: KvError
    node_uuid: str
    cluster_id: str
    role: str
    members: _containers.RepeatedCompositeFieldContainer[MemberIdentity]
    votes_withheld: int
    def __init__(self, error: _Optional[_Union[KvError, _Mapping]] = ..., node_uuid: _Optional[str] = ..., cluster_id: _Optional[str] = ..., role: _Optional[str] = ..., members: _Optional[_Iterable[_Union[MemberIdentity, _Mapping]]] = ..., votes_withheld: _Optional[int] = ...) -> None: ...

class ReadmitRequest(_message.Message):
    __slots__ = ("raft_addr", "timeout_s")
    RAFT_ADDR_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    raft_addr: str
    timeout_s: int
    def __init__(self, raft_addr: _Optional[str] = ..., timeout_s: _Optional[int] = ...) -> None: ...

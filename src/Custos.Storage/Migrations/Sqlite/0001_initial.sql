-- Custos schema v1 (SQLite). Times are microseconds since the Unix epoch (UTC).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE secrets (
    name          TEXT PRIMARY KEY,
    wrapped_key   BLOB NOT NULL,
    ciphertext    BLOB NOT NULL,
    created_at_us INTEGER NOT NULL
);

CREATE TABLE audit_events (
    seq               INTEGER PRIMARY KEY,
    time_us           INTEGER NOT NULL,
    type              TEXT NOT NULL,
    actor_kind        TEXT NOT NULL,
    actor_id          TEXT NOT NULL,
    actor_name        TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    target            TEXT,
    reason            TEXT,
    source_ip         TEXT,
    source_user_agent TEXT,
    request_id        TEXT,
    details           TEXT NOT NULL,
    prev_hash         BLOB NOT NULL,
    hash              BLOB NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time_us);
CREATE INDEX audit_events_type ON audit_events (type, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_name, seq);
CREATE INDEX audit_events_target ON audit_events (target, seq);

-- Append-only: the product never updates or deletes events. (Someone with write access to the file can drop
-- these triggers; the hash chain and signed checkpoints are what detect that.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    signature BLOB NOT NULL,
    key_id    TEXT NOT NULL
);

CREATE TABLE bootstrap_tokens (
    id            TEXT PRIMARY KEY,
    token_hash    BLOB NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    used_at_us    INTEGER
);

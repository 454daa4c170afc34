-- Custos schema v7 (Sqlite): SSH node enrolment and CA rotation.
-- ssh_node_join_tokens: one-time join tokens, by SHA-256 (hex) of the token; used_at_us is set when a node redeems it.
CREATE TABLE ssh_node_join_tokens (
    token_hash    TEXT NOT NULL PRIMARY KEY,
    node          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    used_at_us    INTEGER
);
CREATE INDEX ssh_node_join_tokens_expiry ON ssh_node_join_tokens (expires_at_us);
-- ssh_nodes: the host key each enrolled node proved it holds, and its last host certificate.
CREATE TABLE ssh_nodes (
    node                  TEXT NOT NULL PRIMARY KEY,
    host_public_key       TEXT NOT NULL,
    host_key_fingerprint  TEXT NOT NULL,
    enrolled_at_us        INTEGER NOT NULL,
    last_sync_at_us       INTEGER,
    host_cert_serial      TEXT,
    host_cert_valid_before_us INTEGER
);
-- ssh_ca_rotations: where each CA's rotation stands (no row: standby, never rotated). version guards every change, so
-- two instances moving an automatic rotation on at once make one step, not two.
CREATE TABLE ssh_ca_rotations (
    ca_type              TEXT NOT NULL PRIMARY KEY,
    phase                TEXT NOT NULL,
    mode                 TEXT,
    started_at_us        INTEGER,
    grace_us             INTEGER,
    phase_changed_at_us  INTEGER NOT NULL,
    version              INTEGER NOT NULL
);

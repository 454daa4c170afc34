-- Custos schema v6 (Postgres): the SSH key revocation list of the user CA. One row per revoked serial, key (SHA-256
-- fingerprint) or key id; expires_at_us is when no certificate it covers can still be valid (NULL: kept for good).
CREATE TABLE ssh_revocations (
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    revoked_by    TEXT NOT NULL,
    revoked_at_us BIGINT NOT NULL,
    expires_at_us BIGINT,
    PRIMARY KEY (kind, value)
);

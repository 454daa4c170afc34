-- Custos schema v5 (PostgreSQL): the SSH certificate authorities' keys. The private half of each is a sealed secret
-- named 'ssh-ca:' || id in the secrets table. At most one active key per CA (the partial unique index), so two
-- instances starting on a new database agree on one.
CREATE TABLE ssh_ca_keys (
    id            TEXT NOT NULL PRIMARY KEY,
    ca_type       TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX ssh_ca_keys_one_active ON ssh_ca_keys (ca_type) WHERE state = 'active';

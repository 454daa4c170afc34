-- Custos schema v4 (SQLite): the policy engine's inputs (resource inventory, roles, trait-to-role mappings) and a
-- one-row policy version that every write to them increases in the same transaction, so instances notice changes.
-- Times are microseconds since the Unix epoch (UTC). database_names is a JSON array and labels a JSON object, as text.
-- Keys say NOT NULL explicitly: SQLite otherwise accepts NULL in a TEXT PRIMARY KEY.
CREATE TABLE resources (
    name                 TEXT NOT NULL PRIMARY KEY,
    kind                 TEXT NOT NULL,
    address              TEXT NOT NULL,
    port                 INTEGER NOT NULL,
    database_names       TEXT NOT NULL,
    host_key_fingerprint TEXT,
    trust_host_ca        INTEGER NOT NULL,
    url                  TEXT,
    labels               TEXT NOT NULL,
    revision             INTEGER NOT NULL,
    created_at_us        INTEGER NOT NULL,
    updated_at_us        INTEGER NOT NULL
);

CREATE TABLE roles (
    name          TEXT NOT NULL PRIMARY KEY,
    yaml          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL,
    updated_by    TEXT NOT NULL
);

CREATE TABLE role_mappings (
    trait_key   TEXT NOT NULL,
    trait_value TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (trait_key, trait_value, role)
);

CREATE TABLE policy_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO policy_version (id, version) VALUES (1, 0);

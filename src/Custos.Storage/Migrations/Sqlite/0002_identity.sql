-- Custos schema v2 (SQLite): identities, credentials, sessions, invitations, bot credentials, login throttling.
-- Times are microseconds since the Unix epoch (UTC). Foreign keys need PRAGMA foreign_keys = ON (set per connection).
CREATE TABLE identities (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL UNIQUE,
    display_name     TEXT,
    email            TEXT,
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    traits           TEXT NOT NULL,
    created_at_us    INTEGER NOT NULL,
    last_login_at_us INTEGER,
    revision         INTEGER NOT NULL
);

CREATE TABLE identity_roles (
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    PRIMARY KEY (identity_id, role)
);
CREATE INDEX identity_roles_role ON identity_roles (role, identity_id);

CREATE TABLE passwords (
    identity_id   TEXT PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    hash          TEXT NOT NULL,
    changed_at_us INTEGER NOT NULL
);

CREATE TABLE totp_credentials (
    identity_id    TEXT PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    wrapped_key    BLOB NOT NULL,
    ciphertext     BLOB NOT NULL,
    confirmed      INTEGER NOT NULL,
    last_used_step INTEGER NOT NULL,
    created_at_us  INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    identity_id   TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    code_hash     BLOB NOT NULL,
    created_at_us INTEGER NOT NULL,
    used_at_us    INTEGER,
    PRIMARY KEY (identity_id, id)
);

CREATE TABLE webauthn_credentials (
    credential_id   BLOB PRIMARY KEY,
    identity_id     TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    public_key      BLOB NOT NULL,
    sign_count      INTEGER NOT NULL,
    aaguid          TEXT NOT NULL,
    name            TEXT NOT NULL,
    created_at_us   INTEGER NOT NULL,
    last_used_at_us INTEGER
);
CREATE INDEX webauthn_credentials_identity ON webauthn_credentials (identity_id);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    identity_id    TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    token_hash     BLOB NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    created_at_us  INTEGER NOT NULL,
    expires_at_us  INTEGER NOT NULL,
    mfa_at_us      INTEGER,
    source_ip      TEXT,
    user_agent     TEXT,
    revoked_at_us  INTEGER,
    revoked_reason TEXT
);
CREATE INDEX sessions_identity ON sessions (identity_id);
CREATE INDEX sessions_revoked ON sessions (revoked_at_us);
CREATE INDEX sessions_expires ON sessions (expires_at_us);

CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    identity_id   TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL,
    token_hash    BLOB NOT NULL,
    created_by    TEXT NOT NULL,
    created_at_us INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    used_at_us    INTEGER
);
CREATE INDEX invitations_identity ON invitations (identity_id, purpose);

CREATE TABLE bot_credentials (
    identity_id   TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    generation    INTEGER NOT NULL,
    secret_hash   BLOB NOT NULL,
    issued_at_us  INTEGER NOT NULL,
    expires_at_us INTEGER NOT NULL,
    ttl_us        INTEGER NOT NULL,
    PRIMARY KEY (identity_id, generation)
);

CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    window_start_us INTEGER NOT NULL,
    locked_until_us INTEGER,
    lockouts        INTEGER NOT NULL,
    updated_at_us   INTEGER NOT NULL
);

CREATE TABLE known_sources (
    identity_id     TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    source_ip       TEXT NOT NULL,
    last_seen_at_us INTEGER NOT NULL,
    PRIMARY KEY (identity_id, source_ip)
);

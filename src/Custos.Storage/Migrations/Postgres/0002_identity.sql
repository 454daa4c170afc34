-- Custos schema v2 (PostgreSQL): identities, credentials, sessions, invitations, bot credentials, login throttling.
-- Times are microseconds since the Unix epoch (UTC), as in the SQLite schema.
CREATE TABLE identities (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    name_key         text NOT NULL UNIQUE,
    display_name     text,
    email            text,
    kind             text NOT NULL,
    status           text NOT NULL,
    traits           text NOT NULL,
    created_at_us    bigint NOT NULL,
    last_login_at_us bigint,
    revision         bigint NOT NULL
);

CREATE TABLE identity_roles (
    identity_id text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    role        text NOT NULL,
    PRIMARY KEY (identity_id, role)
);
CREATE INDEX identity_roles_role ON identity_roles (role, identity_id);

CREATE TABLE passwords (
    identity_id   text PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    hash          text NOT NULL,
    changed_at_us bigint NOT NULL
);

CREATE TABLE totp_credentials (
    identity_id    text PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    wrapped_key    bytea NOT NULL,
    ciphertext     bytea NOT NULL,
    confirmed      boolean NOT NULL,
    last_used_step bigint NOT NULL,
    created_at_us  bigint NOT NULL
);

CREATE TABLE recovery_codes (
    identity_id   text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    id            text NOT NULL,
    code_hash     bytea NOT NULL,
    created_at_us bigint NOT NULL,
    used_at_us    bigint,
    PRIMARY KEY (identity_id, id)
);

CREATE TABLE webauthn_credentials (
    credential_id   bytea PRIMARY KEY,
    identity_id     text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    public_key      bytea NOT NULL,
    sign_count      bigint NOT NULL,
    aaguid          text NOT NULL,
    name            text NOT NULL,
    created_at_us   bigint NOT NULL,
    last_used_at_us bigint
);
CREATE INDEX webauthn_credentials_identity ON webauthn_credentials (identity_id);

CREATE TABLE sessions (
    id             text PRIMARY KEY,
    identity_id    text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    token_hash     bytea NOT NULL UNIQUE,
    kind           text NOT NULL,
    created_at_us  bigint NOT NULL,
    expires_at_us  bigint NOT NULL,
    mfa_at_us      bigint,
    source_ip      text,
    user_agent     text,
    revoked_at_us  bigint,
    revoked_reason text
);
CREATE INDEX sessions_identity ON sessions (identity_id);
CREATE INDEX sessions_revoked ON sessions (revoked_at_us);
CREATE INDEX sessions_expires ON sessions (expires_at_us);

CREATE TABLE invitations (
    id            text PRIMARY KEY,
    identity_id   text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    purpose       text NOT NULL,
    token_hash    bytea NOT NULL,
    created_by    text NOT NULL,
    created_at_us bigint NOT NULL,
    expires_at_us bigint NOT NULL,
    used_at_us    bigint
);
CREATE INDEX invitations_identity ON invitations (identity_id, purpose);

CREATE TABLE bot_credentials (
    identity_id   text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    generation    bigint NOT NULL,
    secret_hash   bytea NOT NULL,
    issued_at_us  bigint NOT NULL,
    expires_at_us bigint NOT NULL,
    ttl_us        bigint NOT NULL,
    PRIMARY KEY (identity_id, generation)
);

CREATE TABLE login_throttle (
    key             text PRIMARY KEY,
    failures        integer NOT NULL,
    window_start_us bigint NOT NULL,
    locked_until_us bigint,
    lockouts        integer NOT NULL,
    updated_at_us   bigint NOT NULL
);

CREATE TABLE known_sources (
    identity_id     text NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    source_ip       text NOT NULL,
    last_seen_at_us bigint NOT NULL,
    PRIMARY KEY (identity_id, source_ip)
);

-- Custos schema v1 (PostgreSQL). Times are microseconds since the Unix epoch (UTC), as in the SQLite schema,
-- so a value hashes the same whichever engine stored it.
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE secrets (
    name          text PRIMARY KEY,
    wrapped_key   bytea NOT NULL,
    ciphertext    bytea NOT NULL,
    created_at_us bigint NOT NULL
);

CREATE TABLE audit_events (
    seq               bigint PRIMARY KEY,
    time_us           bigint NOT NULL,
    type              text NOT NULL,
    actor_kind        text NOT NULL,
    actor_id          text NOT NULL,
    actor_name        text NOT NULL,
    outcome           text NOT NULL,
    target            text,
    reason            text,
    source_ip         text,
    source_user_agent text,
    request_id        text,
    details           text NOT NULL,
    prev_hash         bytea NOT NULL,
    hash              bytea NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time_us);
CREATE INDEX audit_events_type ON audit_events (type, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_name, seq);
CREATE INDEX audit_events_target ON audit_events (target, seq);

CREATE FUNCTION custos_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();

CREATE TABLE audit_checkpoints (
    seq       bigint PRIMARY KEY,
    time_us   bigint NOT NULL,
    head_hash bytea NOT NULL,
    signature bytea NOT NULL,
    key_id    text NOT NULL
);

CREATE TABLE bootstrap_tokens (
    id            text PRIMARY KEY,
    token_hash    bytea NOT NULL,
    created_at_us bigint NOT NULL,
    expires_at_us bigint NOT NULL,
    used_at_us    bigint
);

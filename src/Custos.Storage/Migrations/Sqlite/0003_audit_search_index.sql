-- Audit search indexes leave the append path (docs/audit.md, "Storage"). On SQLite every secondary index of
-- audit_events cost about as much per appended row as the row itself, on the single writer that acknowledges events.
-- audit_events now keeps only its INTEGER PRIMARY KEY (seq); audit_search is a derived copy of the filter columns,
-- filled after the commit that made the events durable. Queries read events up to MAX(audit_search.seq) through
-- these indexes and scan the not-yet-indexed tail by seq, so every durable event is found. The hash chain and the
-- checkpoints never read audit_search: it is rebuilt from audit_events and is not part of what is verified.
DROP INDEX audit_events_time;
DROP INDEX audit_events_type;
DROP INDEX audit_events_actor;
DROP INDEX audit_events_target;

CREATE TABLE audit_search (
    seq        INTEGER PRIMARY KEY,
    time_us    INTEGER NOT NULL,
    type       TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    target     TEXT,
    outcome    TEXT NOT NULL
);
CREATE INDEX audit_search_time ON audit_search (time_us);
CREATE INDEX audit_search_type ON audit_search (type, seq);
CREATE INDEX audit_search_actor ON audit_search (actor_name, seq);
CREATE INDEX audit_search_target ON audit_search (target, seq);

INSERT INTO audit_search (seq, time_us, type, actor_id, actor_name, target, outcome)
SELECT seq, time_us, type, actor_id, actor_name, target, outcome FROM audit_events WHERE seq > 0 ORDER BY seq;

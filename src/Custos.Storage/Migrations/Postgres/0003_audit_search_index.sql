-- Schema version 3 moved SQLite's audit search indexes off the append path (see the SQLite migration 0003).
-- PostgreSQL keeps its indexes on audit_events: there, index maintenance runs inside the server and overlaps with
-- the WAL flush of the group commit, and several instances append to one table. This migration keeps the schema
-- versions of both engines aligned and records the decision.
COMMENT ON TABLE audit_events IS 'Custos audit log: append-only, hash-chained (docs/audit.md). Search indexes live on this table.';

-- The audit ledger (F-80, F-81): append-only, hash-chained. `seq` is assigned by the single
-- writer; each row stores the previous row's hash and its own. Rows are never updated: a call's
-- pending entry is finalized by a later entry that refers to it. Not removed with a tenant.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at_ms         BIGINT NOT NULL,
    tenant_id     TEXT,
    user_ref      TEXT,
    action        TEXT NOT NULL,
    status        TEXT NOT NULL,
    code          TEXT,
    provider      TEXT,
    model         TEXT,
    purpose       TEXT,
    input_tokens  BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micros   BIGINT NOT NULL,
    latency_ms    BIGINT NOT NULL,
    fallback      BIGINT NOT NULL,
    trace_id      TEXT,
    refers_to     BIGINT,
    detail        TEXT,
    prev_hash     BYTEA NOT NULL,
    hash          BYTEA NOT NULL
);
CREATE INDEX audit_tenant_time ON audit_log (tenant_id, at_ms);
CREATE INDEX audit_time ON audit_log (at_ms);
CREATE INDEX audit_refers ON audit_log (refers_to) WHERE refers_to IS NOT NULL;

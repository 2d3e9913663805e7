-- Usage records: one row per LLM call (F-23 budgets are rebuilt from these; F-55 reports).
CREATE TABLE usage_records (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    at_ms         BIGINT NOT NULL,
    user_ref      TEXT NOT NULL,
    api_key_id    TEXT,
    source        TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    input_tokens  BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micros   BIGINT NOT NULL,
    status        TEXT NOT NULL,
    degraded      BIGINT NOT NULL,
    unpriced      BIGINT NOT NULL,
    latency_ms    BIGINT NOT NULL
);
CREATE INDEX usage_tenant_time ON usage_records (tenant_id, at_ms);
CREATE INDEX usage_key_time ON usage_records (api_key_id, at_ms) WHERE api_key_id IS NOT NULL;

ALTER TABLE usage_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_records
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));

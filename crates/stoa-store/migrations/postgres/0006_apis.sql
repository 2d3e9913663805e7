-- Tenant API registry (F-70): each registered API with its OpenAPI document; the upstream
-- credential sealed with the tenant's data key, never returned.
CREATE TABLE tenant_apis (
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    base_url          TEXT NOT NULL,
    openapi           TEXT NOT NULL,
    credential_header TEXT,
    credential_sealed BYTEA,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

ALTER TABLE tenant_apis ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_apis FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_apis
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));

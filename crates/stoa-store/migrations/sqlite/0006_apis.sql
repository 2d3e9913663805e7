-- Tenant API registry (F-70): each registered API with its OpenAPI document; the upstream
-- credential sealed with the tenant's data key, never returned.
CREATE TABLE tenant_apis (
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    base_url          TEXT NOT NULL,
    openapi           TEXT NOT NULL,
    credential_header TEXT,
    credential_sealed BLOB,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

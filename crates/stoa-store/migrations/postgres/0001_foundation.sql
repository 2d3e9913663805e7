-- Foundation schema (PostgreSQL). Same shape as the SQLite schema; tenant-owned tables carry
-- row-level security keyed on the transaction setting `stoa.tenant_id` as a second line of
-- defence behind the tenant filter every query already has.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'archived')),
    settings    TEXT NOT NULL,
    auth_issuer TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX tenants_auth_issuer ON tenants (auth_issuer) WHERE auth_issuer IS NOT NULL;

CREATE TABLE api_keys (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    role               TEXT NOT NULL,
    key_hash           BYTEA NOT NULL UNIQUE,
    hint               TEXT NOT NULL,
    purposes           TEXT NOT NULL,
    daily_token_budget BIGINT,
    expires_at         BIGINT,
    revoked_at         BIGINT,
    created_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));

CREATE TABLE api_key_index (
    key_hash  BYTEA PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE
);

CREATE TABLE platform_secrets (
    name       TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE platform_identities (
    subject    TEXT PRIMARY KEY,
    role       TEXT NOT NULL REFERENCES roles (name),
    created_at BIGINT NOT NULL
);

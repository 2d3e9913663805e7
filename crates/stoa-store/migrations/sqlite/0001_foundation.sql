-- Foundation schema (SQLite). Timestamps are Unix milliseconds; JSON is stored as TEXT.
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
    key_hash           BLOB NOT NULL UNIQUE,
    hint               TEXT NOT NULL,
    purposes           TEXT NOT NULL,
    daily_token_budget BIGINT,
    expires_at         BIGINT,
    revoked_at         BIGINT,
    created_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- Hash -> (tenant, key): the one lookup that is not tenant-scoped (authentication).
CREATE TABLE api_key_index (
    key_hash  BLOB PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE
);

CREATE TABLE platform_secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
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

-- Chat (F-50..F-57): conversations and messages, content sealed with the tenant's data key.
CREATE TABLE tenant_data_keys (
    tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    wrapped_key BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE conversations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_ref     TEXT NOT NULL,
    title_sealed BYTEA,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX conversations_user ON conversations (tenant_id, user_ref, updated_at);
CREATE INDEX conversations_idle ON conversations (tenant_id, updated_at);

CREATE TABLE chat_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    content_sealed  BYTEA NOT NULL,
    source          TEXT NOT NULL,
    status          TEXT NOT NULL,
    input_tokens    BIGINT NOT NULL,
    output_tokens   BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, created_at);

ALTER TABLE tenant_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_data_keys
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversations
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));
ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chat_messages
    USING (tenant_id = current_setting('stoa.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('stoa.tenant_id', true));

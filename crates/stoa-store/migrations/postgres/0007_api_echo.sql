-- Demo APIs (F-73): answer with an echo when the upstream is unreachable.
ALTER TABLE tenant_apis ADD COLUMN echo_fallback BIGINT NOT NULL DEFAULT 0;

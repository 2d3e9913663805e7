-- Budget alerts (F-27): one row per (tenant, window instance, threshold) ever alerted, so each
-- threshold fires once per period, across restarts and replicas.
CREATE TABLE budget_alerts (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    threshold    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, scope, period_start, threshold)
);

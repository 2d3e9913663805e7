-- Start-up finds orphaned pending entries without scanning the whole ledger (P9).
CREATE INDEX audit_pending ON audit_log (seq) WHERE status = 'pending';

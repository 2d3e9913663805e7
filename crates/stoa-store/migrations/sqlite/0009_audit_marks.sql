-- Recovery's watermark (P9): every pending ledger entry with seq <= `seq` is finalized, so
-- start-up looks only at the entries after it instead of at every pending entry ever written.
CREATE TABLE audit_marks (
    name TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL
);

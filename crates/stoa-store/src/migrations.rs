//! Migrations, embedded in the binary so a fresh machine needs nothing but the executable.
//! Each version has a SQLite and a PostgreSQL script; both must describe the same schema.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// (version, description, SQLite script, PostgreSQL script)
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "usage",
        include_str!("../migrations/sqlite/0002_usage.sql"),
        include_str!("../migrations/postgres/0002_usage.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/sqlite/0003_audit.sql"),
        include_str!("../migrations/postgres/0003_audit.sql"),
    ),
    (
        4,
        "chat",
        include_str!("../migrations/sqlite/0004_chat.sql"),
        include_str!("../migrations/postgres/0004_chat.sql"),
    ),
    (
        5,
        "alerts",
        include_str!("../migrations/sqlite/0005_alerts.sql"),
        include_str!("../migrations/postgres/0005_alerts.sql"),
    ),
    (
        6,
        "apis",
        include_str!("../migrations/sqlite/0006_apis.sql"),
        include_str!("../migrations/postgres/0006_apis.sql"),
    ),
    (
        7,
        "api_echo",
        include_str!("../migrations/sqlite/0007_api_echo.sql"),
        include_str!("../migrations/postgres/0007_api_echo.sql"),
    ),
    (
        8,
        "audit_pending",
        include_str!("../migrations/sqlite/0008_audit_pending.sql"),
        include_str!("../migrations/postgres/0008_audit_pending.sql"),
    ),
    (
        9,
        "audit_marks",
        include_str!("../migrations/sqlite/0009_audit_marks.sql"),
        include_str!("../migrations/postgres/0009_audit_marks.sql"),
    ),
];

pub(crate) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
}

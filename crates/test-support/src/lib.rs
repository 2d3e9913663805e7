//! Shared test harness: throwaway PostgreSQL databases and clear skip notices.
//!
//! Tests that need a service read its URL from the environment (`STOA_TEST_DATABASE_URL`,
//! `STOA_TEST_REDIS_URL`); `.ci/run` sets them. Without one, the test prints a SKIPPED line
//! straight to stderr (not captured by the test harness) and returns.

// A test harness: failing loudly (panicking) is the right response to a broken environment.
#![allow(clippy::print_stderr, clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;

use sqlx::Connection;

/// Prints a skip notice that `cargo test` shows even for passing tests.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// A PostgreSQL database created for one test and dropped by [`PgDb::drop_db`].
pub struct PgDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDb {
    /// Creates a fresh database, or returns `None` (after printing SKIPPED) when
    /// `STOA_TEST_DATABASE_URL` is not set.
    pub async fn create(test: &str) -> Option<PgDb> {
        let Some(admin_url) =
            std::env::var("STOA_TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())
        else {
            skip(test, "STOA_TEST_DATABASE_URL is not set (PostgreSQL tests need it)");
            return None;
        };
        let name = format!("stoa_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("STOA_TEST_DATABASE_URL is set but unreachable: {e}"));
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url = replace_db(&admin_url, &name);
        Some(PgDb { admin_url, name, url })
    }

    /// Drops the database (forcing out leftover connections).
    pub async fn drop_db(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut conn)
                .await;
        }
    }
}

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{host}/{db}?{q}"),
        None => format!("{host}/{db}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_name() {
        assert_eq!(super::replace_db("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(super::replace_db("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            super::replace_db("postgres://u@h/p?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}

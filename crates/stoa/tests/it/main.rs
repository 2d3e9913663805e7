//! Integration tests: the real router on a random port (and the real binary where a test is
//! about the process), against SQLite in a temp dir and PostgreSQL when configured.
//! One test binary for the crate (every file under `tests/` would link separately).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_pass_by_value)]

mod harness;

mod alerts;
mod api_keys;
mod apis;
mod audit;
mod canary;
mod chat;
mod chat_settings;
mod cli;
mod cluster;
mod json;
mod jwt;
mod mcp;
mod observability;
mod oidc;
mod otlp;
mod pii;
mod proxy;
mod rbac;
mod tenants;

//! Stoa's domain core: identities, tenants, RBAC, API keys and the services that combine them.
//!
//! Invariant: this crate never imports axum or sqlx. Storage is reached only through the
//! [`ports::Store`] trait, whose tenant-scoped methods all take a [`TenantId`]; the HTTP layer
//! calls one [`Core`] method per request and maps the result.

pub mod alerts;
pub mod apikey;
pub mod audit;
mod auditing;
mod authn;
pub mod bootstrap;
pub mod budget;
pub mod cache;
pub mod chat;
pub mod clock;
pub mod error;
pub mod identity;
pub mod ids;
pub mod keys;
pub mod llm;
pub mod ports;
pub mod rbac;
pub mod registry;
pub mod review;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod tenant;
pub mod trace;
pub mod usage;

pub use auditing::{Recovery, verify_chain};
pub use error::{Error, Result};
pub use identity::{Credential, Principal};
pub use ids::{ApiKeyId, Subject, TenantId};
pub use rbac::{Action, Role};
pub use service::{Core, CoreConfig};
pub use tenant::{Tenant, TenantStatus, Tier};

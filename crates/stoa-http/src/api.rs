//! Handlers, one module per resource.

pub(crate) mod api_keys;
pub(crate) mod apis;
pub(crate) mod audit;
pub(crate) mod chat;
pub(crate) mod conversations;
pub(crate) mod health;
pub(crate) mod proxy;
pub(crate) mod tenants;

//! Shared state handed to handlers. Kept small: the core, plus what readiness reports.

use std::sync::Arc;

use stoa_core::Core;

#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
}

impl AppState {
    pub fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

//! Provider keys in memory (F-40, F-41): the key ring the pipeline takes keys from.
//!
//! Keys are held as `secrecy::SecretString` (Debug prints `[REDACTED]`) and exposed only by the
//! provider client where the header is set. A call takes an `Arc` of the key when it starts, so
//! a rotation (`replace`) never changes the key of a call in flight. Loading from files and the
//! environment is the binary's business (`stoa::secrets`); this is only the in-memory ring.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use secrecy::{ExposeSecret, SecretString};
use stoa_llm::ProviderKind;

use crate::clock::now_ms;

/// What the ring knows about one provider's key, without the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyStatus {
    pub provider: ProviderKind,
    pub configured: bool,
    /// 1 for the first key loaded, +1 on every change.
    pub generation: u64,
    pub loaded_at_ms: i64,
    /// Last call that the provider answered (ms), if any since start.
    pub last_success_ms: Option<i64>,
    /// Class of the last provider failure (`rate_limited`, `server`, …), if any.
    pub last_error: Option<&'static str>,
}

#[derive(Default, Clone, Copy)]
struct Health {
    last_success_ms: Option<i64>,
    last_error: Option<&'static str>,
}

struct Slot {
    key: Arc<SecretString>,
    generation: u64,
    loaded_at_ms: i64,
}

#[derive(Default)]
pub struct KeyRing {
    slots: RwLock<HashMap<ProviderKind, Slot>>,
    health: RwLock<HashMap<ProviderKind, Health>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing([redacted])")
    }
}

impl KeyRing {
    pub fn new(keys: HashMap<ProviderKind, SecretString>) -> Self {
        let ring = Self::default();
        ring.replace(keys);
        ring
    }

    /// The current key of a provider.
    pub fn get(&self, provider: ProviderKind) -> Option<Arc<SecretString>> {
        self.slots.read().get(&provider).map(|s| s.key.clone())
    }

    /// Installs a freshly loaded set; returns the providers whose key changed, with their new
    /// generation. A provider missing from `keys` loses its key.
    pub fn replace(&self, keys: HashMap<ProviderKind, SecretString>) -> Vec<(ProviderKind, u64)> {
        let mut slots = self.slots.write();
        let mut changed = Vec::new();
        let now = now_ms();
        let removed: Vec<ProviderKind> =
            slots.keys().filter(|p| !keys.contains_key(p)).copied().collect();
        for p in removed {
            slots.remove(&p);
            changed.push((p, 0));
        }
        for (p, key) in keys {
            let same = slots.get(&p).is_some_and(|s| s.key.expose_secret() == key.expose_secret());
            if same {
                continue;
            }
            let generation = slots.get(&p).map_or(1, |s| s.generation + 1);
            slots.insert(p, Slot { key: Arc::new(key), generation, loaded_at_ms: now });
            changed.push((p, generation));
        }
        changed
    }

    /// Notes how a call with this provider's key went (for `GET /v1/admin/keys`).
    pub fn note(&self, provider: ProviderKind, outcome: Result<(), &'static str>) {
        let mut h = self.health.write();
        let e = h.entry(provider).or_default();
        match outcome {
            Ok(()) => e.last_success_ms = Some(now_ms()),
            Err(class) => e.last_error = Some(class),
        }
    }

    pub fn status(&self) -> Vec<KeyStatus> {
        let slots = self.slots.read();
        let health = self.health.read();
        ProviderKind::ALL
            .into_iter()
            .map(|p| {
                let h = health.get(&p).copied().unwrap_or_default();
                let (configured, generation, loaded_at_ms) = match slots.get(&p) {
                    Some(s) => (true, s.generation, s.loaded_at_ms),
                    None => (false, 0, 0),
                };
                KeyStatus {
                    provider: p,
                    configured,
                    generation,
                    loaded_at_ms,
                    last_success_ms: h.last_success_ms,
                    last_error: h.last_error,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(ProviderKind, &str)]) -> HashMap<ProviderKind, SecretString> {
        pairs.iter().map(|(p, k)| (*p, SecretString::from((*k).to_owned()))).collect()
    }

    #[test]
    fn rotation_bumps_generation_and_keeps_old_arcs() {
        let ring = KeyRing::new(keys(&[(ProviderKind::OpenAi, "sk-one")]));
        let in_flight = ring.get(ProviderKind::OpenAi).unwrap();
        assert_eq!(ring.replace(keys(&[(ProviderKind::OpenAi, "sk-one")])), vec![]);
        assert_eq!(
            ring.replace(keys(&[(ProviderKind::OpenAi, "sk-two")])),
            vec![(ProviderKind::OpenAi, 2)]
        );
        assert_eq!(in_flight.expose_secret(), "sk-one", "a call keeps the key it started with");
        assert_eq!(ring.get(ProviderKind::OpenAi).unwrap().expose_secret(), "sk-two");
        assert!(!format!("{ring:?}").contains("sk-"));
        let status = ring.status();
        assert!(status.iter().any(|s| s.provider == ProviderKind::OpenAi && s.generation == 2));
        assert!(status.iter().any(|s| s.provider == ProviderKind::Gemini && !s.configured));
    }
}

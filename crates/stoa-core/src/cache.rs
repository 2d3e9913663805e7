//! Cache invalidation across replicas (F-02): when a replica changes a tenant or revokes a key,
//! every replica forgets its cached copy at once. The transport (Redis pub/sub) is a port; a
//! single process needs none, since it forgets locally anyway.

/// What to forget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheEvent {
    /// A tenant's row (status, settings, realm) changed.
    Tenant(String),
    /// An API key (by the hex of its hash) was revoked.
    ApiKey(String),
    /// Forget every cached tenant, key and realm (e.g. after missed messages).
    All,
}

impl CacheEvent {
    pub fn encode(&self) -> String {
        match self {
            CacheEvent::Tenant(t) => format!("tenant:{t}"),
            CacheEvent::ApiKey(h) => format!("key:{h}"),
            CacheEvent::All => "all".into(),
        }
    }
    pub fn decode(s: &str) -> Option<Self> {
        match s.split_once(':') {
            Some(("tenant", t)) => Some(CacheEvent::Tenant(t.to_owned())),
            Some(("key", h)) => Some(CacheEvent::ApiKey(h.to_owned())),
            _ if s == "all" => Some(CacheEvent::All),
            _ => None,
        }
    }
}

/// Sends invalidations to the other replicas.
pub trait Broadcast: Send + Sync {
    fn publish(&self, event: CacheEvent);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for e in
            [CacheEvent::Tenant("acme".into()), CacheEvent::ApiKey("ab12".into()), CacheEvent::All]
        {
            assert_eq!(CacheEvent::decode(&e.encode()), Some(e));
        }
        assert_eq!(CacheEvent::decode("nonsense"), None);
    }
}

//! Cache invalidation over Redis pub/sub: `RedisBroadcast` publishes a replica's changes, and
//! `subscribe` applies the other replicas' changes here. Publishing never blocks a request (a
//! spawned, time-bounded PUBLISH); a subscriber that loses its connection reconnects and first
//! forgets everything (it may have missed messages).

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use stoa_core::cache::{Broadcast, CacheEvent};

/// Publishes invalidations on one channel.
pub struct RedisBroadcast {
    conn: ConnectionManager,
    channel: String,
}

impl RedisBroadcast {
    pub fn new(conn: ConnectionManager, channel: impl Into<String>) -> Self {
        Self { conn, channel: channel.into() }
    }
}

impl Broadcast for RedisBroadcast {
    fn publish(&self, event: CacheEvent) {
        let mut conn = self.conn.clone();
        let channel = self.channel.clone();
        tokio::spawn(async move {
            let mut cmd = redis::cmd("PUBLISH");
            cmd.arg(&channel).arg(event.encode());
            let sent =
                tokio::time::timeout(Duration::from_millis(500), cmd.query_async::<i64>(&mut conn))
                    .await;
            if !matches!(sent, Ok(Ok(_))) {
                tracing::warn!("cache invalidation not published; other replicas expire it by TTL");
            }
        });
    }
}

/// Listens on `channel` until the process ends, calling `apply` for every event (and with
/// `CacheEvent::All` after each (re)connection).
pub fn subscribe(
    url: &str,
    channel: String,
    apply: impl Fn(CacheEvent) + Send + Sync + 'static,
) -> Result<(), crate::ConnectError> {
    let client = redis::Client::open(url).map_err(|_| crate::ConnectError::InvalidUrl)?;
    tokio::spawn(async move {
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => {
                    if pubsub.subscribe(&channel).await.is_ok() {
                        apply(CacheEvent::All);
                        let mut messages = pubsub.on_message();
                        while let Some(msg) = messages.next().await {
                            if let Ok(payload) = msg.get_payload::<String>()
                                && let Some(event) = CacheEvent::decode(&payload)
                            {
                                apply(event);
                            }
                        }
                    }
                    tracing::warn!("cache invalidation subscription lost; reconnecting");
                }
                Err(_) => tracing::warn!("cannot subscribe to cache invalidations; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    Ok(())
}

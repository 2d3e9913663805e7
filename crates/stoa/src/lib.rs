//! The Stoa application: wiring of configuration, storage, core and HTTP, used by the binary
//! and by the integration tests alike.

pub mod config;
pub mod secrets;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use stoa_core::bootstrap::Item;
use stoa_core::{Core, CoreConfig};
use stoa_store::SqlStore;
use tokio::net::TcpListener;

use crate::config::{Config, Database};

/// Opens the database and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<SqlStore> {
    let store = match &config.database {
        Database::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create data directory {}", dir.display()))?;
            }
            SqlStore::open_sqlite(path)
                .await
                .with_context(|| format!("cannot open SQLite database {}", path.display()))?
        }
        Database::Postgres(_) => SqlStore::open_postgres(database_url(config))
            .await
            .context("cannot connect to PostgreSQL (STOA_DATABASE_URL)")?,
    };
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

fn database_url(config: &Config) -> &str {
    match &config.database {
        Database::Postgres(url) => url,
        Database::Sqlite(_) => "",
    }
}

/// The shared HTTP client for outbound calls (JWKS now, providers later): pooled, with
/// timeouts, TCP_NODELAY.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(30))
        .tcp_nodelay(true)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .build()
        .context("cannot build the HTTP client")
}

/// Everything `serve` and the state-touching commands need: migrated storage, bootstrapped
/// platform secrets, the core. Returns the bootstrap report.
pub async fn build(config: &Config) -> anyhow::Result<(Arc<Core>, Vec<Item>)> {
    let store = open_store(config).await?;
    let (master, master_item) = secrets::load_master_key(config)?;
    let (issuer, mut items) = stoa_core::bootstrap::run(&store, &master)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap failed: {e}"))?;
    items.insert(0, master_item);
    let options = stoa_auth::VerifierOptions {
        min_refresh_interval: config.jwks_min_refresh,
        ..stoa_auth::VerifierOptions::default()
    };
    let verifier = stoa_auth::Verifier::new(http_client()?, options);
    let mut core_config = CoreConfig::new(config.public_url.clone());
    core_config.platform_issuer = config.platform_issuer.clone();
    core_config.cache_ttl = config.cache_ttl;
    core_config.alert_retry_base = config.alert_retry_base;
    core_config.budget_defaults = stoa_core::settings::BudgetDefaults {
        daily: config.chat.default_daily_limit,
        monthly: config.chat.default_monthly_limit,
    };
    let store: Arc<dyn stoa_core::ports::Store> = Arc::new(store);
    let ledger = stoa_core::audit::Ledger::open(store.clone())
        .await
        .context("cannot open the audit ledger")?;
    let reload_config = config.clone();
    let loader: stoa_core::service::KeyLoader =
        Arc::new(move || secrets::load_provider_keys(&reload_config).map_err(|e| format!("{e:#}")));
    let core = Core::new(store, &master, issuer, verifier, ledger, core_config)
        .with_llm(llm_settings(config)?)
        .with_key_loader(loader)
        .with_registry_policy(stoa_core::registry::RegistryPolicy {
            prod: config.environment == config::Environment::Prod,
            allow_prod_writes: config.allow_prod_api_writes,
            upstream_allowlist: config.upstream_allowlist.clone(),
        })
        .with_chat(stoa_core::chat::agent::ChatPolicy {
            enabled: config.chat.agent_enabled,
            kill_switch: config.chat.kill_switch,
            model: config.chat.agent_model.clone(),
            max_messages: u32::try_from(config.chat.max_conversation_messages).unwrap_or(u32::MAX),
            retention_days: config.chat.retention_days,
            ..stoa_core::chat::agent::ChatPolicy::default()
        });
    let core = match &config.redis_url {
        None => core,
        Some(url) => {
            // Lazy: the gateway starts while Redis is down and refuses LLM calls (503) until
            // it is back; budgets are never counted locally in cluster mode.
            let counters = stoa_redis::RedisCounters::connect_lazy(
                url,
                &config.redis_prefix,
                stoa_redis::RedisOptions::default(),
            )
            .map_err(|e| anyhow::anyhow!("invalid configuration: STOA_REDIS_URL: {e}"))?;
            let broadcast = counters.broadcast(format!("{}invalidate", config.redis_prefix));
            core.with_counters(Arc::new(counters)).with_broadcast(Arc::new(broadcast))
        }
    };
    core.recover_interrupted(stoa_core::Recovery::Start)
        .await
        .map_err(|e| anyhow::anyhow!("cannot finalize interrupted calls: {e}"))?;
    let core = Arc::new(core);
    if let Some(url) = &config.redis_url {
        // Other replicas' changes: forget the cached copies here (weak: the subscription must
        // not keep a stopped server alive).
        let weak = Arc::downgrade(&core);
        stoa_redis::subscribe(url, format!("{}invalidate", config.redis_prefix), move |event| {
            if let Some(core) = weak.upgrade() {
                core.apply_cache_event(&event);
            }
        })
        .map_err(|e| anyhow::anyhow!("invalid configuration: STOA_REDIS_URL: {e}"))?;
    }
    Ok((core, items))
}

/// Providers (one pooled client each), keys, prices, aliases and limits of the pipeline.
pub fn llm_settings(config: &Config) -> anyhow::Result<stoa_core::llm::LlmSettings> {
    use stoa_llm::{Provider, ProviderKind};
    let pc = &config.providers;
    let client = || -> anyhow::Result<reqwest::Client> {
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .read_timeout(pc.request_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build()
            .context("cannot build a provider HTTP client")
    };
    let url = |var: &str, v: &str| -> anyhow::Result<stoa_auth::Url> {
        stoa_auth::Url::parse(v)
            .map_err(|_| anyhow::anyhow!("invalid configuration: {var}: not a URL"))
    };
    let mut providers = std::collections::HashMap::new();
    for (kind, var, base) in [
        (ProviderKind::Anthropic, "STOA_ANTHROPIC_BASE_URL", &pc.anthropic_base),
        (ProviderKind::OpenAi, "STOA_OPENAI_BASE_URL", &pc.openai_base),
        (ProviderKind::Gemini, "STOA_GEMINI_BASE_URL", &pc.gemini_base),
    ] {
        providers.insert(kind, Provider::new(kind, url(var, base)?, client()?));
    }
    let local = match &pc.local_base {
        Some(base) => Some((
            Provider::new(ProviderKind::Local, url("STOA_LOCAL_LLM_URL", base)?, client()?),
            pc.local_model.clone(),
        )),
        None => None,
    };
    let keys = secrets::load_provider_keys(config)?;
    // The tokenizer's vocabulary loads in ~0.1 s: off the start-up path, before the first call.
    std::thread::spawn(stoa_llm::tokens::warm_up);
    let mut prices = stoa_llm::PriceTable::default();
    if let Some(overrides) = &pc.price_overrides {
        prices = prices
            .with_overrides(overrides)
            .map_err(|e| anyhow::anyhow!("invalid configuration: STOA_PRICES: {e}"))?;
    }
    let backoff = stoa_llm::Backoff {
        max_attempts: pc.max_attempts,
        max_total_wait: pc.max_retry_wait,
        ..stoa_llm::Backoff::default()
    };
    Ok(stoa_core::llm::LlmSettings {
        providers,
        local,
        keys: Arc::new(stoa_core::keys::KeyRing::new(keys)),
        prices,
        aliases: pc.aliases.iter().cloned().collect(),
        backoff,
        max_input_tokens: config.chat.max_input_tokens,
        default_max_output: 4096,
    })
}

/// A running server: its address and a handle to stop it.
pub struct Server {
    pub addr: SocketAddr,
    pub core: Arc<Core>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Builds the app and serves it on `listener` until [`Server::stop`] or the future returned
    /// by `signal` completes.
    pub async fn start(
        config: &Config,
        listener: TcpListener,
    ) -> anyhow::Result<(Self, Vec<Item>)> {
        let (core, items) = build(config).await?;
        let addr = listener.local_addr()?;
        let app = stoa_http::router(stoa_http::AppState::new(core.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok((Self { addr, core, shutdown: Some(tx), task }, items))
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // In-flight requests and streams finish (their budgets settle, their ledger entries
        // finalize) up to a deadline; then queued usage and ledger entries are written.
        match tokio::time::timeout(std::time::Duration::from_secs(30), &mut self.task).await {
            Ok(done) => done.context("server task panicked")?.context("server failed")?,
            Err(_) => {
                tracing::warn!("shutdown deadline reached with requests still in flight");
                self.task.abort();
            }
        }
        // The calls of this server are over: finalize what they left (cut at the deadline), so
        // the next start has nothing to look at.
        if let Err(e) = self.core.recover_interrupted(stoa_core::Recovery::Shutdown).await {
            tracing::error!(error = %e, "finalizing interrupted calls at shutdown failed");
        }
        self.core.shutdown().await;
        Ok(())
    }

    /// Waits for the server to end by itself (it only does on error) or for `signal`.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

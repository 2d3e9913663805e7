//! Configuration: the only place that reads the environment (F-12 section 12).
//!
//! Values are read once through an [`Env`] (the process environment in production, a map in
//! tests) and validated into [`Config`]. An invalid value stops start-up with one line naming
//! the variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where configuration values come from.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned().filter(|v| !v.is_empty())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub enum Database {
    /// The embedded default: `<data dir>/stoa.db`.
    Sqlite(PathBuf),
    Postgres(String),
}

/// The `CHAT_*` settings of section 12 that apply to every LLM call.
#[derive(Clone, Debug)]
pub struct ChatConfig {
    pub agent_enabled: bool,
    pub agent_model: String,
    pub kill_switch: bool,
    pub default_daily_limit: Option<u64>,
    pub default_monthly_limit: Option<u64>,
    pub max_conversation_messages: u64,
    pub max_input_tokens: u64,
    pub retention_days: u64,
}

/// Providers: where they are and how to call them (keys are loaded by `secrets`).
#[derive(Clone, Debug)]
pub struct ProvidersConfig {
    pub anthropic_base: String,
    pub openai_base: String,
    pub gemini_base: String,
    /// Tier A fallback: a local OpenAI-compatible server (`STOA_LOCAL_LLM_URL`).
    pub local_base: Option<String>,
    /// The model name sent to the local server (`STOA_LOCAL_MODEL`).
    pub local_model: String,
    /// Keys from the environment; files in the secret directories win over these.
    pub env_keys: Vec<(&'static str, secrecy::SecretString)>,
    /// `alias=provider/model` pairs (`STOA_MODEL_ALIASES`, comma separated).
    pub aliases: Vec<(String, String)>,
    /// Price overrides: a JSON object `{"provider/model": {"input": .., "output": ..}}`
    /// (`STOA_PRICES`).
    pub price_overrides: Option<serde_json::Value>,
    pub max_attempts: u32,
    pub max_retry_wait: Duration,
    pub request_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database: Database,
    pub environment: Environment,
    pub deployment_mode: String,
    /// Export traces over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT` set; the
    /// exporter reads the `OTEL_*` variables itself).
    pub otlp_traces: bool,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// Directories holding one file per secret (systemd credentials, mounted secrets).
    pub secret_dirs: Vec<PathBuf>,
    /// `STOA_MASTER_KEY`, base64 of 32 bytes.
    pub master_key_b64: Option<String>,
    pub platform_issuer: Option<stoa_core::service::PlatformIssuer>,
    pub cache_ttl: Duration,
    /// At most one JWKS refresh per issuer per this interval (`STOA_JWKS_MIN_REFRESH_SECS`).
    pub jwks_min_refresh: Duration,
    pub chat: ChatConfig,
    pub providers: ProvidersConfig,
    /// First retry delay of budget-alert webhooks (`STOA_ALERT_RETRY_MS`).
    pub alert_retry_base: Duration,
    /// `STOA_REDIS_URL`: shared budget and rate-limit counters for several replicas.
    pub redis_url: Option<String>,
    /// `STOA_REDIS_PREFIX` (default `stoa:`): namespaces Stoa's keys in a shared Redis.
    pub redis_prefix: String,
    /// `STOA_ALLOW_PROD_API_WRITES`: API definitions writable in prod mode.
    pub allow_prod_api_writes: bool,
    /// `STOA_UPSTREAM_ALLOWLIST`: comma-separated hosts allowed as upstreams in prod mode
    /// although loopback or private.
    pub upstream_allowlist: Vec<String>,
}

/// A configuration error: names the variable, never echoes a secret value.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::error::Error for ConfigError {}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {}", self.0)
    }
}

impl Config {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let err = |var: &str, why: &str| ConfigError(format!("{var}: {why}"));
        let listen: SocketAddr = match env.get("STOA_LISTEN") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v
                .parse()
                .map_err(|_| err("STOA_LISTEN", "expected HOST:PORT, e.g. 127.0.0.1:8080"))?,
        };
        let public_url = match env.get("STOA_PUBLIC_URL") {
            None => format!("http://{listen}"),
            Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                v.trim_end_matches('/').to_owned()
            }
            Some(_) => return Err(err("STOA_PUBLIC_URL", "expected an http(s) URL")),
        };
        let data_dir =
            PathBuf::from(env.get("STOA_DATA_DIR").unwrap_or_else(|| "./stoa-data".into()));
        let database = match env.get("STOA_DATABASE_URL") {
            None => Database::Sqlite(data_dir.join("stoa.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url)
            }
            Some(url) if url.starts_with("sqlite://") => {
                Database::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://")))
            }
            Some(_) => {
                return Err(err("STOA_DATABASE_URL", "expected postgres://… or sqlite://PATH"));
            }
        };
        let environment = match env.get("STOA_ENVIRONMENT").as_deref() {
            None | Some("dev") => Environment::Dev,
            Some("staging") => Environment::Staging,
            Some("prod") => Environment::Prod,
            Some(_) => return Err(err("STOA_ENVIRONMENT", "expected dev, staging or prod")),
        };
        let deployment_mode = match env.get("STOA_DEPLOYMENT_MODE") {
            Some(v) if ["embedded", "cluster"].contains(&v.as_str()) => v,
            Some(_) => return Err(err("STOA_DEPLOYMENT_MODE", "expected embedded or cluster")),
            None => match database {
                Database::Sqlite(_) => "embedded".into(),
                Database::Postgres(_) => "cluster".into(),
            },
        };
        let otlp_traces = stoa_core::trace::otlp_wanted(|v| env.get(v));
        let log_format = match env.get("STOA_LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            None if environment == Environment::Prod => LogFormat::Json,
            None => LogFormat::Text,
            Some(_) => return Err(err("STOA_LOG_FORMAT", "expected json or text")),
        };
        let secret_dirs = ["CREDENTIALS_DIRECTORY", "STOA_SECRETS_DIR"]
            .iter()
            .filter_map(|v| env.get(v).map(PathBuf::from))
            .collect();
        let platform_issuer = match env.get("STOA_PLATFORM_ISSUER") {
            None => None,
            Some(issuer) if issuer.starts_with("http://") || issuer.starts_with("https://") => {
                Some(stoa_core::service::PlatformIssuer {
                    issuer,
                    jwks_uri: env.get("STOA_PLATFORM_JWKS_URI"),
                    audiences: env
                        .get("STOA_PLATFORM_AUDIENCE")
                        .map(|a| a.split(',').map(|s| s.trim().to_owned()).collect())
                        .unwrap_or_default(),
                })
            }
            Some(_) => return Err(err("STOA_PLATFORM_ISSUER", "expected an http(s) URL")),
        };
        let cache_ttl = match env.get("STOA_CACHE_TTL_SECS") {
            None => Duration::from_secs(30),
            Some(v) => Duration::from_secs(
                v.parse().map_err(|_| err("STOA_CACHE_TTL_SECS", "expected seconds"))?,
            ),
        };
        let jwks_min_refresh = match env.get("STOA_JWKS_MIN_REFRESH_SECS") {
            None => Duration::from_secs(10),
            Some(v) => Duration::from_secs(
                v.parse().map_err(|_| err("STOA_JWKS_MIN_REFRESH_SECS", "expected seconds"))?,
            ),
        };
        let bool_var = |var: &str, default: bool| match env.get(var).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(_) => Err(err(var, "expected true or false")),
        };
        let u64_var = |var: &str| -> Result<Option<u64>, ConfigError> {
            env.get(var)
                .map(|v| v.parse().map_err(|_| err(var, "expected a non-negative integer")))
                .transpose()
        };
        let chat = ChatConfig {
            agent_enabled: bool_var("CHAT_AGENT_ENABLED", true)?,
            agent_model: env.get("CHAT_AGENT_MODEL").unwrap_or_else(|| "claude-sonnet-4-6".into()),
            kill_switch: bool_var("CHAT_KILL_SWITCH", false)?,
            default_daily_limit: u64_var("CHAT_DEFAULT_DAILY_LIMIT")?,
            default_monthly_limit: u64_var("CHAT_DEFAULT_MONTHLY_LIMIT")?,
            max_conversation_messages: u64_var("CHAT_MAX_CONVERSATION_MESSAGES")?.unwrap_or(50),
            max_input_tokens: u64_var("CHAT_MAX_INPUT_TOKENS")?.unwrap_or(4096),
            retention_days: u64_var("CHAT_RETENTION_DAYS")?.unwrap_or(90),
        };
        let url_var = |var: &str, default: &str| -> Result<String, ConfigError> {
            let v = env.get(var).unwrap_or_else(|| default.to_owned());
            if v.starts_with("http://") || v.starts_with("https://") {
                Ok(v.trim_end_matches('/').to_owned())
            } else {
                Err(err(var, "expected an http(s) URL without a trailing path"))
            }
        };
        let local_base = match env.get("STOA_LOCAL_LLM_URL") {
            None => None,
            Some(_) => Some(url_var("STOA_LOCAL_LLM_URL", "")?),
        };
        let mut aliases = Vec::new();
        if let Some(list) = env.get("STOA_MODEL_ALIASES") {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (a, m) = pair
                    .split_once('=')
                    .filter(|(a, m)| !a.is_empty() && m.contains('/'))
                    .ok_or_else(|| err("STOA_MODEL_ALIASES", "expected alias=provider/model,…"))?;
                aliases.push((a.trim().to_owned(), m.trim().to_owned()));
            }
        }
        let price_overrides = env
            .get("STOA_PRICES")
            .map(|v| {
                serde_json::from_str(&v).map_err(|_| err("STOA_PRICES", "expected a JSON object"))
            })
            .transpose()?;
        let env_keys = [
            ("anthropic", "ANTHROPIC_API_KEY"),
            ("openai", "OPENAI_API_KEY"),
            ("gemini", "GEMINI_API_KEY"),
            ("local", "STOA_LOCAL_LLM_KEY"),
        ]
        .into_iter()
        .filter_map(|(p, var)| {
            env.get(var).map(|v| (p, secrecy::SecretString::from(v.trim().to_owned())))
        })
        .collect();
        let providers = ProvidersConfig {
            anthropic_base: url_var("STOA_ANTHROPIC_BASE_URL", "https://api.anthropic.com")?,
            openai_base: url_var("STOA_OPENAI_BASE_URL", "https://api.openai.com")?,
            gemini_base: url_var(
                "STOA_GEMINI_BASE_URL",
                "https://generativelanguage.googleapis.com",
            )?,
            local_base,
            local_model: env.get("STOA_LOCAL_MODEL").unwrap_or_else(|| "local".into()),
            env_keys,
            aliases,
            price_overrides,
            max_attempts: u64_var("STOA_PROVIDER_MAX_ATTEMPTS")?.unwrap_or(3).clamp(1, 10) as u32,
            max_retry_wait: Duration::from_millis(
                u64_var("STOA_PROVIDER_MAX_RETRY_WAIT_MS")?.unwrap_or(10_000),
            ),
            request_timeout: Duration::from_secs(
                u64_var("STOA_PROVIDER_TIMEOUT_SECS")?.unwrap_or(120),
            ),
        };
        Ok(Self {
            listen,
            public_url,
            data_dir,
            database,
            environment,
            deployment_mode,
            otlp_traces,
            log_format,
            log_filter: env
                .get("STOA_LOG")
                .or_else(|| env.get("RUST_LOG"))
                .unwrap_or_else(|| "info".into()),
            secret_dirs,
            master_key_b64: env.get("STOA_MASTER_KEY"),
            platform_issuer,
            cache_ttl,
            jwks_min_refresh,
            chat,
            providers,
            alert_retry_base: Duration::from_millis(
                u64_var("STOA_ALERT_RETRY_MS")?.unwrap_or(1000),
            ),
            redis_url: match env.get("STOA_REDIS_URL") {
                None => None,
                Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => Some(u),
                Some(_) => return Err(err("STOA_REDIS_URL", "expected redis://…")),
            },
            redis_prefix: env.get("STOA_REDIS_PREFIX").unwrap_or_else(|| "stoa:".into()),
            allow_prod_api_writes: bool_var("STOA_ALLOW_PROD_API_WRITES", false)?,
            upstream_allowlist: env
                .get("STOA_UPSTREAM_ALLOWLIST")
                .map(|v| {
                    v.split(',').map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_are_embedded() {
        let c = Config::from_env(&env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.deployment_mode, "embedded");
        assert!(matches!(c.database, Database::Sqlite(ref p) if p.ends_with("stoa-data/stoa.db")));
    }

    #[test]
    fn errors_name_the_variable() {
        for (var, val) in [
            ("STOA_LISTEN", "nope"),
            ("STOA_DATABASE_URL", "mysql://x"),
            ("STOA_ENVIRONMENT", "production"),
            ("STOA_LOG_FORMAT", "xml"),
            ("CHAT_MAX_INPUT_TOKENS", "-1"),
            ("CHAT_KILL_SWITCH", "maybe"),
            ("STOA_OPENAI_BASE_URL", "api.openai.com"),
            ("STOA_MODEL_ALIASES", "fast"),
            ("STOA_PRICES", "{nope"),
        ] {
            let e = Config::from_env(&env(&[(var, val)])).unwrap_err().to_string();
            assert!(e.contains(var), "{e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn keys_never_print() {
        let c = Config::from_env(&env(&[("OPENAI_API_KEY", "sk-canary-123")])).unwrap();
        assert!(!format!("{c:?}").contains("canary"));
        assert_eq!(c.providers.env_keys.len(), 1);
    }

    #[test]
    fn postgres_means_cluster() {
        let c =
            Config::from_env(&env(&[("STOA_DATABASE_URL", "postgres://localhost/stoa")])).unwrap();
        assert_eq!(c.deployment_mode, "cluster");
    }
}

//! Command line (section 13): `serve`, `bootstrap`, `token issue`, `migrate`.
//! Every command that touches state takes the same environment as `serve`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use stoa::config::{Config, Database, LogFormat, ProcessEnv};
use stoa_core::{Role, TenantId};

#[derive(Parser)]
#[command(name = "stoa", version, about = "Stoa: a multi-tenant AI gateway and control plane")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (bootstraps on first start).
    Serve,
    /// Create what a fresh installation needs; reports each item as created or already existing.
    Bootstrap,
    /// Apply database migrations and exit.
    Migrate,
    /// Built-in token issuer.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit ledger.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; names the first bad entry and exits non-zero if there is one.
    Verify,
    /// Print entries as JSON Lines, oldest first.
    Export {
        /// RFC 3339, inclusive.
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339, exclusive.
        #[arg(long)]
        to: Option<String>,
        /// Only this tenant's entries.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a signed JWT (alone on stdout).
    Issue {
        /// cpi-admin, tenant-admin, devops or viewer.
        #[arg(long)]
        role: String,
        /// The tenant (required for tenant roles).
        #[arg(long)]
        tenant: Option<String>,
        /// The subject (`sub`).
        #[arg(long)]
        sub: String,
        /// Lifetime, e.g. 90s, 15m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
}

pub(crate) fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    let config = match Config::from_env(&ProcessEnv) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stoa: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config, matches!(cli.command, Command::Serve));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stoa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stoa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Serve => serve(config).await,
        Command::Bootstrap => {
            let (_, items) = stoa::build(&config).await?;
            for item in items {
                writeln!(out, "{item}")?;
            }
            Ok(())
        }
        Command::Migrate => {
            stoa::open_store(&config).await?;
            writeln!(out, "migrations applied")?;
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let store = stoa::open_store(&config).await?;
            match stoa_core::verify_chain(&store).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                stoa_core::audit::Verdict::Intact { entries } => {
                    writeln!(out, "ledger intact: {entries} entries")?;
                    Ok(())
                }
                stoa_core::audit::Verdict::Broken { seq, reason } => {
                    writeln!(out, "ledger broken at entry {seq}: {reason}")?;
                    out.flush()?;
                    std::process::exit(1);
                }
            }
        }
        Command::Audit { command: AuditCommand::Export { from, to, tenant } } => {
            let time = |v: Option<String>, name: &str| -> anyhow::Result<Option<i64>> {
                v.map(|s| {
                    stoa_core::clock::parse_rfc3339(&s)
                        .with_context(|| format!("--{name} must be RFC 3339"))
                })
                .transpose()
            };
            let (from, to) = (time(from, "from")?, time(to, "to")?);
            let store = stoa::open_store(&config).await?;
            let mut after = 0;
            loop {
                let page = stoa_core::ports::Store::audit_scan(&store, after, 10_000)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for e in &page {
                    let v = &e.event;
                    let keep = from.is_none_or(|f| v.at_ms >= f)
                        && to.is_none_or(|t| v.at_ms < t)
                        && tenant.as_deref().is_none_or(|t| v.tenant.as_deref() == Some(t));
                    if keep {
                        writeln!(out, "{}", export_line(e))?;
                    }
                }
            }
            Ok(())
        }
        Command::Token { command: TokenCommand::Issue { role, tenant, sub, ttl } } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let tenant = tenant
                .as_deref()
                .map(TenantId::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let ttl = parse_duration(&ttl)?;
            let (core, _) = stoa::build(&config).await?;
            if let Some(t) = &tenant
                && core.tenant(t).await.map_err(|e| anyhow::anyhow!("{e}"))?.is_none()
            {
                bail!("tenant {t} does not exist");
            }
            let token = core
                .issue_token(role, tenant.as_ref(), &sub, ttl)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(out, "{token}")?;
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (STOA_LISTEN)", config.listen))?;
    let (server, items) = stoa::Server::start(&config, listener).await?;
    #[cfg(unix)]
    reload_on_sighup(server.core.clone());
    let created: Vec<String> = items.iter().filter(|i| i.created).map(|i| i.name.clone()).collect();
    if !created.is_empty() {
        tracing::info!(created = ?created, "bootstrap");
    }
    let where_ = match &config.database {
        Database::Sqlite(p) => format!("SQLite at {}", p.display()),
        Database::Postgres(_) => "PostgreSQL".to_owned(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Stoa listening on http://{} ({}, {where_})",
        server.addr, config.deployment_mode
    )?;
    writeln!(out, "Sign in as the platform admin:")?;
    writeln!(out, "  export STOA_TOKEN=$(stoa token issue --role cpi-admin --sub admin --ttl 1h)")?;
    writeln!(
        out,
        "  curl -H \"Authorization: Bearer $STOA_TOKEN\" http://{}/v1/tenants",
        server.addr
    )?;
    out.flush()?;
    drop(out);
    server.run_until(shutdown_signal()).await
}

/// One ledger entry as a JSON line (the canonical fields plus the chain hashes).
fn export_line(e: &stoa_core::audit::LedgerEntry) -> String {
    let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut v: serde_json::Value =
        serde_json::from_slice(&stoa_core::audit::canonical(e.seq, &e.event)).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("at".into(), stoa_core::clock::to_rfc3339(e.event.at_ms).into());
        o.insert("prev_hash".into(), hex(&e.prev_hash).into());
        o.insert("hash".into(), hex(&e.hash).into());
    }
    v.to_string()
}

/// SIGHUP re-reads provider keys (F-42).
#[cfg(unix)]
fn reload_on_sighup(core: std::sync::Arc<stoa_core::Core>) {
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match core.reload_keys(None).await {
                Ok(_) => tracing::info!("provider keys reloaded (SIGHUP)"),
                Err(e) => tracing::error!(error = %e, "provider key reload failed (SIGHUP)"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().with_context(|| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("invalid duration {s:?}: use s, m, h or d"),
    };
    if secs == 0 {
        bail!("duration must be positive");
    }
    Ok(Duration::from_secs(secs))
}

fn init_logging(config: &Config, serving: bool) {
    // CLI commands other than `serve` print their result on stdout; logs go to stderr, and
    // only warnings unless asked.
    let wanted = if serving { config.log_filter.as_str() } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_new(wanted)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A panic prints where it happened and its message, never the environment or secrets held in
/// locals (those types print `[redacted]`).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location =
            info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let what = info.payload().downcast_ref::<&'static str>().copied().unwrap_or("panic");
        let _ = writeln!(
            std::io::stderr(),
            "stoa: internal error at {location}: {what}; please report it"
        );
    }));
}

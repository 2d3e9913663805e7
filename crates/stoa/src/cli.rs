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

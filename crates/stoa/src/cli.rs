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
    /// Run the retention purge once (F-56): conversations idle beyond their tenant's retention.
    Purge,
    /// Built-in token issuer.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The PII scanner.
    Pii {
        #[command(subcommand)]
        command: PiiCommand,
    },
    /// The audit ledger.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum PiiCommand {
    /// Scan text from stdin and print the findings (category, kind, byte offsets). Values are
    /// printed only with --show.
    Scan {
        /// `text` or `json`.
        #[arg(long, default_value = "text")]
        format: String,
        /// Also print each finding's value.
        #[arg(long)]
        show: bool,
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
    /// Usage and cost by provider, model and tenant for a month, anomalies against the prior
    /// three months, and reconciliation with a provider billing CSV
    /// (`provider,model,input_tokens,output_tokens,cost_usd`).
    Report {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long)]
        billing: Option<std::path::PathBuf>,
        /// Divergence flagged above this fraction.
        #[arg(long, default_value_t = 0.05)]
        margin: f64,
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// A provider key's activity in a window (breach response), with anomalies highlighted.
    Sweep {
        #[arg(long)]
        provider: String,
        /// RFC 3339.
        #[arg(long)]
        from: String,
        /// RFC 3339.
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "text")]
        format: String,
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
    // `pii scan` is a pure tool: it needs no configuration, data directory or runtime.
    if let Command::Pii { command: PiiCommand::Scan { format, show } } = &cli.command {
        return match pii_scan(format, *show) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "stoa: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
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
        Command::Pii { .. } => Ok(()),
        Command::Bootstrap => {
            let (_, items) = stoa::build(&config).await?;
            for item in items {
                writeln!(out, "{item}")?;
            }
            Ok(())
        }
        Command::Purge => {
            let (core, _) = stoa::build(&config).await?;
            let n = core.purge_idle().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            core.shutdown().await;
            writeln!(out, "purged {n} conversations")?;
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
        Command::Audit { command: AuditCommand::Report { month, billing, margin, format } } => {
            let billing = match billing {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        stoa_core::review::parse_billing_csv(&text)
                            .map_err(|e| anyhow::anyhow!("{e}"))?,
                    )
                }
            };
            let entries = all_entries(&config).await?;
            let r = stoa_core::review::monthly_report(&month, &entries, billing.as_deref(), margin)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(out, "{}", render_report(&r, &format)?)?;
            Ok(())
        }
        Command::Audit { command: AuditCommand::Sweep { provider, from, to, format } } => {
            let t = |v: &str, name: &str| {
                stoa_core::clock::parse_rfc3339(v)
                    .with_context(|| format!("--{name} must be RFC 3339"))
            };
            let (from, to) = (t(&from, "from")?, t(&to, "to")?);
            let entries = all_entries(&config).await?;
            let s = stoa_core::review::sweep(&provider, from, to, &entries);
            writeln!(out, "{}", render_sweep(&s, &format)?)?;
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
    if config.otlp_traces {
        stoa_core::trace::start_export(&config.deployment_mode, env!("CARGO_PKG_VERSION"))
            .map_err(|e| anyhow::anyhow!("invalid configuration: OTEL_EXPORTER_OTLP_*: {e}"))?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (STOA_LISTEN)", config.listen))?;
    let (server, items) = stoa::Server::start(&config, listener).await?;
    #[cfg(unix)]
    reload_on_sighup(server.core.clone());
    purge_periodically(server.core.clone());
    let created: Vec<String> = items.iter().filter(|i| i.created).map(|i| i.name.clone()).collect();
    if !created.is_empty() {
        tracing::info!(created = ?created, "bootstrap");
    }
    let where_ = match &config.database {
        Database::Sqlite(p) => format!("SQLite at {}", p.display()),
        Database::Postgres(_) => "PostgreSQL".to_owned(),
    };
    // The banner is for a person: a closed or broken stdout (a supervisor that stopped
    // reading) must never stop the server, so write errors are ignored here.
    let banner = format!(
        "Stoa listening on http://{addr} ({mode}, {where_})\nSign in as the platform admin:\n  \
         export STOA_TOKEN=$(stoa token issue --role cpi-admin --sub admin --ttl 1h)\n  \
         curl -H \"Authorization: Bearer $STOA_TOKEN\" http://{addr}/v1/tenants\n",
        addr = server.addr,
        mode = config.deployment_mode,
    );
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);
    let served = server.run_until(shutdown_signal()).await;
    // The spans still queued are exported before exit (the export runs on this runtime).
    let _ = tokio::task::spawn_blocking(stoa_core::trace::stop_export).await;
    served
}

async fn all_entries(config: &Config) -> anyhow::Result<Vec<stoa_core::audit::LedgerEntry>> {
    let store = stoa::open_store(config).await?;
    let mut all = Vec::new();
    loop {
        let page = stoa_core::ports::Store::audit_scan(
            &store,
            all.last().map_or(0, |e: &stoa_core::audit::LedgerEntry| e.seq),
            10_000,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

fn totals_json(t: &stoa_core::review::Totals) -> serde_json::Value {
    serde_json::json!({
        "requests": t.requests, "success_rate": t.success_rate(), "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens, "cost_usd": t.cost_micros as f64 / 1e6,
    })
}

fn render_report(r: &stoa_core::review::Report, format: &str) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let group = |m: &std::collections::BTreeMap<String, stoa_core::review::Totals>| {
        m.iter().map(|(k, t)| (k.clone(), totals_json(t))).collect::<serde_json::Map<_, _>>()
    };
    match format {
        "json" => Ok(serde_json::json!({
            "month": r.month,
            "by_provider": group(&r.by_provider),
            "by_model": group(&r.by_model),
            "by_tenant": group(&r.by_tenant),
            "anomalies": r.anomalies,
            "reconciliation": r.reconciliation.iter().map(|x| serde_json::json!({
                "provider": x.provider, "ledger_cost_usd": x.ledger_cost_usd, "billed_cost_usd": x.billed_cost_usd,
                "divergence": x.divergence, "flagged": x.flagged,
            })).collect::<Vec<_>>(),
        })
        .to_string()),
        "text" => {
            let mut o = format!("Stoa usage report for {}\n", r.month);
            for (title, m) in [("provider", &r.by_provider), ("model", &r.by_model), ("tenant", &r.by_tenant)] {
                let _ = writeln!(o, "\nby {title}:");
                for (k, t) in m {
                    let _ = writeln!(
                        o,
                        "  {k:<40} {:>8} calls  {:>6.1}% ok  {:>10} in  {:>10} out  ${:>10.4}",
                        t.requests,
                        t.success_rate() * 100.0,
                        t.input_tokens,
                        t.output_tokens,
                        t.cost_micros as f64 / 1e6
                    );
                }
            }
            if !r.reconciliation.is_empty() {
                let _ = writeln!(o, "\nreconciliation with the billing export:");
                for x in &r.reconciliation {
                    let flag = if x.flagged { "  <-- DIVERGES" } else { "" };
                    let _ = writeln!(o, "  {:<12} ledger ${:.4}  billed ${:.4}  {:+.1}%{flag}", x.provider, x.ledger_cost_usd, x.billed_cost_usd, x.divergence * 100.0);
                }
            }
            let _ = writeln!(o, "\nanomalies ({}):", r.anomalies.len());
            for a in &r.anomalies {
                let _ = writeln!(o, "  ! {a}");
            }
            Ok(o)
        }
        other => bail!("--format must be text or json, not {other:?}"),
    }
}

fn render_sweep(s: &stoa_core::review::Sweep, format: &str) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    match format {
        "json" => Ok(serde_json::json!({
            "provider": s.provider,
            "groups": s.groups.iter().map(|g| serde_json::json!({
                "tenant": g.tenant, "purpose": g.purpose, "models": g.models, "totals": totals_json(&g.totals),
            })).collect::<Vec<_>>(),
            "anomalies": s.anomalies,
        })
        .to_string()),
        "text" => {
            let mut o = format!("Calls made with the {} key in the window:\n", s.provider);
            for g in &s.groups {
                let models: Vec<&str> = g.models.iter().map(String::as_str).collect();
                let _ = writeln!(o, "  {:<24} {:<28} {:>8} calls  ${:.4}  models: {}", g.tenant, g.purpose, g.totals.requests, g.totals.cost_micros as f64 / 1e6, models.join(", "));
            }
            let _ = writeln!(o, "\nanomalies ({}):", s.anomalies.len());
            for a in &s.anomalies {
                let _ = writeln!(o, "  ! {a}");
            }
            Ok(o)
        }
        other => bail!("--format must be text or json, not {other:?}"),
    }
}

fn pii_scan(format: &str, show: bool) -> anyhow::Result<()> {
    use std::io::Read;
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).context("cannot read stdin")?;
    let text = String::from_utf8_lossy(&input);
    let findings = stoa_pii::Scanner::global().scan(&text);
    let mut out = std::io::stdout().lock();
    match format {
        "json" => {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    let mut v = serde_json::json!({
                        "category": f.category.as_str(), "kind": f.kind.as_str(),
                        "start": f.start, "end": f.end, "confidence": f.confidence.as_str(),
                    });
                    if show {
                        v["value"] = serde_json::Value::String(text[f.range()].to_owned());
                    }
                    v
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(list))?;
        }
        "text" => {
            for f in &findings {
                let value = if show { format!("\t{}", &text[f.range()]) } else { String::new() };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}{value}",
                    f.category.as_str(),
                    f.kind.as_str(),
                    f.start,
                    f.end
                )?;
            }
        }
        other => bail!("--format must be text or json, not {other:?}"),
    }
    Ok(())
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

/// Hourly housekeeping: the retention purge (F-56) and, in cluster mode, finalizing the
/// calls of replicas that died.
fn purge_periodically(core: std::sync::Arc<stoa_core::Core>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match core.purge_idle().await {
                Ok(n) if n > 0 => tracing::info!(conversations = n, "retention purge"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention purge failed"),
            }
            // Calls of replicas that died (cluster), or cut off in some other way, are finalized
            // once they are old enough; the watermark moves up, keeping start-up short.
            if let Err(e) = core.recover_interrupted(stoa_core::Recovery::Periodic).await {
                tracing::error!(error = %e, "finalizing interrupted calls failed");
            }
        }
    });
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
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

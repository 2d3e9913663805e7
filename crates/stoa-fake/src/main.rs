//! `stoa-fake`: the fake LLM provider as a process, for the benchmark harness and manual runs.
//! Prints `stoa-fake listening on http://ADDR` once bound; stops on Ctrl-C / SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use stoa_fake::{FakeOptions, FakeProvider};

/// A fake Anthropic / OpenAI / Gemini endpoint with deterministic answers and scripted faults.
#[derive(Debug, Parser)]
#[command(name = "stoa-fake", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    listen: SocketAddr,
    /// Delay before every response's head, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Record requests (the last 10 000) for `GET /_fake/requests`.
    #[arg(long)]
    record: bool,
    /// Accept requests without credentials (a "local" OpenAI-compatible server).
    #[arg(long)]
    keyless: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let opts = FakeOptions {
        record: args.record,
        keyless: args.keyless,
        latency: Duration::from_millis(args.latency_ms),
    };
    let fake = match FakeProvider::bind(args.listen, opts).await {
        Ok(fake) => fake,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stoa-fake: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "stoa-fake listening on {}", fake.url());
        let _ = out.flush();
    }
    wait_for_signal().await;
    fake.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

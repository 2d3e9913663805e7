//! Canary keys (F-41): provider keys must never appear in any response, log line (at debug
//! level), database row, ledger entry or export — across success, provider errors that echo the
//! key, malformed requests, streams and rotation. Runs the real binary.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use stoa_fake::{FakeOptions, FakeProvider, Fault};

const CANARIES: [&str; 3] =
    ["sk-canary-openai-7f3a9c", "sk-ant-canary-51d2e8", "AIzaCanaryGemini9b7e"];

#[tokio::test]
async fn canary_keys_never_leak() {
    let fake = FakeProvider::start(FakeOptions::default()).await;
    let collector = crate::otlp::Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = tempfile::tempdir().unwrap();
    // One key from a file (rotated later), the others from the environment.
    std::fs::write(secrets.path().join("openai"), CANARIES[0]).unwrap();
    let env = |c: &mut Command| {
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STOA_DATA_DIR", dir.path())
            .env("STOA_LISTEN", "127.0.0.1:0")
            .env("STOA_LOG", "debug")
            .env("STOA_SECRETS_DIR", secrets.path())
            .env("ANTHROPIC_API_KEY", CANARIES[1])
            .env("GEMINI_API_KEY", CANARIES[2])
            .env("STOA_OPENAI_BASE_URL", fake.url())
            .env("STOA_ANTHROPIC_BASE_URL", fake.url())
            .env("STOA_GEMINI_BASE_URL", fake.url())
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url)
            .env("OTEL_BSP_SCHEDULE_DELAY", "50");
    };
    let bin = env!("CARGO_BIN_EXE_stoa");
    let mut cmd = Command::new(bin);
    env(&mut cmd);
    let mut child = cmd.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let url = crate::harness::served_url(child.stdout.as_mut().unwrap());
    let stderr = child.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let mut e = stderr;
        let _ = e.read_to_string(&mut s);
        s
    });

    let token = |args: &[&str]| {
        let mut c = Command::new(bin);
        env(&mut c);
        let out = c.args(["token", "issue"]).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let admin = token(&["--role", "cpi-admin", "--sub", "admin"]);
    let http = reqwest::Client::new();
    let mut seen = String::new();
    let mut record = |what: &str,
                      status: reqwest::StatusCode,
                      headers: &reqwest::header::HeaderMap,
                      body: &str| {
        seen.push_str(&format!("{what} {status} {headers:?} {body}\n"));
    };
    http.post(format!("{url}/v1/tenants"))
        .bearer_auth(&admin)
        .json(&json!({"id": "acme", "name": "Acme"}))
        .send()
        .await
        .unwrap();
    let key: Value = http
        .post(format!("{url}/v1/api-keys"))
        .bearer_auth(&admin)
        .header("x-stoa-tenant", "acme")
        .json(&json!({"name": "app", "role": "devops"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();

    let chat = |model: &str, stream: bool| {
        json!({"model": model, "stream": stream, "max_tokens": 20,
        "messages": [{"role": "user", "content": "[[words:5]]"}]})
    };
    let calls: Vec<(&str, Value, Option<Fault>)> = vec![
        ("/v1/chat/completions", chat("gpt-4o-mini", false), None),
        ("/v1/chat/completions", chat("gpt-4o-mini", true), None),
        ("/v1/messages", chat("claude-sonnet-4-6", true), None),
        ("/v1/chat/completions", chat("gemini/gemini-2.0-flash", false), None),
        ("/v1/chat/completions", chat("gpt-4o-mini", false), Some(Fault::EchoKey { status: 401 })),
        ("/v1/chat/completions", chat("gpt-4o-mini", false), Some(Fault::EchoKey { status: 500 })),
        ("/v1/messages", chat("claude-sonnet-4-6", false), Some(Fault::EchoKey { status: 403 })),
        (
            "/v1/chat/completions",
            chat("gemini/gemini-2.0-flash", true),
            Some(Fault::EchoKey { status: 400 }),
        ),
        (
            "/v1/chat/completions",
            chat("gpt-4o-mini", true),
            Some(Fault::DropStreamAfter { chunks: 1 }),
        ),
        ("/v1/chat/completions", chat("gpt-4o-mini", true), Some(Fault::MalformedEvent)),
        ("/v1/chat/completions", json!({"model": "mistral/x", "messages": []}), None),
    ];
    for (path, body, fault) in calls {
        fake.script(fault.into_iter().collect());
        let resp =
            http.post(format!("{url}{path}")).bearer_auth(&key).json(&body).send().await.unwrap();
        let (s, h) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap();
        record(path, s, &h, &text);
    }
    let resp = http
        .post(format!("{url}/v1/chat/completions"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{\"model\": ")
        .send()
        .await
        .unwrap();
    let (s, h) = (resp.status(), resp.headers().clone());
    record("malformed", s, &h, &resp.text().await.unwrap());
    // Rotation, then the admin views.
    let mut last_trace = String::new();
    std::fs::write(secrets.path().join("openai"), format!("{}-2", CANARIES[0])).unwrap();
    for (m, path) in [
        ("POST", "/v1/admin/keys/reload"),
        ("GET", "/v1/admin/keys"),
        ("GET", "/v1/audit?limit=1000"),
    ] {
        let req = if m == "POST" {
            http.post(format!("{url}{path}"))
        } else {
            http.get(format!("{url}{path}"))
        };
        let resp = req.bearer_auth(&admin).send().await.unwrap();
        let (s, h) = (resp.status(), resp.headers().clone());
        last_trace = h["traceparent"].to_str().unwrap().split('-').nth(1).unwrap().to_owned();
        record(path, s, &h, &resp.text().await.unwrap());
    }
    // The provider did receive the keys (so the test would see a leak if there were one).
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.header("authorization").is_some_and(|a| a.contains(CANARIES[0])))
    );
    assert!(fake.requests().iter().any(|r| r.header("x-api-key") == Some(CANARIES[1])));

    // The traces of the last call were exported before the process goes.
    collector.wait_for(&last_trace).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let traces = String::from_utf8_lossy(&collector.raw()).into_owned();
    let logs = log_reader.join().unwrap();
    assert!(logs.contains("DEBUG") || logs.contains("debug"), "debug logging was on");
    let mut export = Command::new(bin);
    env(&mut export);
    let export =
        String::from_utf8(export.args(["audit", "export"]).output().unwrap().stdout).unwrap();
    assert!(export.lines().count() > 10, "{export}");
    let mut db = Vec::new();
    for f in ["stoa.db", "stoa.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(f)) {
            db.extend(bytes);
        }
    }
    for canary in CANARIES {
        for (what, hay) in [
            ("responses", seen.as_str()),
            ("logs", logs.as_str()),
            ("export", export.as_str()),
            ("exported traces", traces.as_str()),
        ] {
            assert!(!hay.contains(canary), "canary {canary} leaked into {what}");
            assert!(!hay.contains(&canary[..12]), "a prefix of {canary} leaked into {what}");
        }
        assert!(
            !db.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "canary {canary} in the database"
        );
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
    fake.shutdown().await;
}

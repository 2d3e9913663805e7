//! The real binary: first start bootstraps and prints how to sign in; bootstrap is idempotent;
//! tenants, keys and tokens survive a restart.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

pub(crate) fn stoa(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stoa"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STOA_DATA_DIR", dir)
        .env("STOA_LISTEN", "127.0.0.1:0")
        .env("STOA_LOG", "warn");
    c
}

/// Starts `stoa serve`, returns the child and its base URL (read from its first line).
fn serve(dir: &std::path::Path) -> (Child, String, Vec<String>) {
    let mut child =
        stoa(dir).arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    let rest: Vec<String> = lines.take(3).map(Result::unwrap).collect();
    (child, url, std::iter::once(first).chain(rest).collect())
}

pub(crate) fn token(dir: &std::path::Path, args: &[&str]) -> String {
    let out = stoa(dir).args(["token", "issue"]).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the JWT alone on stdout: {stdout:?}");
    stdout.trim().to_owned()
}

#[tokio::test]
async fn bootstrap_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let out = stoa(dir.path()).arg("bootstrap").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run();
    for item in
        ["data master key", "token signing key", "roles", "default tenant", "admin identity"]
    {
        assert!(first.contains(&format!("{item}: created")), "{first}");
    }
    let second = run();
    assert_eq!(second.matches("already exists").count(), 5, "{second}");
    assert!(!second.contains("created"), "{second}");
    let key_file = dir.path().join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test]
async fn state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, banner) = serve(dir.path());
    assert!(banner.iter().any(|l| l.contains("stoa token issue --role cpi-admin")), "{banner:?}");
    let admin = token(dir.path(), &["--role", "cpi-admin", "--sub", "admin", "--ttl", "1h"]);
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{url}/v1/tenants"))
        .bearer_auth(&admin)
        .json(&json!({"id": "acme", "name": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: serde_json::Value = http
        .request(Method::POST, format!("{url}/v1/api-keys"))
        .bearer_auth(&admin)
        .header("x-stoa-tenant", "acme")
        .json(&json!({"name": "app", "role": "devops"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let viewer = token(dir.path(), &["--role", "viewer", "--tenant", "acme", "--sub", "vic"]);
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, url, _) = serve(dir.path());
    for (cred, want) in [(&admin, "cpi-admin"), (&key, "devops"), (&viewer, "viewer")] {
        let me: serde_json::Value = http
            .get(format!("{url}/v1/whoami"))
            .bearer_auth(cred)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["role"], want, "{me}");
    }
    let resp =
        http.get(format!("{url}/v1/tenants/acme")).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[test]
fn bad_configuration_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = stoa(dir.path()).env("STOA_LISTEN", "nowhere").arg("bootstrap").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("STOA_LISTEN"), "{err}");
    let out = stoa(dir.path())
        .args(["token", "issue", "--role", "viewer", "--sub", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a tenant role needs --tenant");
}

#[test]
fn pii_scan_reads_stdin_and_hides_values() {
    use std::io::Write as _;
    let run = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stoa"))
            .env_clear()
            .args(["pii", "scan"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"Write to jane.doe@example.com about IBAN DE89 3704 0044 0532 0130 00.")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&[]);
    assert!(text.contains("email\temail\t9\t29"), "{text}");
    assert!(text.contains("iban"), "{text}");
    assert!(
        !text.contains("jane.doe") && !text.contains("DE89"),
        "values only with --show: {text}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");
    assert!(json[0].get("value").is_none());
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["--format", "json", "--show"])).unwrap();
    assert_eq!(shown[0]["value"], "jane.doe@example.com");
}

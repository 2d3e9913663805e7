//! Loading the data master key (F-03): from `STOA_MASTER_KEY`, a `master_key` file in the
//! credentials/secrets directories, or — the embedded default — `<data dir>/master.key`,
//! generated once with mode 0600 and reused on every start.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use stoa_core::bootstrap::Item;
use stoa_core::secrets::MasterKey;

use crate::config::Config;

const FILE_NAME: &str = "master_key";

fn decode(text: &str, source: &str) -> anyhow::Result<MasterKey> {
    let bytes = STANDARD.decode(text.trim()).ok().and_then(|b| MasterKey::from_bytes(&b));
    match bytes {
        Some(k) => Ok(k),
        None => bail!("{source}: the data master key must be base64 of exactly 32 bytes"),
    }
}

pub fn load_master_key(config: &Config) -> anyhow::Result<(MasterKey, Item)> {
    let item = |created| Item { name: "data master key".into(), created };
    if let Some(v) = &config.master_key_b64 {
        return Ok((decode(v, "STOA_MASTER_KEY")?, item(false)));
    }
    for dir in &config.secret_dirs {
        let path = dir.join(FILE_NAME);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return Ok((decode(&text, &path.display().to_string())?, item(false)));
        }
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let path = config.data_dir.join("master.key");
    match create_new(&path)? {
        Some(key) => Ok((key, item(true))),
        None => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok((decode(&text, &path.display().to_string())?, item(false)))
        }
    }
}

/// Writes a fresh key unless the file exists (then `None`). The key is written to a private
/// temporary file and hard-linked into place, so a concurrent starter never reads a half-written
/// file and two processes starting at once agree on one key.
fn create_new(path: &Path) -> anyhow::Result<Option<MasterKey>> {
    if path.exists() {
        return Ok(None);
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let key = MasterKey::generate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(STANDARD.encode(key.expose_bytes()).as_bytes())?;
        file.sync_all()
    });
    written.with_context(|| format!("cannot write {}", tmp.display()))?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(Some(key)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Provider keys (F-40): a file named after the provider (`anthropic`, `openai`, `gemini`,
/// `local`) in `$CREDENTIALS_DIRECTORY` or `STOA_SECRETS_DIR` wins over the environment
/// variable. Whitespace is trimmed; an unreadable or empty file stops start-up with an error
/// naming the file, never its content.
pub fn load_provider_keys(
    config: &Config,
) -> anyhow::Result<std::collections::HashMap<stoa_llm::ProviderKind, secrecy::SecretString>> {
    use secrecy::ExposeSecret;
    let mut keys = std::collections::HashMap::new();
    for kind in stoa_llm::ProviderKind::ALL {
        let name = kind.as_str();
        let mut found = None;
        for dir in &config.secret_dirs {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow::anyhow!("cannot read provider key file {}: {}", path.display(), e.kind())
            })?;
            let trimmed = text.trim();
            if trimmed.is_empty() {
                bail!("provider key file {} is empty", path.display());
            }
            found = Some(secrecy::SecretString::from(trimmed.to_owned()));
            break;
        }
        if found.is_none() {
            found = config
                .providers
                .env_keys
                .iter()
                .find(|(p, k)| *p == name && !k.expose_secret().is_empty())
                .map(|(_, k)| k.clone());
        }
        if let Some(k) = found {
            keys.insert(kind, k);
        }
    }
    Ok(keys)
}

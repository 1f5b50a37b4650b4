//! `eks-kc cache status|clear`: what the token cache holds, and emptying it.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use serde::Serialize;

use crate::cache;
use crate::cache::token::TokenEntry;
use crate::cli::{CacheAction, CacheArgs, GlobalArgs, ListOutput};
use crate::engine::TokenCache;
use crate::exit;
use crate::kubeconfig::file::View;
use crate::settings::{Flags, Settings};
use crate::store::PrivateDir;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryRow {
    file: String,
    cluster: String,
    region: String,
    profile: Option<String>,
    role_arn: Option<String>,
    /// The environment variables that selected the identity (session tokens only as a hash).
    identity: Vec<String>,
    seconds_left: i64,
}

#[derive(Debug, Serialize)]
struct Status {
    location: String,
    entries: Vec<EntryRow>,
    unreadable: Vec<String>,
    /// Second level: temporary AWS credentials per identity (never their secrets).
    credentials: Vec<cache::credentials::Stub>,
    /// Sign-ins in progress and cool-downs after a failed one, per identity.
    #[serde(rename = "signIns")]
    sign_ins: Vec<SignInRow>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SignInRow {
    /// `sso-login`, `mfa`, `login-session`; `None` for a step in progress whose state says
    /// it in `in_progress`.
    kind: Option<cache::signin::Kind>,
    name: Option<String>,
    /// "pid 123: signing-in browser for the IAM Identity Center login corp".
    in_progress: Option<String>,
    /// The cool-down: until when, and the line callers get meanwhile.
    cool_down_until: Option<String>,
    line: Option<String>,
}

/// The gate states and holders in `dir`: sign-ins in progress (a held `signin-*.lock`, or an
/// MFA prompt under a `creds-*.lock`) and cool-downs still running.
fn sign_ins(dir: &PrivateDir) -> Vec<SignInRow> {
    let now = Utc::now();
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut rows = vec![];
    for name in &names {
        let Some(stem) = name.strip_suffix(".lock") else {
            continue;
        };
        let prompting = stem.starts_with("creds-");
        if !(stem.starts_with("signin-") || prompting) {
            continue;
        }
        let Some(h) = dir.holder(stem).filter(|h| !prompting || h.prompting) else {
            continue;
        };
        let doing = if prompting {
            "asking for an MFA code"
        } else {
            &h.state
        };
        rows.push(SignInRow {
            kind: None,
            name: None,
            in_progress: Some(format!("pid {}: {doing}", h.pid)),
            cool_down_until: None,
            line: None,
        });
    }
    for name in &names {
        if !(name.starts_with("signin-") && name.ends_with(".json")) {
            continue;
        }
        let Some(state) = dir
            .read(name)
            .ok()
            .flatten()
            .and_then(|b| cache::signin::SignInState::decode(&b))
        else {
            continue;
        };
        if !state.active(now, state.current_watch().as_ref()) {
            continue;
        }
        rows.push(SignInRow {
            kind: Some(state.key.kind),
            name: Some(state.key.name.clone()),
            in_progress: None,
            cool_down_until: Some(crate::token::format_timestamp(state.until)),
            line: Some(state.line.clone()),
        });
    }
    rows
}

fn token_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("token-") && n.ends_with(".json"))
            })
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.sort();
    Ok(files)
}

/// `eks-kc cache status|clear`, with `--cache-dir` over the environment.
pub fn main(args: &CacheArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    let settings = Settings::of_process(Flags {
        cache_dir: global.cache_dir(args.cache_dir.as_deref()),
        ..Flags::default()
    })?;
    let cache_dir = settings.cache_dir()?.to_path_buf();
    match &args.action {
        CacheAction::Status { output } => status(&cache_dir, *output, out),
        CacheAction::Clear {
            context,
            kubeconfig,
        } => clear(&cache_dir, context.as_deref(), kubeconfig.as_deref(), out),
    }
    .map(|()| exit::SUCCESS)
}

pub fn status(cache_dir: &Path, output: ListOutput, out: &mut dyn Write) -> Result<()> {
    let now = Utc::now();
    let mut entries = vec![];
    let mut unreadable = vec![];
    for path in token_files(cache_dir)? {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // The same bounded, non-following, non-blocking read as `eks-kc token`: a planted link
        // to /etc/shadow or /dev/zero, or a FIFO, is listed as unreadable.
        let dir = PrivateDir::new(cache_dir);
        match dir
            .read(&name)
            .map_err(anyhow::Error::from)
            .and_then(|b| b.context("removed while listing"))
            .and_then(|b| TokenEntry::decode(&b))
        {
            Ok(e) => entries.push(EntryRow {
                file: name,
                cluster: e.key.cluster,
                region: e.key.region,
                profile: e.key.profile,
                role_arn: e.key.role_arn,
                identity: e.key.env.keys().cloned().collect(),
                seconds_left: (e.expiration - now).num_seconds(),
            }),
            Err(_) => unreadable.push(name),
        }
    }
    let status = Status {
        location: cache_dir.display().to_string(),
        entries,
        unreadable,
        credentials: cache::credentials::stubs(&PrivateDir::new(cache_dir)),
        sign_ins: sign_ins(&PrivateDir::new(cache_dir)),
    };
    match output {
        ListOutput::Json => {
            serde_json::to_writer_pretty(&mut *out, &status)?;
            writeln!(out)?;
        }
        ListOutput::Table => print_status(&status, now, out)?,
    }
    Ok(())
}

/// `cache status` for people: the token cache, the credential cache, sign-ins and cool-downs.
fn print_status(status: &Status, now: chrono::DateTime<Utc>, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "Token cache: {} ({} tokens)",
        status.location,
        status.entries.len()
    )?;
    if !status.entries.is_empty() {
        let rows: Vec<[String; 5]> = status
            .entries
            .iter()
            .map(|e| {
                [
                    e.cluster.clone(),
                    e.region.clone(),
                    identity(&e.profile, &e.role_arn, &e.identity),
                    time_left(e.seconds_left),
                    e.file.clone(),
                ]
            })
            .collect();
        super::list::write_table(
            out,
            &["CLUSTER", "REGION", "IDENTITY", "LEFT", "FILE"],
            &rows,
        )?;
    }
    for u in &status.unreadable {
        writeln!(out, "unreadable (ignored, replaced on next use): {u}")?;
    }
    writeln!(
        out,
        "Temporary AWS credentials: {} identities",
        status.credentials.len()
    )?;
    if !status.credentials.is_empty() {
        let rows: Vec<[String; 4]> = status
            .credentials
            .iter()
            .map(|c| {
                let env: Vec<String> = c.key.env.keys().cloned().collect();
                [
                    identity(&c.key.profile, &c.key.role_arn, &env),
                    c.access_key_id.clone(),
                    time_left((c.expiration - now).num_seconds()),
                    c.store.clone(),
                ]
            })
            .collect();
        super::list::write_table(out, &["IDENTITY", "KEY", "LEFT", "STORE"], &rows)?;
    }
    for row in &status.sign_ins {
        match (&row.in_progress, &row.kind, &row.name, &row.cool_down_until) {
            (Some(doing), ..) => writeln!(out, "Sign-in in progress: {doing}")?,
            (None, Some(kind), Some(name), Some(until)) => writeln!(
                out,
                "Sign-in cool-down: {} {name} until {until}: {}",
                kind.label(),
                row.line.as_deref().unwrap_or_default()
            )?,
            _ => {}
        }
    }
    Ok(())
}

/// Who a cached item belongs to, for people: profile and role, else the environment variables
/// that chose the identity, else the default chain. Variables that only say where calls go or
/// where the files are (`AWS_ENDPOINT_URL*`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`)
/// are part of the key but name no identity: they are left out of the label.
fn identity(profile: &Option<String>, role_arn: &Option<String>, env: &[String]) -> String {
    let choosing: Vec<&str> = env
        .iter()
        .map(String::as_str)
        .filter(|v| {
            !(v.starts_with("AWS_ENDPOINT_URL")
                || *v == "AWS_CONFIG_FILE"
                || *v == "AWS_SHARED_CREDENTIALS_FILE")
        })
        .collect();
    match (profile, role_arn) {
        (Some(p), Some(r)) => format!("profile {p}, role {r}"),
        (Some(p), None) => format!("profile {p}"),
        (None, Some(r)) => format!("role {r}"),
        (None, None) if choosing.is_empty() => "default chain".into(),
        (None, None) => format!("default chain ({})", choosing.join(", ")),
    }
}

fn time_left(seconds: i64) -> String {
    if seconds > 0 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        "expired".into()
    }
}

pub fn clear(
    cache_dir: &Path,
    context: Option<&str>,
    kubeconfig: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let files = match context {
        None => token_files(cache_dir)?,
        Some(name) => {
            let view = View::load(kubeconfig)?;
            let managed = view.managed();
            if view.unusable().iter().any(|u| u == name) {
                bail!(super::unusable_message(name));
            }
            // The names `use` accepts: exact, an alias, else a unique prefix or substring.
            let name = &*super::alias::expand(name, &view.context_names())?;
            let names: Vec<String> = managed.iter().map(|m| m.name.clone()).collect();
            let name = &*super::switch::resolve(name, &names).map_err(|e| {
                anyhow::anyhow!(
                    "{e:#} (`{bin} list` shows the contexts eks-kc manages)",
                    bin = crate::display::bin()
                )
            })?;
            let Some(m) = managed.iter().find(|m| m.name == name) else {
                bail!(
                    "'{name}' is not a context eks-kc manages (see `{bin} list`)",
                    bin = crate::display::bin()
                );
            };
            let Some(key) = super::context_token_key(m) else {
                bail!("context '{name}' has no region, so it has no cached token");
            };
            vec![TokenCache::new(cache_dir).path(&key)]
        }
    };
    let credentials = match context {
        None => cache::credentials::clear(&PrivateDir::new(cache_dir))?,
        Some(_) => 0,
    };
    let mut removed = 0;
    for f in &files {
        match fs::remove_file(f) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", f.display())),
        }
    }
    // Their lock files too, those no running eks-kc holds (removing a held one would let a
    // second process in beside its holder).
    let dir = PrivateDir::new(cache_dir);
    match context {
        None => {
            for state in fs::read_dir(cache_dir).into_iter().flatten().flatten() {
                let name = state.file_name().to_string_lossy().into_owned();
                if name.starts_with("signin-") && name.ends_with(".json") {
                    let _ = fs::remove_file(state.path());
                }
            }
            dir.remove_idle_locks(|name| {
                name.starts_with("token-")
                    || name.starts_with("creds-")
                    || name.starts_with("signin-")
            })
        }
        Some(_) => {
            let stems: Vec<String> = files
                .iter()
                .filter_map(|f| {
                    f.file_stem()
                        .map(|s| format!("{}.lock", s.to_string_lossy()))
                })
                .collect();
            dir.remove_idle_locks(|name| stems.iter().any(|s| s == name))
        }
    };
    writeln!(
        out,
        "Removed {removed} cached token(s) and {credentials} cached credential(s) from {}.",
        cache_dir.display()
    )?;
    Ok(())
}

//! `eks-kc config` (where the config file is and what it says), and the config file's part in
//! `eks-kc sync`: the saved settings under the command line's, and `--save`. The file is read
//! and written through `crate::config::file`; what it means is `crate::config`'s.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use serde_yaml::Value;

use crate::cli::{ConfigAction, ConfigArgs, ListOutput, SyncArgs};
use crate::config;
use crate::config::ConfigFile;
use crate::config::file::{lock, read, write};
use crate::{exit, settings};

mod merge;

/// The arguments of a sync run: `args` over the saved settings of the config file at `path`
/// (`Err`: there is no config file, as without a home directory). With `--save`, the result is
/// saved first (or, with `--dry-run`, shown). Notes go to `err`.
///
/// A saving run holds `<file>.lock` (waiting at most `lock_timeout`) from the read to the
/// write, so parallel `--save` runs each add their settings instead of losing each other's.
pub fn sync_args(
    args: &SyncArgs,
    path: Result<PathBuf>,
    lock_timeout: std::time::Duration,
    err: &mut dyn Write,
) -> Result<SyncArgs> {
    let path = match path {
        Ok(p) => p,
        Err(e) if args.save => return Err(e.context("--save")),
        Err(e) => {
            tracing::debug!("no config file: {e:#}");
            return Ok(args.clone());
        }
    };
    let _lock = if args.save && !args.dry_run {
        Some(lock(&path, lock_timeout).context("--save")?)
    } else {
        None
    };
    let file = read(&path)?;
    let applied = merge::apply(args, &file.sync);
    for key in &applied.used {
        let line = file.lines.get(key).copied().unwrap_or_default();
        tracing::debug!("{key}: from {}:{line}", path.display());
    }
    if !applied.used.is_empty() {
        writeln!(
            err,
            "eks-kc: using the saved {} of {} (flags replace them)",
            applied.used.join(", "),
            path.display()
        )?;
    }
    if args.save {
        save(&file, &applied.args, err)?;
    }
    Ok(applied.args)
}

/// `--save`: writes the targets and options of `args` into the file's `sync:` section (with
/// `--dry-run`, only shows them), and prints them.
fn save(file: &ConfigFile, args: &SyncArgs, err: &mut dyn Write) -> Result<()> {
    let path = file.path.display();
    let settings = merge::to_save(args);
    let cannot = |e: String| anyhow!("--save: cannot write {path}: {e}");
    let text = file.with_sync(&settings).map_err(cannot)?;
    let section = config::render(&settings).map_err(cannot)?;
    let verdict = if args.dry_run {
        format!("--dry-run: would save in {path}")
    } else if file.exists && text == file.text() {
        format!("{path} already holds these settings")
    } else {
        write(&file.path, &text).with_context(|| format!("--save: writing {path}"))?;
        format!("saved in {path}")
    };
    writeln!(err, "eks-kc: {verdict}:")?;
    for line in section.lines() {
        writeln!(err, "  {line}")?;
    }
    Ok(())
}

/// `eks-kc config path|show`.
/// `eks-kc config`, on the file `EKS_KC_CONFIG` names or the platform's.
pub fn main(args: &ConfigArgs, out: &mut dyn Write) -> Result<u8> {
    let path = settings::config_file(settings::env::var);
    run(args, path, out).map(|()| exit::SUCCESS)
}

pub fn run(args: &ConfigArgs, path: Result<PathBuf>, out: &mut dyn Write) -> Result<()> {
    let path = path?;
    match args.action {
        ConfigAction::Path => writeln!(out, "{}", path.display())?,
        ConfigAction::Show { output } => {
            let file = read(&path)?;
            match output {
                ListOutput::Json => {
                    let report = serde_json::json!({
                        "path": path,
                        "exists": file.exists,
                        "sync": config::to_value(&file.sync),
                        "lines": file.lines,
                    });
                    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
                }
                ListOutput::Table => show(&file, out)?,
            }
        }
    }
    Ok(())
}

/// The saved settings as a table: key, value, line.
fn show(file: &ConfigFile, out: &mut dyn Write) -> Result<()> {
    let state = if file.exists { "" } else { " (does not exist)" };
    writeln!(out, "config file: {}{state}", file.path.display())?;
    let Value::Mapping(settings) = config::to_value(&file.sync) else {
        unreachable!("settings are a mapping");
    };
    if settings.is_empty() {
        writeln!(
            out,
            "no saved settings: a bare `{bin} sync` uses AWS_PROFILE (else the default \
             credential chain) in the profile's region (else AWS_REGION)",
            bin = crate::display::bin()
        )?;
        return Ok(());
    }
    let mut rows = vec![("KEY".to_owned(), "VALUE".to_owned(), "LINE".to_owned())];
    for (key, value) in &settings {
        let key = key.as_str().unwrap_or_default();
        let line = config::keys::SYNC
            .iter()
            .find(|k| **k == key)
            .and_then(|k| file.lines.get(k))
            .map_or_else(String::new, |l| l.to_string());
        match value {
            Value::Sequence(items) if key == "sso" => {
                for (i, item) in items.iter().enumerate() {
                    rows.push((format!("sso[{i}]"), flat(item), line.clone()));
                }
            }
            _ => rows.push((key.to_owned(), flat(value), line)),
        }
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    for (key, value, line) in rows {
        let row = format!("{key:width$}  {value:value_width$}  {line}");
        writeln!(out, "{}", row.trim_end())?;
    }
    Ok(())
}

/// One setting on one line: lists joined by commas, an SSO entry as `key value; ...`.
fn flat(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Sequence(items) => items.iter().map(flat).collect::<Vec<_>>().join(", "),
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| format!("{} {}", k.as_str().unwrap_or_default(), flat(v)))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

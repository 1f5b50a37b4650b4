//! `eks-kc list`: the managed contexts and their token state, from local files only.

use std::io::Write;

use anyhow::Result;
use chrono::{Duration, Utc};
use serde::Serialize;

use crate::cli::GlobalArgs;
use crate::cli::{ListArgs, ListOutput};
use crate::engine::TokenCache;
use crate::exit;
use crate::kubeconfig;
use crate::settings::Flags;
use crate::settings::Settings;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    current: bool,
    name: String,
    cluster: String,
    region: String,
    profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    /// `fresh`, `expiring` or `none`.
    token: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_seconds_left: Option<i64>,
    /// Written by another tool and taken over by `eks-kc adopt`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    adopted: bool,
}

/// `eks-kc list`: `--cache-dir` and `--refresh-margin` over the environment, then [`run`].
pub fn main(args: &ListArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    let settings = Settings::of_process(Flags {
        cache_dir: global.cache_dir(args.cache.cache_dir.as_deref()),
        refresh_margin: Some(args.refresh_margin),
        ..Flags::default()
    })?;
    run(args, &settings, out).map(|()| exit::SUCCESS)
}

pub fn run(args: &ListArgs, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    // One write for the whole listing, not one per row (stdout is line-buffered).
    let mut buffered = std::io::BufWriter::new(out);
    list(args, settings, &mut buffered)?;
    buffered.flush()?;
    Ok(())
}

fn list(args: &ListArgs, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    let summary = kubeconfig::digest::load(args.kubeconfig.as_deref(), settings.cache_dir()?)?;
    for name in &summary.unusable {
        eprintln!("eks-kc: {}", super::unusable_message(name));
    }
    let current = summary.current;
    let tokens = TokenCache::new(settings.cache_dir()?);
    let present = tokens.present();
    let now = Utc::now();
    let rows: Vec<Row> = summary
        .managed
        .into_iter()
        .map(|m| (m, false))
        .chain(summary.adopted.into_iter().map(|m| (m, true)))
        .map(|(m, adopted)| {
            let (token, left) =
                token_state(&m, &tokens, present.as_ref(), now, settings.refresh_margin);
            Row {
                current: current.as_deref() == Some(m.name.as_str()),
                cluster: m.id.cluster_name.clone(),
                region: m.id.region.clone(),
                profile: m.id.profile.clone(),
                role_arn: m.exec.role_arn.clone(),
                token,
                token_seconds_left: left,
                adopted,
                name: m.name,
            }
        })
        .collect();

    match args.output {
        ListOutput::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        ListOutput::Table => {
            if rows.is_empty() {
                eprintln!(
                    "eks-kc: no managed contexts; run `{bin} sync` to discover clusters",
                    bin = crate::display::bin()
                );
                return Ok(());
            }
            let cells: Vec<[String; 6]> = rows
                .iter()
                .map(|r| {
                    let token = token_text(r.token, r.token_seconds_left, settings.refresh_margin);
                    [
                        if r.current { "*".into() } else { String::new() },
                        r.name.clone(),
                        r.cluster.clone(),
                        r.region.clone(),
                        r.profile.clone(),
                        if r.adopted {
                            format!("{token}, adopted")
                        } else {
                            token
                        },
                    ]
                })
                .collect();
            write_table(
                out,
                &["CURRENT", "NAME", "CLUSTER", "REGION", "PROFILE", "TOKEN"],
                &cells,
            )?;
        }
    }
    Ok(())
}

/// The cached token of context `m`: `fresh`, `expiring` or `none`, and the seconds it has left
/// (unless `none`). `present`: the cache's file names, when listed once for many contexts
/// (see `TokenCache::present`).
pub fn token_state(
    m: &crate::kubeconfig::ManagedContext,
    tokens: &TokenCache,
    present: Option<&std::collections::HashSet<String>>,
    now: chrono::DateTime<Utc>,
    margin: Duration,
) -> (&'static str, Option<i64>) {
    let cached = super::context_token_key(m).and_then(|k| tokens.get_if_present(&k, present));
    let left = cached.as_ref().map(|e| e.expiration - now);
    let token = match &cached {
        Some(e) if e.is_fresh(now, margin) => "fresh",
        Some(_) if left.is_some_and(|l| l > Duration::zero()) => "expiring",
        _ => "none",
    };
    (
        token,
        left.filter(|_| token != "none").map(|l| l.num_seconds()),
    )
}

/// A token state as the table shows it: a fresh token says when it renews (it is served until
/// the refresh margin before its expiry).
pub fn token_text(token: &str, seconds_left: Option<i64>, margin: Duration) -> String {
    match seconds_left {
        Some(s) if token == "fresh" => {
            let renew = (s - margin.num_seconds()).max(0);
            format!("fresh (renews in {}m)", renew / 60)
        }
        _ => token.to_owned(),
    }
}

/// Left-aligned columns separated by three spaces, like kubectl's tables.
pub fn write_table<const N: usize>(
    out: &mut dyn Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> Result<()> {
    // Names come from kubeconfigs and the EKS API: escaped for the terminal.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| crate::display::safe(c).into_owned())
                .collect()
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}   ", w = widths[i]));
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

//! What a run says: a progress bar on a terminal, the changes (`--dry-run`), and the summary on
//! stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Result;

use super::{Report, TargetStatus};
use crate::exit;
use crate::kubeconfig::ChangeSet;

pub(super) fn progress_bar(targets: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(targets as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} discovering clusters [{bar:30}] {pos}/{len} calls {elapsed}",
        )
        .expect("a fixed template parses")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub(super) fn write_changes(out: &mut dyn Write, c: &ChangeSet) -> Result<()> {
    for (mark, names) in [("+", &c.added), ("~", &c.updated), ("-", &c.pruned)] {
        for n in names {
            writeln!(out, "{mark} {}", crate::display::safe(n))?;
        }
    }
    Ok(())
}

/// Change lines shown in the text summary; the JSON report always has them all.
const SUMMARY_LINES: usize = 20;

/// The text summary on stderr: a headline, the changes, and a line for whatever needs a look
/// (regions not enabled, failed and skipped targets, targets without clusters, conflicts).
pub(super) fn print_summary(r: &Report, dry_run: bool, written: bool, code: u8, all_regions: bool) {
    let c = &r.changes;
    // Cluster names come from the EKS API, account names from the portal: escaped.
    let mut err = crate::display::SafeWriter(std::io::stderr().lock());
    let clusters: usize = r.targets.iter().map(|t| t.clusters).sum();
    write_headline(&mut err, r, clusters, verb(dry_run, written, code));
    write_accounts(&mut err, r);
    if !dry_run {
        write_change_lines(&mut err, c);
    }
    let _ = writeln!(
        err,
        "  added {}, updated {}, unchanged {}, pruned {}",
        c.added.len(),
        c.updated.len(),
        c.unchanged.len(),
        c.pruned.len()
    );
    write_not_enabled(&mut err, r);
    write_target_errors(&mut err, r);
    write_empty_targets(&mut err, r, clusters == 0 && !all_regions);
    write_notes(&mut err, r, dry_run);
}

/// What the run did to the kubeconfig, as the headline says it.
fn verb(dry_run: bool, written: bool, code: u8) -> &'static str {
    match (dry_run, written, code) {
        (_, _, exit::FAILURE) => "nothing could be done; nothing written to",
        (true, _, _) => "dry run, nothing written to",
        (false, true, _) => "wrote",
        (false, false, _) => "no changes to",
    }
}

/// `eks-kc: N clusters in L of T targets (S s); VERB KUBECONFIG`.
fn write_headline(err: &mut dyn Write, r: &Report, clusters: usize, verb: &str) {
    let listed = r.count(TargetStatus::Listed);
    let _ = writeln!(
        err,
        "eks-kc: {clusters} clusters in {listed} of {} targets ({:.1}s); {verb} {}",
        r.targets.len(),
        r.elapsed_ms as f64 / 1000.0,
        r.kubeconfig.display()
    );
}

/// The IAM Identity Center accounts of the run, counted by status (nothing without any).
fn write_accounts(err: &mut dyn Write, r: &Report) {
    if r.accounts.is_empty() {
        return;
    }
    use super::sso::AccountStatus;
    let of = |s: AccountStatus| r.accounts.iter().filter(|a| a.status == s).count();
    let roles: usize = r.accounts.iter().map(|a| a.roles.len()).sum();
    let _ = writeln!(
        err,
        "  IAM Identity Center: {} accounts ({} listed, {} failed, {} without a chosen role), \
         {roles} roles",
        r.accounts.len(),
        of(AccountStatus::Listed),
        of(AccountStatus::Failed),
        of(AccountStatus::Skipped),
    );
}

/// The first `SUMMARY_LINES` change lines (`+ name`, `~ name`, `- name`), and how many more.
fn write_change_lines(err: &mut dyn Write, c: &ChangeSet) {
    let mut sink = Vec::new();
    let _ = write_changes(&mut sink, c);
    let text = String::from_utf8_lossy(&sink);
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(SUMMARY_LINES) {
        let _ = writeln!(err, "  {line}");
    }
    if lines.len() > SUMMARY_LINES {
        let _ = writeln!(
            err,
            "  ... and {} more (--output json lists them all)",
            lines.len() - SUMMARY_LINES
        );
    }
}

/// Regions an account has not enabled: one line, not one per (account, role, region).
fn write_not_enabled(err: &mut dyn Write, r: &Report) {
    let not_enabled: Vec<&str> = r
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::NotEnabled)
        .filter_map(|t| t.region.as_deref())
        .collect();
    if !not_enabled.is_empty() {
        let mut regions = not_enabled.clone();
        regions.sort_unstable();
        regions.dedup();
        let _ = writeln!(
            err,
            "  skipped {} targets in regions not enabled for their account ({}; --output json \
             lists them)",
            not_enabled.len(),
            regions.join(", ")
        );
    }
}

/// A line per failed or skipped target, saying why.
fn write_target_errors(err: &mut dyn Write, r: &Report) {
    for t in &r.targets {
        if t.status == TargetStatus::NotEnabled {
            continue;
        }
        if let Some(e) = &t.error {
            let label = if t.status == TargetStatus::Failed {
                "failed"
            } else {
                "skipped"
            };
            // No region: the reason says so in words (it used to be a cryptic `default/-`).
            let _ = writeln!(err, "  {label} {}: {e}", t.describe());
        }
    }
}

/// Targets that listed no cluster: said once, and, with `suggest_all_regions` (no target found
/// any and the run did not ask every region), where to look.
fn write_empty_targets(err: &mut dyn Write, r: &Report, suggest_all_regions: bool) {
    let empty: Vec<String> = r
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Listed && t.clusters == 0)
        .map(|t| t.describe())
        .collect();
    if empty.is_empty() {
        return;
    }
    const SHOWN: usize = 8;
    let more = empty.len().saturating_sub(SHOWN);
    let _ = writeln!(
        err,
        "  no clusters in {}{}",
        empty[..empty.len().min(SHOWN)].join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    if suggest_all_regions {
        let _ = writeln!(
            err,
            "  no target found a cluster: if yours are in another region, `{bin} sync \
             --all-regions` asks every EKS region (or name them with -r REGION)",
            bin = crate::display::bin()
        );
    }
}

/// Conflicts, clusters not written, and what became of the current context.
fn write_notes(err: &mut dyn Write, r: &Report, dry_run: bool) {
    let c = &r.changes;
    for conflict in &c.conflicts {
        let _ = writeln!(
            err,
            "  conflict {} ({}/{}): {}",
            conflict.cluster.cluster_name,
            conflict.cluster.profile,
            conflict.cluster.region,
            conflict.reason
        );
    }
    for s in &r.skipped {
        let _ = writeln!(err, "  not written: {s}");
    }
    if let Some(ctx) = &c.current_context_set {
        let what = if dry_run { "would set" } else { "set" };
        let _ = writeln!(
            err,
            "  the kubeconfig had no current context: {what} it to {ctx} (switch with `{bin} use`)",
            bin = crate::display::bin()
        );
    }
    if let Some(ctx) = &c.dangling_current_context {
        let _ = writeln!(
            err,
            "  note: current-context '{ctx}' was pruned; pick another with `kubectl config use-context`"
        );
    }
}

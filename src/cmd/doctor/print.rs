//! `eks-kc doctor`'s report for people: the context, each link with its evidence, the verdict
//! and the commands that fix it.

use std::io::Write;

use anyhow::Result;

use crate::doctor::Report;

/// Writes `r` as text.
pub(super) fn print(out: &mut dyn Write, r: &Report) -> Result<()> {
    writeln!(
        out,
        "context {}: cluster {} in {}{}",
        r.context,
        r.cluster,
        r.region,
        r.profile
            .as_deref()
            .map(|p| format!(", profile {p}"))
            .unwrap_or_default()
    )?;
    if let Some(s) = &r.server {
        writeln!(out, "server  {s}")?;
    }
    writeln!(out, "command {}", r.command)?;
    writeln!(out)?;
    for (i, l) in r.links.iter().enumerate() {
        writeln!(
            out,
            "{} {:<13} {:<16} {}",
            i + 1,
            l.title,
            l.status.label(),
            l.summary
        )?;
        for e in &l.evidence {
            writeln!(out, "{:32}- {e}", "")?;
        }
    }
    writeln!(out)?;
    let v = &r.verdict;
    if v.ok {
        writeln!(out, "verdict: ok: {}", v.summary)?;
    } else {
        writeln!(out, "verdict: {}", v.summary)?;
    }
    if !v.commands.is_empty() {
        writeln!(out, "fix:")?;
        for c in &v.commands {
            writeln!(out, "  {c}")?;
        }
    }
    if let Some(snippet) = &v.snippet {
        let what = match v.failed_link {
            Some("plugin-policy") => {
                "kuberc entry that admits it (kubectl's credential plugin policy):"
            }
            _ => "aws-auth mapping to add (data of kube-system/aws-auth):",
        };
        writeln!(out, "{what}")?;
        for line in snippet.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    for n in &v.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}

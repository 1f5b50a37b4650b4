//! `eks-kc adopt [--undo]`: EKS contexts another tool wrote, served by `eks-kc token` under
//! their own names (the rewrite itself is `kubeconfig::adopt`), and the undo. Each file of the
//! view is changed under client-go's lock with the atomic write every other command uses; a
//! context is changed in the file that defines it (the first one, as kubectl reads it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::cli::{AdoptArgs, ListOutput};
use crate::exit;
use crate::kubeconfig;
use crate::kubeconfig::file::View;
use crate::kubeconfig::{Adoption, ExecStyle, Kubeconfig, Section};

/// What happened in one file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FileReport {
    kubeconfig: PathBuf,
    dry_run: bool,
    #[serde(flatten)]
    adoption: Adoption,
    /// With --undo: the contexts restored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    restored: Vec<String>,
}

pub fn run(args: &AdoptArgs, out: &mut dyn Write) -> Result<u8> {
    let paths = kubeconfig::file::view_paths(args.kubeconfig.as_deref())?;
    let view = View::of_paths(&paths)?;
    // Every named context must exist before anything is written.
    for name in &args.contexts {
        if view.context_file(name).is_none() {
            bail!(
                "no context '{name}' in the kubeconfig (`kubectl config get-contexts` lists them)"
            );
        }
    }
    let exec_command = match &args.exec_command {
        Some(c) => c.clone(),
        None => super::sync::default_exec_command(),
    };
    let mut reports = vec![];
    for path in &paths {
        // The contexts this file defines first, as kubectl reads them.
        let mine: Vec<String> = args
            .contexts
            .iter()
            .filter(|n| view.context_file(n) == Some(path.as_path()))
            .cloned()
            .collect();
        if !args.all && mine.is_empty() {
            continue;
        }
        let apply = |cfg: &mut Kubeconfig| change(cfg, args, &mine, &exec_command, &view, path);
        let report = if args.dry_run {
            apply(&mut kubeconfig::file::read(path)?)
        } else {
            let _lock =
                kubeconfig::file::lock(path, Duration::from_secs(args.lock_timeout), &mut |l| {
                    eprintln!("eks-kc: waiting for {}", l.display())
                })?;
            let mut cfg = kubeconfig::file::read(path)?;
            let report = apply(&mut cfg);
            if !(report.0.adopted.is_empty() && report.1.is_empty()) {
                kubeconfig::file::write(path, &cfg)?;
            }
            report
        };
        reports.push(FileReport {
            kubeconfig: path.clone(),
            dry_run: args.dry_run,
            adoption: report.0,
            restored: report.1,
        });
    }
    print(args, &reports, out)?;
    let named_skipped = reports
        .iter()
        .flat_map(|r| &r.adoption.skipped)
        .any(|(c, _)| args.contexts.contains(c));
    Ok(if named_skipped {
        exit::FAILURE
    } else {
        exit::SUCCESS
    })
}

/// The adopt (or undo) of one file's contexts: `mine` when named, else (--all) every one.
/// `view` is KUBECONFIG as kubectl reads it and `path` this file: with --all, a context a file
/// before it also defines is kubectl's in that file (adopted there), not here.
fn change(
    cfg: &mut Kubeconfig,
    args: &AdoptArgs,
    mine: &[String],
    exec_command: &str,
    view: &View,
    path: &Path,
) -> (Adoption, Vec<String>) {
    if args.undo {
        let restored = cfg.undo_adopt((!args.all).then_some(mine));
        return (Adoption::default(), restored);
    }
    let names: Vec<String> = if args.all {
        cfg.foreign_eks_contexts()
            .into_iter()
            .filter(|n| view.context_file(n).is_none_or(|f| f == path))
            .collect()
    } else {
        mine.to_vec()
    };
    // A user an earlier file also defines is the one kubectl runs: rewriting this one would
    // change nothing kubectl does.
    let (names, shadowed): (Vec<String>, Vec<String>) = names
        .into_iter()
        .partition(|n| user_shadowed(cfg, view, path, n).is_none());
    let style = args
        .exec_style
        .map_or_else(|| cfg.exec_style(), ExecStyle::from);
    let mut adoption = cfg.adopt(&names, style, exec_command);
    for n in shadowed {
        let why = user_shadowed(cfg, view, path, &n).unwrap_or_default();
        adoption.skipped.push((n, why));
    }
    (adoption, vec![])
}

/// Why the user of context `name` (of `cfg`, the file at `path`) is not the one kubectl runs:
/// an earlier file of KUBECONFIG defines a user of the same name.
fn user_shadowed(cfg: &Kubeconfig, view: &View, path: &Path, name: &str) -> Option<String> {
    let (_, user) = cfg.context_refs(name)?;
    let (first, _) = view
        .files
        .iter()
        .find(|(_, k)| k.defines(Section::Users, &user))?;
    (first != path && cfg.defines(Section::Users, &user)).then(|| {
        format!(
            "its user '{user}' is also defined in {}, which comes first in KUBECONFIG, so \
             kubectl runs that one (rename one of the two to adopt this context)",
            first.display()
        )
    })
}

fn print(args: &AdoptArgs, reports: &[FileReport], out: &mut dyn Write) -> Result<()> {
    if args.output == ListOutput::Json {
        serde_json::to_writer_pretty(&mut *out, reports)?;
        writeln!(out)?;
    }
    let would = if args.dry_run { "would be " } else { "" };
    let mut any = false;
    for r in reports {
        for a in &r.adoption.adopted {
            any = true;
            if args.output == ListOutput::Table {
                writeln!(out, "{}", a.context)?;
            }
            eprintln!(
                "eks-kc: {} {would}adopted{}: `{}` -> `{}`",
                a.context,
                if a.own_user {
                    format!(" (with a user of its own, {})", a.user)
                } else {
                    String::new()
                },
                a.was,
                a.now
            );
        }
        for c in &r.restored {
            any = true;
            if args.output == ListOutput::Table {
                writeln!(out, "{c}")?;
            }
            eprintln!("eks-kc: {c} {would}restored to its original user");
        }
        for (c, why) in &r.adoption.skipped {
            eprintln!("eks-kc: {c} not adopted: {why}");
        }
    }
    if !any {
        let what = if args.undo {
            "no adopted context to restore"
        } else {
            "no EKS context to adopt (every one is served by eks-kc already, or none was chosen)"
        };
        eprintln!("eks-kc: {what}");
    }
    Ok(())
}

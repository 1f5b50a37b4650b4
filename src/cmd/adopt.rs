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
use crate::display::{SafeWriter, safe};
use crate::exit;
use crate::kubeconfig;
use crate::kubeconfig::file::View;
use crate::kubeconfig::{Adoption, ExecStyle, Kubeconfig, Section, Undone};

/// What happened in one file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FileReport {
    kubeconfig: PathBuf,
    dry_run: bool,
    #[serde(flatten)]
    adoption: Adoption,
    /// With --undo: what was restored.
    #[serde(flatten)]
    undone: Undone,
}

pub fn run(args: &AdoptArgs, out: &mut dyn Write) -> Result<u8> {
    let paths = kubeconfig::file::view_paths(args.kubeconfig.as_deref())?;
    let view = View::of_paths(&paths)?;
    // A file kubectl refuses is refused before anything is written.
    for (path, cfg) in &view.files {
        kubeconfig::file::check_names(path, cfg)?;
    }
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
        let (adoption, undone) = if args.dry_run {
            apply(&mut kubeconfig::file::read(path)?)
        } else {
            let _lock =
                kubeconfig::file::lock(path, Duration::from_secs(args.lock_timeout), &mut |l| {
                    eprintln!("eks-kc: waiting for {}", safe(&l.display().to_string()))
                })?;
            let mut cfg = kubeconfig::file::read(path)?;
            kubeconfig::file::check_names(path, &cfg)?;
            let (adoption, undone) = apply(&mut cfg);
            if !adoption.adopted.is_empty() || undone.changed() {
                kubeconfig::file::write(path, &cfg)?;
            }
            (adoption, undone)
        };
        reports.push(FileReport {
            kubeconfig: path.clone(),
            dry_run: args.dry_run,
            adoption,
            undone,
        });
    }
    print(args, &reports, out)?;
    policy_warning(&view, &reports, &exec_command, args.dry_run);
    let named_skipped = reports
        .iter()
        .flat_map(|r| &r.adoption.skipped)
        .any(|(c, _)| args.contexts.contains(c));
    let not_restored = reports.iter().any(|r| !r.undone.not_restored.is_empty());
    Ok(if named_skipped || not_restored {
        exit::FAILURE
    } else {
        exit::SUCCESS
    })
}

/// One line on stderr when kubectl's credential plugin policy (its kuberc, kubectl >= 1.35)
/// would refuse the command the adopted contexts now run, saying whether it admitted the one
/// they ran before (then adopt turns working contexts into refused ones).
fn policy_warning(view: &View, reports: &[FileReport], exec_command: &str, dry_run: bool) {
    use kubeconfig::kuberc;
    let adopted: Vec<&str> = reports
        .iter()
        .flat_map(|r| &r.adoption.adopted)
        .map(|a| a.context.as_str())
        .collect();
    let Some(first) = adopted.first() else {
        return;
    };
    let Some(problem) = kuberc::for_kubectl(exec_command)
        .as_ref()
        .and_then(kuberc::Judged::problem)
    else {
        return;
    };
    // `view` is the kubeconfig before the rewrite: the commands the contexts ran.
    let files: Vec<&Kubeconfig> = view.files.iter().map(|(_, k)| k).collect();
    let was_admitted = adopted.iter().find_map(|c| {
        let old = kubeconfig::identify_context(&files, c).ok()?;
        let judged = kuberc::for_kubectl(&old.exec_command)?;
        (!judged.refuses()).then_some(old.exec_command)
    });
    let before = match was_admitted {
        Some(old) => format!(
            "it admits `{}`, which the context{} ran before, so adopt {} them stop working in \
             kubectl; ",
            safe(&old),
            if adopted.len() == 1 { "" } else { "s" },
            if dry_run { "would make" } else { "makes" }
        ),
        None => String::new(),
    };
    eprintln!(
        "eks-kc: warning: {problem}; {before}`eks-kc doctor {}` prints the allowlist entry that \
         admits it (eks-kc never changes a kuberc)",
        safe(first)
    );
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
) -> (Adoption, Undone) {
    if args.undo {
        let undone = cfg.undo_adopt((!args.all).then_some(mine));
        return (Adoption::default(), undone);
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
    let mut adoption = cfg.adopt(&names, style, exec_command, &view.users_named_outside(path));
    for n in shadowed {
        let why = user_shadowed(cfg, view, path, &n).unwrap_or_default();
        adoption.skipped.push((n, why));
    }
    (adoption, Undone::default())
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

/// The report: context names on stdout (escaped) or the JSON (exact); what happened on stderr,
/// escaped: names and commands come from the kubeconfig.
fn print(args: &AdoptArgs, reports: &[FileReport], out: &mut dyn Write) -> Result<()> {
    if args.output == ListOutput::Json {
        serde_json::to_writer_pretty(&mut *out, reports)?;
        writeln!(out)?;
    }
    let mut err = SafeWriter(std::io::stderr().lock());
    let would = if args.dry_run { "would be " } else { "" };
    let mut any = false;
    for r in reports {
        for a in &r.adoption.adopted {
            any = true;
            if args.output == ListOutput::Table {
                writeln!(out, "{}", safe(&a.context))?;
            }
            let _ = writeln!(
                err,
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
        for c in &r.undone.restored {
            any = true;
            if args.output == ListOutput::Table {
                writeln!(out, "{}", safe(c))?;
            }
            let _ = writeln!(err, "eks-kc: {c} {would}restored to its original user");
        }
        for u in &r.undone.unused_restored {
            any = true;
            let _ = writeln!(
                err,
                "eks-kc: user {u} (adopted, used by no context) {would}restored"
            );
        }
        for u in &r.undone.unused_removed {
            any = true;
            let _ = writeln!(
                err,
                "eks-kc: user {u} (made by adopt, used by no context) {would}removed"
            );
        }
        for (c, why) in &r.undone.not_restored {
            let _ = writeln!(err, "eks-kc: {c} not restored: {why}");
        }
        for (c, why) in &r.adoption.skipped {
            let _ = writeln!(err, "eks-kc: {c} not adopted: {why}");
        }
    }
    if !any {
        let what = if args.undo {
            "no adopted context to restore"
        } else {
            "no EKS context to adopt (every one is served by eks-kc already, or none was chosen)"
        };
        let _ = writeln!(err, "eks-kc: {what}");
    }
    Ok(())
}

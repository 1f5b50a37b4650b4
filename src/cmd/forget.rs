//! `eks-kc forget`: remove every entry eks-kc wrote to the kubeconfig (the undo of `sync`),
//! under the same lock and atomic write as sync. A file without eks-kc's entries is not
//! touched, not even locked.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::cli::ForgetArgs;
use crate::display::{SafeWriter, safe};
use crate::kubeconfig::Kubeconfig;
use crate::{exit, kubeconfig};

pub fn run(args: &ForgetArgs, out: &mut dyn Write) -> Result<u8> {
    let paths = kubeconfig::file::view_paths(args.kubeconfig.as_deref())?;
    // A file kubectl refuses is refused before anything is written.
    let mut ours = vec![];
    for path in &paths {
        // A missing file reads as empty: nothing to forget, and nothing is created.
        let cfg = kubeconfig::file::read(path)?;
        if cfg.has_managed_entries() {
            kubeconfig::file::check_names(path, &cfg)?;
            ours.push(path);
        }
    }
    let mut err = SafeWriter(std::io::stderr().lock());
    let mut any = false;
    let mut left = false;
    for path in ours {
        // An adopted context is the user's: forgetting it restores it, never deletes it.
        let forget = |cfg: &mut Kubeconfig| {
            let undone = cfg.undo_adopt(None);
            (cfg.forget_managed(), undone)
        };
        let (gone, undone) = if args.dry_run {
            forget(&mut kubeconfig::file::read(path)?)
        } else {
            let _lock =
                kubeconfig::file::lock(path, Duration::from_secs(args.lock_timeout), &mut |l| {
                    eprintln!("eks-kc: waiting for {}", safe(&l.display().to_string()))
                })?;
            let mut cfg = kubeconfig::file::read(path)?;
            kubeconfig::file::check_names(path, &cfg)?;
            let (gone, undone) = forget(&mut cfg);
            if !gone.is_empty() || undone.changed() {
                kubeconfig::file::write(path, &cfg)?;
            }
            (gone, undone)
        };
        let file = path.display();
        let would = if args.dry_run { "would be " } else { "" };
        for name in &undone.restored {
            any = true;
            writeln!(out, "~ {}", safe(name))?;
            let _ = writeln!(
                err,
                "eks-kc: {name} (adopted) {would}restored to its original user in {file}"
            );
        }
        for u in &undone.unused_restored {
            any = true;
            let _ = writeln!(
                err,
                "eks-kc: user {u} (adopted, used by no context) {would}restored in {file}"
            );
        }
        for u in &undone.unused_removed {
            any = true;
            let _ = writeln!(
                err,
                "eks-kc: user {u} (made by adopt, used by no context) {would}removed from {file}"
            );
        }
        for (c, why) in &undone.not_restored {
            left = true;
            let _ = writeln!(err, "eks-kc: {c} (adopted) not restored: {why}");
        }
        if gone.is_empty() {
            continue;
        }
        any = true;
        for name in &gone.contexts {
            writeln!(out, "- {}", safe(name))?;
        }
        let _ = writeln!(
            err,
            "eks-kc: {} {} contexts, {} clusters{} from {file}",
            if args.dry_run {
                "would remove"
            } else {
                "removed"
            },
            gone.contexts.len(),
            gone.clusters.len(),
            if gone.user {
                " and the eks-kc user"
            } else {
                ""
            },
        );
        if let Some(c) = &gone.cleared_current_context {
            let _ = writeln!(
                err,
                "  current-context '{c}' {} cleared; pick another with `{bin} use`",
                if args.dry_run { "would be" } else { "was" },
                bin = crate::display::bin()
            );
        }
    }
    if !any && !left {
        let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(
            err,
            "eks-kc: nothing to forget: no entries written by eks-kc in {}",
            files.join(", ")
        );
    }
    Ok(if left { exit::FAILURE } else { exit::SUCCESS })
}

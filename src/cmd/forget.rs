//! `eks-kc forget`: remove every entry eks-kc wrote to the kubeconfig (the undo of `sync`),
//! under the same lock and atomic write as sync. A file without eks-kc's entries is not
//! touched, not even locked.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::cli::ForgetArgs;
use crate::{exit, kubeconfig};

pub fn run(args: &ForgetArgs, out: &mut dyn Write) -> Result<u8> {
    let paths = kubeconfig::file::view_paths(args.kubeconfig.as_deref())?;
    let mut any = false;
    for path in &paths {
        // A missing file reads as empty: nothing to forget, and nothing is created.
        if !kubeconfig::file::read(path)?.has_managed_entries() {
            continue;
        }
        // An adopted context is the user's: forgetting it restores it, never deletes it.
        let forget = |cfg: &mut crate::kubeconfig::Kubeconfig| {
            let restored = cfg.undo_adopt(None);
            (cfg.forget_managed(), restored)
        };
        let (gone, restored) = if args.dry_run {
            forget(&mut kubeconfig::file::read(path)?)
        } else {
            let _lock =
                kubeconfig::file::lock(path, Duration::from_secs(args.lock_timeout), &mut |l| {
                    eprintln!("eks-kc: waiting for {}", l.display())
                })?;
            let mut cfg = kubeconfig::file::read(path)?;
            let (gone, restored) = forget(&mut cfg);
            if !gone.is_empty() || !restored.is_empty() {
                kubeconfig::file::write(path, &cfg)?;
            }
            (gone, restored)
        };
        for name in &restored {
            any = true;
            writeln!(out, "~ {name}")?;
            eprintln!(
                "eks-kc: {name} (adopted) {} to its original user in {}",
                if args.dry_run {
                    "would be restored"
                } else {
                    "restored"
                },
                path.display()
            );
        }
        if gone.is_empty() {
            continue;
        }
        any = true;
        for name in &gone.contexts {
            writeln!(out, "- {name}")?;
        }
        eprintln!(
            "eks-kc: {} {} contexts, {} clusters{} from {}",
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
            path.display()
        );
        if let Some(c) = &gone.cleared_current_context {
            eprintln!(
                "  current-context '{c}' {} cleared; pick another with `{bin} use`",
                if args.dry_run { "would be" } else { "was" },
                bin = crate::display::bin()
            );
        }
    }
    if !any {
        let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "eks-kc: nothing to forget: no entries written by eks-kc in {}",
            files.join(", ")
        );
    }
    Ok(exit::SUCCESS)
}

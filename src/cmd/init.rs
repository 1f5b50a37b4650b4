//! `eks-kc init bash|zsh|fish`: the shell integration for per-shell contexts (see
//! `crate::shell`). Also removes the files of shells that have exited.

use std::io::Write;

use anyhow::{Result, bail};

use crate::cli::InitArgs;
use crate::kubeconfig;
use crate::settings;
use crate::settings::ShellEnv;
use crate::shell::{self, script};

pub fn run(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    if cfg!(windows) {
        bail!(
            "eks-kc init: per-shell contexts (bash, zsh, fish) are not available on Windows; \
             `eks-kc use NAME` switches the kubeconfig's own current context"
        );
    }
    let env = ShellEnv::from_env();
    if let Ok(shells) = settings::shells_dir() {
        shell::remove_dead(&shells, env.shell);
    }
    // Started inside a shell that has a context of its own (a nested shell, a tmux pane): its
    // KUBECONFIG starts with that shell's file, and this shell takes a copy of its own.
    let adopt = kubeconfig::file::view_paths(None)
        .ok()
        .and_then(|paths| paths.first().map(|p| shell::is_shell_file(p)))
        .unwrap_or(false);
    out.write_all(script::init(args.shell, adopt).as_bytes())?;
    Ok(())
}

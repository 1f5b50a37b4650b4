//! Generated files: shell completion scripts and man pages, rendered from `cli.rs` alone.
//!
//! They are committed under `completions/` and `man/`. `tests/generated.rs` renders them in
//! memory and fails when the committed files drift; `EKS_KC_REGENERATE=1 cargo test --test
//! generated` rewrites them. Output is byte-deterministic: a fixed binary name, no dates.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::env::EnvCompleter;

use crate::cli::{Cli, Shell};

/// The binary's name, fixed so generated files do not depend on how it was invoked.
pub const BIN: &str = "eks-kc";
/// The environment variable the completion scripts set when they call eks-kc back.
pub const COMPLETE_VAR: &str = "COMPLETE";

pub fn command() -> clap::Command {
    Cli::command().name(BIN).bin_name(BIN)
}

/// The registration script for `shell`: it asks `eks-kc` itself for candidates, so context and
/// profile names are always current (read from local files, never from AWS).
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Elvish => &clap_complete::env::Elvish,
        Shell::Powershell => &clap_complete::env::Powershell,
    };
    let mut buf = vec![];
    completer
        .write_registration(COMPLETE_VAR, BIN, BIN, BIN, &mut buf)
        .expect("writing to a Vec cannot fail");
    buf
}

/// The date in the man pages' title line: the release this version documents (bump it with the
/// version). A constant, so the pages are the same on every machine and every day.
pub const MAN_DATE: &str = "2026-11-22";

/// The roff man page of `cmd`.
pub fn man_page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut buf = vec![];
    clap_mangen::Man::new(cmd.clone())
        .date(MAN_DATE)
        .render(&mut buf)?;
    // clap_mangen separates the paragraphs of a possible-value list with `.br`, a blank line
    // and `.br`; a paragraph break is `.sp` (mandoc -Tlint warns otherwise).
    let text = String::from_utf8(buf)?.replace("\n.br\n\n.br\n", "\n.sp\n");
    Ok(text.into_bytes())
}

/// Every generated file, by path relative to the repository root.
pub fn all() -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for (shell, file) in [
        (Shell::Bash, "eks-kc.bash"),
        (Shell::Zsh, "_eks-kc"),
        (Shell::Fish, "eks-kc.fish"),
        (Shell::Elvish, "eks-kc.elv"),
        (Shell::Powershell, "_eks-kc.ps1"),
    ] {
        files.insert(
            PathBuf::from("completions").join(file),
            completion_script(shell),
        );
    }
    let mut cmd = command();
    cmd.build();
    files.insert(PathBuf::from("man/eks-kc.1"), man_page(&cmd)?);
    add_subcommand_pages(&cmd, BIN, &mut files)?;
    Ok(files)
}

fn add_subcommand_pages(
    cmd: &clap::Command,
    prefix: &str,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix}-{}", sub.get_name());
        let page = sub.clone().name(name.clone());
        files.insert(PathBuf::from(format!("man/{name}.1")), man_page(&page)?);
        add_subcommand_pages(sub, &name, files)?;
    }
    Ok(())
}

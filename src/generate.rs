//! Generated files: shell completion scripts and man pages, rendered from `cli.rs` alone.
//!
//! They are committed under `completions/` and `man/`. `tests/it/generated.rs` renders them in
//! memory and fails when the committed files drift; `EKS_KC_REGENERATE=1 cargo test --test it
//! generated::` rewrites them. Output is byte-deterministic: a fixed binary name, no dates.

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

/// The command the generated files describe: named `eks-kc`, with the bare version (the commit
/// and target `--version` adds would make the man pages differ per commit and per machine).
pub fn command() -> clap::Command {
    Cli::command()
        .name(BIN)
        .bin_name(BIN)
        .version(env!("CARGO_PKG_VERSION"))
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

/// The command as the man pages describe it: built (so global flags and bin names are in place)
/// and without clap's `help` subcommand, which has no page of its own (`--help` does its job).
pub fn man_command() -> clap::Command {
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The roff man page of `cmd` (a command of [`man_command`]'s tree).
pub fn man_page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut buf = vec![];
    // clap_mangen's own SYNOPSIS drops option values (`[--profile]`): give it a full one.
    let synopsis = synopsis(cmd);
    clap_mangen::Man::new(cmd.clone().override_usage(synopsis))
        .date(MAN_DATE)
        .render(&mut buf)?;
    // clap_mangen separates the paragraphs of a possible-value list with `.br`, a blank line
    // and `.br`; a paragraph break is `.sp` (mandoc -Tlint warns otherwise).
    let text = String::from_utf8(buf)?.replace("\n.br\n\n.br\n", "\n.sp\n");
    Ok(text.into_bytes())
}

/// `eks-kc sync [-p|--profile PROFILE]... [--all-profiles] ...`: every visible option with its
/// value, repeatable ones marked `...`, then the positionals and `<COMMAND>` for a parent.
fn synopsis(cmd: &clap::Command) -> String {
    use clap::ArgAction;
    let value = |arg: &clap::Arg| match arg.get_value_names() {
        Some(names) => names
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        None => arg.get_id().as_str().to_ascii_uppercase(),
    };
    let repeated =
        |arg: &clap::Arg| matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
    let mut words = vec![cmd.get_bin_name().unwrap_or(cmd.get_name()).to_owned()];
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let mut word = if arg.is_positional() {
            value(arg)
        } else {
            let mut names = vec![];
            if let Some(short) = arg.get_short() {
                names.push(format!("-{short}"));
            }
            if let Some(long) = arg.get_long() {
                names.push(format!("--{long}"));
            }
            let mut word = names.join("|");
            if arg.get_action().takes_values() {
                word = format!("{word} {}", value(arg));
            }
            word
        };
        word = match (arg.is_required_set(), arg.is_positional()) {
            (true, true) => format!("<{word}>"),
            (true, false) => word,
            (false, _) => format!("[{word}]"),
        };
        if repeated(arg) {
            word.push_str("...");
        }
        words.push(word);
    }
    if cmd.has_subcommands() {
        words.push("<COMMAND>".into());
    }
    words.join(" ")
}

/// Every man page, by file name: `eks-kc.1` and one `eks-kc-<sub>[-<sub>].1` per subcommand.
pub fn man_pages() -> Result<BTreeMap<String, Vec<u8>>> {
    let cmd = man_command();
    let mut pages = BTreeMap::new();
    pages.insert(format!("{BIN}.1"), man_page(&cmd)?);
    add_subcommand_pages(&cmd, BIN, &mut pages)?;
    Ok(pages)
}

/// The page of `eks-kc WORDS...` (`[]` for eks-kc(1), `["cache", "clear"]`); an unknown
/// subcommand is an error that lists the pages there are.
pub fn man_page_for(words: &[String]) -> Result<Vec<u8>> {
    let name = std::iter::once(BIN)
        .chain(words.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-");
    let mut pages = man_pages()?;
    match pages.remove(&format!("{name}.1")) {
        Some(page) => Ok(page),
        None => {
            let names: Vec<String> = pages
                .keys()
                .filter_map(|f| f.strip_suffix(".1"))
                .filter_map(|n| n.strip_prefix("eks-kc-"))
                .map(|n| n.replace('-', " "))
                .collect();
            anyhow::bail!(
                "no man page for `{}`; there are pages for: {}",
                name.replace('-', " ").replacen("eks kc", "eks-kc", 1),
                names.join(", ")
            )
        }
    }
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
    for (name, page) in man_pages()? {
        files.insert(PathBuf::from("man").join(name), page);
    }
    Ok(files)
}

fn add_subcommand_pages(
    cmd: &clap::Command,
    prefix: &str,
    pages: &mut BTreeMap<String, Vec<u8>>,
) -> Result<()> {
    for sub in cmd.get_subcommands() {
        let name = format!("{prefix}-{}", sub.get_name());
        let page = sub.clone().name(name.clone());
        pages.insert(format!("{name}.1"), man_page(&page)?);
        add_subcommand_pages(sub, &name, pages)?;
    }
    Ok(())
}

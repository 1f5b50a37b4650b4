//! `eks-kc alias set|rm|list`, and what every command that takes a context does with an alias:
//! [`resolve`] turns what was typed into a context name (an exact context name first, then an
//! alias, then `use`'s unique prefix or substring). The aliases are the config file's
//! `aliases:` section (`crate::config::aliases`), rewritten under the config file's lock with
//! the rest of the file kept byte for byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::cli::{AliasAction, AliasArgs, ListOutput};
use crate::config::{self, Aliases};
use crate::kubeconfig;
use crate::settings::{self, Settings};

/// The context name `query` stands for among `names`: `query` itself when a context has that
/// name, else the context of the alias `query`, else `query` (for the caller's own matching).
/// An alias of a context the kubeconfig no longer has is an error that says what to do.
pub fn expand(query: &str, names: &[String]) -> Result<String> {
    if names.iter().any(|n| n == query) {
        return Ok(query.to_owned());
    }
    // No config file can be found (no home directory): there are no aliases.
    let Ok(path) = settings::config_file(settings::env::var) else {
        return Ok(query.to_owned());
    };
    let aliases = config::file::read_aliases(&path).context("reading the aliases")?;
    match aliases.get(query) {
        None => Ok(query.to_owned()),
        Some(context) if names.iter().any(|n| n == context) => Ok(context.to_owned()),
        Some(context) => bail!(
            "alias '{query}' stands for context '{context}', which the kubeconfig does not have \
             (any more): `{bin} alias set {query} CONTEXT` points it at another, `{bin} alias \
             rm {query}` removes it",
            bin = crate::display::bin()
        ),
    }
}

/// What `query` names among `names` as `use` takes it: [`expand`], then an exact name, a
/// unique prefix or a unique substring (see `switch::resolve`).
pub fn resolve(query: &str, names: &[String]) -> Result<String> {
    super::switch::resolve(&expand(query, names)?, names)
}

/// `eks-kc alias`.
pub fn run(args: &AliasArgs, out: &mut dyn Write) -> Result<()> {
    let path = settings::config_file(settings::env::var)?;
    match &args.action {
        AliasAction::Set {
            alias,
            context,
            kubeconfig,
        } => set(&path, alias, context, kubeconfig.as_deref(), out),
        AliasAction::Rm { aliases } => remove(&path, aliases, out),
        AliasAction::List { output, kubeconfig } => {
            list(&path, *output, kubeconfig.as_deref(), out)
        }
    }
}

/// The context names of the kubeconfig kubectl reads (or `explicit`), from the digest `list`
/// and completion use when it is current.
fn context_names(explicit: Option<&Path>) -> Result<Vec<String>> {
    let cache = Settings::from_env().and_then(|s| Ok(s.cache_dir()?.to_path_buf()));
    Ok(kubeconfig::digest::summary(explicit, cache.as_deref().ok())?.names)
}

/// Reads the config file under its lock, lets `change` edit its aliases, and writes it back
/// when they changed.
fn edit(path: &Path, change: impl FnOnce(&mut Aliases) -> Result<()>) -> Result<bool> {
    let _lock = config::file::lock(path, settings::DEFAULT_LOCK_TIMEOUT)?;
    let file = config::file::read(path)?;
    let mut aliases = file.aliases.clone();
    change(&mut aliases)?;
    if aliases == file.aliases {
        return Ok(false);
    }
    let text = file
        .with_aliases(&aliases)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    config::file::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

fn set(
    path: &Path,
    alias: &str,
    query: &str,
    explicit: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    config::aliases::check_name(alias).map_err(anyhow::Error::msg)?;
    let names = context_names(explicit)?;
    if names.iter().any(|n| n == alias) {
        bail!(
            "'{alias}' is the name of a context already, and an alias must not shadow one (the \
             context's own name works as it is); pick another alias"
        );
    }
    let context = resolve(query, &names)?;
    let mut was = None;
    edit(path, |aliases| {
        was = aliases.0.insert(alias.to_owned(), context.clone());
        Ok(())
    })?;
    let line = match was {
        Some(w) if w == context => format!("Alias \"{alias}\" already stands for \"{context}\"."),
        Some(w) => format!("Alias \"{alias}\" now stands for \"{context}\" (was \"{w}\")."),
        None => format!("Alias \"{alias}\" now stands for \"{context}\"."),
    };
    writeln!(out, "{}", crate::display::safe(&line))?;
    Ok(())
}

fn remove(path: &Path, names: &[String], out: &mut dyn Write) -> Result<()> {
    edit(path, |aliases| {
        let unknown: Vec<&str> = names
            .iter()
            .filter(|a| !aliases.0.contains_key(*a))
            .map(String::as_str)
            .collect();
        if let Some(first) = unknown.first() {
            let known = if aliases.is_empty() {
                "there are no aliases".to_owned()
            } else {
                let all: Vec<&str> = aliases.0.keys().map(String::as_str).collect();
                format!("the aliases are: {}", all.join(", "))
            };
            bail!(
                "no alias '{}' in {}; {known} (`{bin} alias list`)",
                crate::display::safe(first),
                path.display(),
                bin = crate::display::bin()
            );
        }
        for a in names {
            aliases.0.remove(a);
        }
        Ok(())
    })?;
    for a in names {
        writeln!(out, "Removed alias \"{a}\".")?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct Row {
    alias: String,
    context: String,
    /// `ok`, `missing` or `shadowed`.
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct Listing {
    path: PathBuf,
    aliases: Vec<Row>,
}

fn list(
    path: &Path,
    output: ListOutput,
    explicit: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let aliases = config::file::read_aliases(path)?;
    let names: std::collections::BTreeSet<String> = context_names(explicit)?.into_iter().collect();
    let rows: Vec<Row> = aliases
        .0
        .into_iter()
        .map(|(alias, context)| Row {
            state: if names.contains(&alias) {
                "shadowed"
            } else if names.contains(&context) {
                "ok"
            } else {
                "missing"
            },
            alias,
            context,
        })
        .collect();
    match output {
        ListOutput::Json => {
            let listing = Listing {
                path: path.to_path_buf(),
                aliases: rows,
            };
            serde_json::to_writer_pretty(&mut *out, &listing)?;
            writeln!(out)?;
        }
        ListOutput::Table if rows.is_empty() => {
            eprintln!(
                "eks-kc: no aliases; `{bin} alias set ALIAS CONTEXT` adds one",
                bin = crate::display::bin()
            );
        }
        ListOutput::Table => {
            let cells: Vec<[String; 3]> = rows
                .into_iter()
                .map(|r| [r.alias, r.context, r.state.to_owned()])
                .collect();
            super::list::write_table(out, &["ALIAS", "CONTEXT", "STATE"], &cells)?;
        }
    }
    Ok(())
}

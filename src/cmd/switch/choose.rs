//! What `use` and `ns` do when no name is given (or with -i): on a terminal, open the picker
//! (`pick`) on the contexts (`rows`, recent ones first: `crate::recent`) or on the cluster's
//! namespaces (`namespaces`); without one, print the candidates, or do what the command did
//! before it had a picker.

use std::io::Write;

use anyhow::{Result, anyhow, bail};

use super::pick::{self, Picked, Row};
use super::{effective, namespaces, rows};
use crate::cli::{NsArgs, UseArgs};
use crate::display::safe;
use crate::kubeconfig::{self, file::View};
use crate::settings::ShellEnv;

/// What came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The name to switch to, exactly as it was picked or typed.
    Chosen(String),
    /// Nothing was chosen (Esc, Ctrl-C): nothing changes, exit status 130.
    Cancelled,
    /// No terminal: the candidates were printed, nothing changes.
    Listed,
    /// No terminal and no -i: what `use --shell` did before it had a picker (it keeps the
    /// context in use for the shell).
    AsBefore,
}

impl Outcome {
    /// The exit status of an outcome that ends the command.
    pub fn code(&self) -> u8 {
        match self {
            Outcome::Cancelled => crate::exit::CANCELLED,
            _ => crate::exit::SUCCESS,
        }
    }
}

/// The context for `use` without CONTEXT, or with -i (CONTEXT is then the query).
pub fn context(args: &UseArgs, env: ShellEnv, out: &mut dyn Write) -> Result<Outcome> {
    let query = match args.interactive {
        true => args.context.as_deref().unwrap_or_default(),
        false => "",
    };
    let terminal = pick::on_terminal(env);
    if !terminal && args.shell && !args.interactive {
        return Ok(Outcome::AsBefore);
    }
    if !terminal {
        // Names only: the kubeconfig digest has them (`list` and completion read it too).
        let settings = crate::settings::Settings::from_env()?;
        let summary = kubeconfig::digest::load(args.kubeconfig.as_deref(), settings.cache_dir()?)?;
        pick::print(&pick::matching(&summary.names, query), env, out)?;
        return Ok(Outcome::Listed);
    }
    // From the digest, as `list` and completion read it: no YAML parsed while it vouches.
    let explicit = args.kubeconfig.as_deref();
    let settings = crate::settings::Settings::from_env().ok();
    let cache = settings.as_ref().and_then(|s| s.cache_dir().ok());
    let summary = kubeconfig::digest::summary(explicit, cache)?;
    if summary.names.is_empty() {
        bail!(
            "there is no context to pick: {}",
            crate::cmd::pick_a_context(false)
        );
    }
    let paths = kubeconfig::file::view_paths(explicit)?;
    let recent = crate::recent::load(&paths, &summary.names);
    let order = rows::order(
        &summary.names,
        &recent,
        summary.current.as_deref(),
        args.shell,
    );
    let margin = settings
        .as_ref()
        .map_or(chrono::Duration::minutes(5), |s| s.refresh_margin);
    let details = rows::Details::new(summary, rows::Tokens::new(cache, margin));
    // The first screen now (no terminal is this tall), the rest while the picker is open.
    let mut rest = order;
    let first: Vec<Row> = rest
        .drain(..rest.len().min(FIRST_SCREEN))
        .map(|n| details.row(&n))
        .collect();
    let more = move |push: &mut dyn FnMut(Vec<Row>) -> bool| {
        for names in rest.chunks(500) {
            if !push(names.iter().map(|n| details.row(n)).collect()) {
                return;
            }
        }
    };
    Ok(match pick::pick_streamed(first, more, query)? {
        Picked::One(name) => Outcome::Chosen(name),
        Picked::Nothing => Outcome::Cancelled,
    })
}

/// How many rows are made before the picker opens: more than a screen holds.
const FIRST_SCREEN: usize = 100;

/// Whether a person is there to pick (see `pick::on_terminal`).
pub fn on_terminal(env: ShellEnv) -> bool {
    pick::on_terminal(env)
}

/// The namespace for `ns` without NAMESPACE: picked among the cluster's, or, when they cannot
/// be listed, typed (as typed: the caller checks it). Without a terminal, the cluster's
/// namespaces are printed, one per line, or the command fails saying why they cannot be listed
/// (nothing on stdout).
pub fn namespace(args: &NsArgs, env: ShellEnv, out: &mut dyn Write) -> Result<Outcome> {
    let view = View::load(args.kubeconfig.as_deref())?;
    let Some(context) = view.current_context() else {
        bail!(
            "there is no current context, so no namespace: {}",
            crate::cmd::pick_a_context(!view.context_names().is_empty())
        );
    };
    let now = effective(view.namespace_of(&context).as_deref()).to_owned();
    let listed = namespaces::list(&view, &context).map(|listed| {
        if let Some(why) = &listed.cut {
            eprintln!(
                "eks-kc: note: listed the first {} namespaces of context '{}' ({}); `eks-kc ns \
                 NAME` switches to any other",
                listed.names.len(),
                safe(&context),
                safe(why)
            );
        }
        listed.names
    });
    if !pick::on_terminal(env) {
        let names = listed
            .map_err(|why| anyhow!("cannot list the namespaces of context '{context}': {why}"))?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        pick::print(&names, env, out)?;
        return Ok(Outcome::Listed);
    }
    let why = match listed {
        Ok(names) if !names.is_empty() => {
            let rows: Vec<Row> = names.iter().map(|n| Row::new(n, *n == now, "")).collect();
            return Ok(match pick::pick(rows, "")? {
                Picked::One(name) => Outcome::Chosen(name),
                Picked::Nothing => Outcome::Cancelled,
            });
        }
        Ok(_) => "the API server lists none".to_owned(),
        Err(why) => why,
    };
    eprintln!(
        "eks-kc: cannot list the namespaces of context '{}': {}",
        safe(&context),
        safe(&why)
    );
    typed(&now)
}

/// Asks for a namespace on the terminal; an empty answer (or end of input) changes nothing.
fn typed(now: &str) -> Result<Outcome> {
    let now = safe(now);
    eprint!("eks-kc: namespace to switch to (now {now}; Enter alone keeps it): ");
    let mut line = String::new();
    // A terminal hands over one line of at most a few KiB: nothing to bound here.
    let read = std::io::stdin().read_line(&mut line)?;
    let name = line.trim();
    if read == 0 || name.is_empty() {
        eprintln!();
        return Ok(Outcome::Cancelled);
    }
    Ok(Outcome::Chosen(name.to_owned()))
}

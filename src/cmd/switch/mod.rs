//! `eks-kc use` and `eks-kc ns`: switch the current context (by exact name, prefix or
//! substring; `-` for the previous one) or its namespace, in the kubeconfig every shell reads
//! (`global`) or in one shell's own file (`own`); `scope` decides which.
//!
//! Run by the shell function of `eks-kc init` (`_EKS_KC_EVAL` set), they print shell code
//! instead of plain lines: the change of the shell's `KUBECONFIG`, if any, and the lines.

mod choose;
mod fast;
mod global;
mod namespaces;
mod own;
mod pick;
mod rows;
mod scope;

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cli::{NsArgs, UseArgs};
use crate::kubeconfig;
use crate::kubeconfig::file::View;
use crate::settings::ShellEnv;
use crate::shell::{self, script};
use choose::Outcome;
use scope::{Flag, Plan, Scope};

/// Picks the context `query` names: exact, else the one name it prefixes, else the one name
/// containing it. Ambiguous or unknown is an error listing the candidates.
pub fn resolve(query: &str, names: &[String]) -> Result<String> {
    if names.iter().any(|n| n == query) {
        return Ok(query.to_owned());
    }
    for (how, matches) in [
        (
            "start with",
            names
                .iter()
                .filter(|n| n.starts_with(query))
                .collect::<Vec<_>>(),
        ),
        (
            "contain",
            names.iter().filter(|n| n.contains(query)).collect(),
        ),
    ] {
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok((*one).clone()),
            many => bail!(
                "'{query}' is ambiguous: {} contexts {how} it: {}",
                many.len(),
                list(many.iter().map(|s| s.as_str()))
            ),
        }
    }
    if names.is_empty() {
        bail!(
            "no context named '{query}': the kubeconfig has no contexts (run `{bin} sync`)",
            bin = crate::display::bin()
        );
    }
    bail!(
        "no context named '{query}'; the contexts are: {}",
        list(names.iter().map(String::as_str))
    )
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    const SHOWN: usize = 15;
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(", … ({} more)", names.len() - SHOWN));
    }
    text
}

/// The context to switch to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An exact name, prefix or substring.
    Query(String),
    /// `-`: the previous one.
    Previous,
    /// None given (`use --shell`): the one in use now.
    Current,
    /// A name picked in the picker: that context and no other (a prefix of another is not it).
    Exact(String),
}

/// The namespace to switch to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsArg {
    Name(String),
    /// `-`: the previous one.
    Previous,
}

impl NsArg {
    /// A namespace as typed: `-`, or a Kubernetes namespace name (an RFC 1123 label).
    pub fn parse(text: &str) -> Result<NsArg> {
        if text == "-" {
            return Ok(NsArg::Previous);
        }
        let label = |s: &str| {
            let b = s.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        };
        if !label(text) {
            bail!(
                "'{text}' is not a namespace name: at most 63 lower-case letters, digits and \
                 '-', starting and ending with a letter or digit"
            );
        }
        Ok(NsArg::Name(text.to_owned()))
    }
}

/// The namespace kubectl uses for a context that sets `ns`.
pub fn effective(ns: Option<&str>) -> &str {
    ns.unwrap_or("default")
}

/// The context `target` names among `names`; `previous` serves `-`, `current` an absent name.
fn resolve_target(
    target: &Target,
    names: &[String],
    previous: Option<&String>,
    current: Option<&str>,
) -> Result<String> {
    match target {
        Target::Query(q) => crate::cmd::alias::resolve(q, names),
        Target::Previous => {
            let Some(p) = previous else {
                bail!(
                    "no previous context to return to (`{bin} use -` works after one `{bin} use`)",
                    bin = crate::display::bin()
                );
            };
            if !names.contains(p) {
                bail!("the previous context '{p}' no longer exists");
            }
            Ok(p.clone())
        }
        Target::Current => match current {
            Some(c) => Ok(c.to_owned()),
            None => bail!(
                "there is no current context to keep: name one (`{bin} use --shell CONTEXT`)",
                bin = crate::display::bin()
            ),
        },
        Target::Exact(name) if names.contains(name) => Ok(name.clone()),
        Target::Exact(name) => bail!("context '{name}' was removed while it was being picked"),
    }
}

/// The namespace `arg` names for context `context`; `previous` serves `-`.
fn pick_namespace(arg: &NsArg, previous: Option<&String>, context: &str) -> Result<String> {
    match arg {
        NsArg::Name(n) => Ok(n.clone()),
        NsArg::Previous => match previous {
            Some(p) => Ok(p.clone()),
            None => bail!(
                "no previous namespace of context '{context}' to return to (`-` works after one \
                 namespace change)"
            ),
        },
    }
}

/// What a command changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    context: String,
    namespace: Option<String>,
    /// Only the namespace was asked for (`ns`).
    ns_only: bool,
}

impl Change {
    fn context(name: String) -> Change {
        Change {
            context: name,
            namespace: None,
            ns_only: false,
        }
    }

    fn namespace(context: String, ns: String) -> Change {
        Change {
            context,
            namespace: Some(ns),
            ns_only: true,
        }
    }

    fn with_namespace(self, ns: String) -> Change {
        Change {
            namespace: Some(ns),
            ..self
        }
    }

    /// The line that says what happened.
    fn line(&self, scope: &Scope) -> String {
        let place = match scope {
            Scope::Shell { .. } => " in this shell",
            Scope::Global { .. } => "",
        };
        match (&self.namespace, self.ns_only) {
            (Some(ns), true) => format!(
                "Switched to namespace \"{ns}\" of context \"{}\"{place}.",
                self.context
            ),
            (Some(ns), false) => format!(
                "Switched to context \"{}\", namespace \"{ns}\"{place}.",
                self.context
            ),
            (None, _) => format!("Switched to context \"{}\"{place}.", self.context),
        }
    }
}

/// Where the change goes for these flags, in this process's environment. Dead shells' files
/// are removed on the way (every `use` and `ns` does it, so they never pile up).
fn plan(flag: Flag, explicit: Option<&std::path::Path>, env: ShellEnv) -> Result<Plan> {
    let paths = kubeconfig::file::view_paths(explicit)?;
    let shells = crate::settings::shells_dir()?;
    shell::remove_dead(&shells, env.shell);
    let default_file = kubeconfig::file::home_dir()
        .ok()
        .map(|h| h.join(".kube").join("config"));
    scope::plan(
        flag,
        &scope::Facts {
            explicit: explicit.is_some(),
            paths: &paths,
            env,
            shells: &shells,
            default_file: default_file.as_deref(),
        },
    )
}

/// Makes `change` in the place `plan` says, then tells the caller (and the shell) about it.
fn apply(
    plan: Plan,
    env: ShellEnv,
    out: &mut dyn Write,
    change: impl FnOnce(&Scope) -> Result<Change>,
) -> Result<Change> {
    let done = change(&plan.scope)?;
    let mut lines = vec![done.line(&plan.scope)];
    if let Some(file) = &plan.remove {
        // The shell no longer reads it; its directory holds nothing else worth keeping.
        if let Some(dir) = file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        lines.push("This shell follows the kubeconfig's context again.".to_owned());
    }
    if let Some(note) = &plan.note {
        eprintln!("eks-kc: note: {}", crate::display::safe(note));
    }
    emit(env, plan.env.as_ref(), &lines, out)?;
    Ok(done)
}

/// Writes `lines`, as shell code for the shell function (with the `KUBECONFIG` change) when it
/// asked for that, else as they are.
fn emit(
    env: ShellEnv,
    change: Option<&script::EnvChange>,
    lines: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    // Context and namespace names come from the kubeconfig: escaped for the terminal.
    let lines: Vec<String> = lines
        .iter()
        .map(|l| crate::display::safe(l).into_owned())
        .collect();
    let lines = &lines[..];
    match env.eval {
        Some(dialect) => out.write_all(&script::eval(dialect, change, lines))?,
        None => {
            for line in lines {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

pub fn run(args: &UseArgs, out: &mut dyn Write) -> Result<u8> {
    let env = ShellEnv::from_env();
    let ns = args.namespace.as_deref().map(NsArg::parse).transpose()?;
    let plan = plan(
        Flag::of(args.shell, args.global),
        args.kubeconfig.as_deref(),
        env,
    )?;
    // Where the change goes is known (and possible) before anyone is asked to pick.
    let target = match (args.interactive, args.context.as_deref()) {
        (false, Some("-")) => Target::Previous,
        (false, Some(q)) => Target::Query(q.to_owned()),
        _ => match choose::context(args, env, out)? {
            Outcome::Chosen(name) => Target::Exact(name),
            Outcome::AsBefore => Target::Current,
            other => return Ok(other.code()),
        },
    };
    let timeout = Duration::from_secs(args.lock_timeout);
    let as_is = matches!(
        plan.scope,
        Scope::Shell {
            start: scope::Start::AsIs,
            ..
        }
    );
    if target == Target::Current && as_is && ns.is_none() {
        // `use --shell` in a shell that has its own context already: nothing to do.
        let current = View::load(None)?.current_context().unwrap_or_default();
        let line = format!("This shell already has a context of its own: \"{current}\".");
        return emit(env, None, &[line], out).map(|()| crate::exit::SUCCESS);
    }
    let shell_dir = match &plan.scope {
        Scope::Shell { file, .. } => file.parent().map(std::path::Path::to_path_buf),
        Scope::Global { .. } => None,
    };
    let done = apply(plan, env, out, |scope| match scope {
        Scope::Global { files } => global::switch(files, &target, ns.as_ref(), timeout),
        Scope::Shell { file, start, rest } => {
            own::switch(file, start, rest, &target, ns.as_ref(), timeout)
        }
    })?;
    crate::recent::remember(&done.context, shell_dir.as_deref(), timeout);
    Ok(crate::exit::SUCCESS)
}

/// `eks-kc ns`: changes the namespace, or lists the cluster's (picks one on a terminal), or
/// prints the one kubectl uses (--current).
pub fn run_ns(args: &NsArgs, out: &mut dyn Write) -> Result<u8> {
    let env = ShellEnv::from_env();
    let named = args.namespace.as_deref().map(NsArg::parse).transpose()?;
    if args.current {
        let view = View::load(args.kubeconfig.as_deref())?;
        let Some(context) = view.current_context() else {
            bail!(
                "there is no current context, so no namespace: {}",
                crate::cmd::pick_a_context(!view.context_names().is_empty())
            );
        };
        let ns = effective(view.namespace_of(&context).as_deref()).to_owned();
        return emit(env, None, &[ns], out).map(|()| crate::exit::SUCCESS);
    }
    if named.is_none() && !choose::on_terminal(env) {
        // Listing needs no plan of where a change would go.
        return Ok(choose::namespace(args, env, out)?.code());
    }
    let plan = plan(
        Flag::of(args.shell, args.global),
        args.kubeconfig.as_deref(),
        env,
    )?;
    let arg = match named {
        Some(arg) => arg,
        None => match choose::namespace(args, env, out)? {
            Outcome::Chosen(name) => NsArg::parse(&name)?,
            other => return Ok(other.code()),
        },
    };
    let timeout = Duration::from_secs(args.lock_timeout);
    apply(plan, env, out, |scope| match scope {
        Scope::Global { files } => global::set_ns(files, &arg, timeout),
        Scope::Shell { file, start, rest } => own::set_ns(file, start, rest, &arg, timeout),
    })?;
    Ok(crate::exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "prod.eu-west-1.ops",
            "prod.us-east-1.ops",
            "dev.eu-west-1.ops",
            "kind-local",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn exact_then_unique_prefix_then_unique_substring() {
        assert_eq!(resolve("kind-local", &names()).unwrap(), "kind-local");
        assert_eq!(resolve("dev", &names()).unwrap(), "dev.eu-west-1.ops");
        assert_eq!(resolve("us-east", &names()).unwrap(), "prod.us-east-1.ops");
        let mut with_exact = names();
        with_exact.push("prod".into());
        assert_eq!(resolve("prod", &with_exact).unwrap(), "prod");
    }

    #[test]
    fn ambiguous_and_unknown_list_the_candidates() {
        let err = resolve("prod", &names()).unwrap_err().to_string();
        assert!(err.contains("ambiguous"), "{err}");
        assert!(err.contains("prod.eu-west-1.ops") && err.contains("prod.us-east-1.ops"));
        assert!(!err.contains("kind-local"), "{err}");
        let err = resolve("eu-west", &names()).unwrap_err().to_string();
        assert!(err.contains("2 contexts contain"), "{err}");
        let err = resolve("staging", &names()).unwrap_err().to_string();
        assert!(err.contains("no context named 'staging'") && err.contains("kind-local"));
        assert!(
            resolve("x", &[])
                .unwrap_err()
                .to_string()
                .contains("eks-kc sync")
        );
    }
}

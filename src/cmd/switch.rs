//! `eks-kc use`: switch the current context by exact name, prefix or substring; `-` returns to
//! the previous one (remembered in the state dir, per kubeconfig file).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::UseArgs;
use crate::kubefile::{self, View};
use crate::store::PrivateDir;

const STATE_FILE: &str = "previous-context.json";

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
        bail!("no context named '{query}': the kubeconfig has no contexts (run `eks-kc sync`)");
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

pub fn run(args: &UseArgs, out: &mut dyn Write) -> Result<()> {
    // The file kubectl keeps current-context in. With one file there is nothing to read; with
    // several, the choice is re-checked under the lock below.
    let paths = kubefile::view_paths(args.kubeconfig.as_deref())?;
    // Nothing to switch to, and nothing to create: a missing file is never made (nor its dir).
    if !paths.is_empty() && !paths.iter().any(|p| p.exists()) {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "{} {} not exist, so there is no context to switch to (`eks-kc sync` writes one; \
             --kubeconfig names another file)",
            names.join(", "),
            if names.len() == 1 { "does" } else { "do" }
        );
    }
    let file = match kubefile::the_only_or_none(&paths)? {
        Some(one) => one.to_path_buf(),
        None => View::load(args.kubeconfig.as_deref())?
            .current_context_file()
            .context("no kubeconfig file to write")?
            .to_path_buf(),
    };
    let key = file.display().to_string();
    let state = PrivateDir::new(crate::config::state_dir()?);
    let previous = read_state(&state);

    let (target, was) = {
        // Read and write under the lock, so kubectl is never caught half-way through a write.
        let _lock = kubefile::lock(&file, Duration::from_secs(args.lock_timeout), &mut |l| {
            eprintln!("eks-kc: waiting for {}", l.display())
        })?;
        let view = View::load(args.kubeconfig.as_deref())?;
        let names = view.context_names();
        let target = if args.context == "-" {
            let Some(p) = previous.get(&key) else {
                bail!(
                    "no previous context to return to (`eks-kc use -` works after one `eks-kc use`)"
                );
            };
            if !names.contains(p) {
                bail!("the previous context '{p}' no longer exists");
            }
            p.clone()
        } else {
            resolve(&args.context, &names)?
        };
        // The file was parsed for the view, under this same lock: no second parse.
        let mut cfg = match view.files.into_iter().find(|(p, _)| *p == file) {
            Some((_, cfg)) => cfg,
            None => kubefile::read(&file)?,
        };
        let was = cfg.current_context().map(str::to_owned);
        if was.as_deref() != Some(target.as_str()) {
            cfg.set_current_context(&target);
            kubefile::write(&file, &cfg)?;
        }
        (target, was)
    };
    if let Some(was) = was.filter(|w| *w != target) {
        let wait = crate::store::LockWait {
            timeout: Duration::from_secs(args.lock_timeout),
            fail_if_prompting: false,
        };
        remember(&state, key, was, &wait).with_context(|| {
            format!(
                "remembering the previous context in {}",
                state.path().display()
            )
        })?;
    }
    writeln!(out, "Switched to context \"{target}\".")?;
    Ok(())
}

fn read_state(state: &PrivateDir) -> BTreeMap<String, String> {
    state
        .read(STATE_FILE)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Records `was` as the previous context of `key`. Parallel `use` calls on different kubeconfig
/// files share the state file: its read-modify-write runs under the state dir's lock, so no call
/// loses another's entry or its temporary file.
fn remember(
    state: &PrivateDir,
    key: String,
    was: String,
    wait: &crate::store::LockWait,
) -> Result<()> {
    let _lock = state.lock(STATE_FILE, wait)?;
    let mut previous = read_state(state);
    previous.insert(key, was);
    state.write(STATE_FILE, &serde_json::to_vec(&previous)?)?;
    Ok(())
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

//! `use` and `ns` in the kubeconfig every shell reads: `current-context` in the file kubectl
//! keeps it in, a namespace in the file that defines the context, each under that file's lock.
//! The previous context and namespaces (for `-`) are remembered in the state dir, per file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Serialize, de::DeserializeOwned};

use super::{Change, NsArg, Target, pick_namespace, resolve_target};
use crate::kubeconfig;
use crate::kubeconfig::Kubeconfig;
use crate::kubeconfig::file::View;
use crate::store::{LockWait, PrivateDir};

const PREVIOUS_CONTEXT: &str = "previous-context.json";
const PREVIOUS_NAMESPACE: &str = "previous-namespace.json";

/// Switches the current context of `files` to `target` (and its namespace to `ns`).
pub fn switch(
    files: &[PathBuf],
    target: &Target,
    ns: Option<&NsArg>,
    timeout: Duration,
) -> Result<Change> {
    // Nothing to switch to, and nothing to create: a missing file is never made (nor its dir).
    if !files.is_empty() && !files.iter().any(|p| p.exists()) {
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "{} {} not exist, so there is no context to switch to (`{bin} sync` writes one; \
             --kubeconfig names another file)",
            names.join(", "),
            if names.len() == 1 { "does" } else { "do" },
            bin = crate::display::bin()
        );
    }
    // The file kubectl keeps current-context in. With one file there is nothing to read; with
    // several, the choice is re-checked under the lock below.
    let file = match kubeconfig::file::the_only_or_none(files)? {
        Some(one) => one.to_path_buf(),
        None => View::of_paths(files)?
            .current_context_file()
            .context("no kubeconfig file to write")?
            .to_path_buf(),
    };
    let state = state_dir()?;
    let key = file.display().to_string();
    let previous: BTreeMap<String, String> = read_state(&state, PREVIOUS_CONTEXT);

    let (name, was, namespace) = 'locked: {
        // Read and write under the lock, so kubectl is never caught half-way through a write.
        let _lock = lock(&file, timeout)?;
        // One line changed in place, when that is provably the rewrite's change.
        if ns.is_none()
            && let Some(done) = super::fast::switch(files, target, previous.get(&key))?
        {
            break 'locked (done.name, done.was, None);
        }
        let view = View::of_paths(files)?;
        let name = resolve_target(target, &view.context_names(), previous.get(&key), None)?;
        let defined_in = view.context_file(&name).map(Path::to_path_buf);
        let namespace = match ns {
            Some(arg) => Some(namespace_change(&view, &name, defined_in.as_deref(), arg)?),
            None => None,
        };
        // The file was parsed for the view, under this same lock: no second parse.
        let mut cfg = match view.files.into_iter().find(|(p, _)| *p == file) {
            Some((_, cfg)) => cfg,
            None => kubeconfig::file::read(&file)?,
        };
        let was = cfg.current_context().map(str::to_owned);
        let mut changed = was.as_deref() != Some(name.as_str());
        cfg.set_current_context(&name);
        if let Some((to, _, in_file)) = &namespace
            && *in_file == file
        {
            changed |= set_namespace(&mut cfg, &name, to)?;
        }
        if changed {
            let text = cfg.to_yaml()?;
            kubeconfig::file::write_text(&file, text.as_bytes())?;
            super::fast::remember(files, cfg, &text);
        }
        (name, was, namespace)
    };
    if let Some((to, _, in_file)) = &namespace
        && *in_file != file
    {
        edit(in_file, timeout, |cfg| set_namespace(cfg, &name, to))?;
    }
    if let Some(was) = was.filter(|w| *w != name) {
        or_warn(remember(
            &state,
            PREVIOUS_CONTEXT,
            timeout,
            |m: &mut BTreeMap<_, _>| {
                m.insert(key, was);
            },
        ));
    }
    if let Some((to, from, in_file)) = namespace {
        or_warn(remember_namespace(
            &state, &in_file, &name, from, &to, timeout,
        ));
        return Ok(Change::context(name).with_namespace(to));
    }
    Ok(Change::context(name))
}

/// Sets the namespace of the current context of `files`.
pub fn set_ns(files: &[PathBuf], arg: &NsArg, timeout: Duration) -> Result<Change> {
    let view = View::of_paths(files)?;
    let Some(name) = view.current_context() else {
        bail!(
            "there is no current context to set a namespace on: {}",
            crate::cmd::pick_a_context(!view.context_names().is_empty())
        );
    };
    let Some(file) = view.context_file(&name).map(Path::to_path_buf) else {
        bail!(
            "the current context '{name}' is not defined in {}; `{bin} use` another",
            list_files(files),
            bin = crate::display::bin()
        );
    };
    let state = state_dir()?;
    let (to, from, _) = namespace_change(&view, &name, Some(&file), arg)?;
    edit(&file, timeout, |cfg| set_namespace(cfg, &name, &to))?;
    or_warn(remember_namespace(&state, &file, &name, from, &to, timeout));
    Ok(Change::namespace(name, to))
}

/// The namespace `arg` asks for on context `name` of `view`, the one it has now, and the file
/// that defines the context (where the namespace is written).
fn namespace_change(
    view: &View,
    name: &str,
    defined_in: Option<&Path>,
    arg: &NsArg,
) -> Result<(String, String, PathBuf)> {
    let Some(file) = defined_in else {
        bail!("context '{name}' is not defined in any kubeconfig file");
    };
    let now = super::effective(view.namespace_of(name).as_deref()).to_owned();
    let previous: BTreeMap<String, BTreeMap<String, String>> =
        read_state(&state_dir()?, PREVIOUS_NAMESPACE);
    let before = previous
        .get(&file.display().to_string())
        .and_then(|m| m.get(name));
    let to = pick_namespace(arg, before, name)?;
    Ok((to, now, file.to_path_buf()))
}

/// Sets the namespace of context `name` in `cfg`; whether that changed anything. The context
/// must be defined there (it was, under the same lock, when the view was read).
fn set_namespace(cfg: &mut Kubeconfig, name: &str, to: &str) -> Result<bool> {
    if cfg.context_namespace(name) == Some(to) {
        return Ok(false);
    }
    if !cfg.set_context_namespace(name, to) {
        bail!("context '{name}' was removed while eks-kc was changing it; try again");
    }
    Ok(true)
}

/// Reads `file` under its lock, applies `change`, writes it back if that changed anything.
fn edit(
    file: &Path,
    timeout: Duration,
    change: impl FnOnce(&mut Kubeconfig) -> Result<bool>,
) -> Result<()> {
    let _lock = lock(file, timeout)?;
    let mut cfg = kubeconfig::file::read(file)?;
    if change(&mut cfg)? {
        kubeconfig::file::write(file, &cfg)?;
    }
    Ok(())
}

fn lock(file: &Path, timeout: Duration) -> Result<kubeconfig::file::KubeLock> {
    kubeconfig::file::lock(file, timeout, &mut |l| {
        eprintln!("eks-kc: waiting for {}", l.display())
    })
}

fn list_files(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn state_dir() -> Result<PrivateDir> {
    Ok(PrivateDir::new(crate::settings::state_dir()?))
}

fn read_state<T: DeserializeOwned + Default>(state: &PrivateDir, name: &str) -> T {
    state
        .read(name)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Applies `update` to the state file `name`. Parallel `use` calls on different kubeconfig
/// files share it: its read-modify-write runs under the state dir's lock, so no call loses
/// another's entry or its temporary file.
fn remember<T: Serialize + DeserializeOwned + Default>(
    state: &PrivateDir,
    name: &str,
    timeout: Duration,
    update: impl FnOnce(&mut T),
) -> Result<()> {
    let wait = LockWait::bounded(timeout);
    let write = || -> Result<()> {
        let _lock = state.lock(name, &wait)?;
        let mut value: T = read_state(state, name);
        update(&mut value);
        state.write(name, &serde_json::to_vec(&value)?)?;
        Ok(())
    };
    write().with_context(|| {
        format!(
            "`-` will not come back to the one before: it cannot be remembered in the state \
             directory {} (EKS_KC_STATE_DIR)",
            state.path().display()
        )
    })
}

/// The switch is made by then: a previous context or namespace that cannot be remembered (a
/// state directory someone else planted, a full disk) costs only `-`, so it is one warning on
/// stderr, and the command succeeds and says what it switched to.
fn or_warn(remembered: Result<()>) {
    if let Err(e) = remembered {
        let text = format!("{e:#}").replace('\n', " ");
        eprintln!("eks-kc: warning: {}", crate::display::safe(&text));
    }
}

/// Remembers `from` as the previous namespace of context `name` of `file`, unless nothing
/// changed.
fn remember_namespace(
    state: &PrivateDir,
    file: &Path,
    name: &str,
    from: String,
    to: &str,
    timeout: Duration,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let key = file.display().to_string();
    remember(
        state,
        PREVIOUS_NAMESPACE,
        timeout,
        |m: &mut BTreeMap<String, BTreeMap<String, String>>| {
            m.entry(key).or_default().insert(name.to_owned(), from);
        },
    )
}

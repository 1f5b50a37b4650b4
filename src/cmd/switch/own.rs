//! `use` and `ns` in one shell's own file (see `crate::shell`): its `current-context`, and a
//! copy of a context for a namespace of the shell's own. The copies follow their original in
//! everything but the namespace: each change here refreshes them from the kubeconfig. The
//! previous context and namespaces (for `-`) are remembered beside the file, per shell.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::scope::Start;
use super::{Change, NsArg, Target, effective, pick_namespace, resolve_target};
use crate::kubeconfig;
use crate::kubeconfig::Kubeconfig;
use crate::kubeconfig::file::View;
use crate::store::PrivateDir;

const STATE: &str = "state.json";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_context: Option<String>,
    #[serde(default)]
    previous_namespaces: BTreeMap<String, String>,
}

/// A shell's file, opened for a change under its lock.
struct Open {
    file: PathBuf,
    dir: PrivateDir,
    cfg: Kubeconfig,
    /// The kubeconfig files after the shell's own.
    rest: View,
    state: State,
    _lock: kubeconfig::file::KubeLock,
}

impl Open {
    /// Locks `file` (creating its private directory) and reads it, or what it starts from.
    fn new(file: &Path, start: &Start, rest: &[PathBuf], timeout: Duration) -> Result<Open> {
        let dir = PrivateDir::new(file.parent().unwrap_or(Path::new(".")));
        dir.ensure()
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.path().display()))?;
        let lock = kubeconfig::file::lock(file, timeout, &mut |l| {
            eprintln!("eks-kc: waiting for {}", l.display())
        })?;
        // A file of this shell's that was not in use (KUBECONFIG was reset by hand) is stale:
        // the shell starts from what it sees now.
        let (cfg, state) = match start {
            Start::AsIs => (kubeconfig::file::read(file)?, read_state(&dir)),
            Start::Empty => (Kubeconfig::new(), State::default()),
            Start::CopyOf(other) => (kubeconfig::file::read(other)?, State::default()),
        };
        Ok(Open {
            file: file.to_path_buf(),
            dir,
            cfg,
            rest: View::of_paths(rest)?,
            state,
            _lock: lock,
        })
    }

    /// The context this shell uses now: its own, else the kubeconfig's.
    fn current(&self) -> Option<String> {
        self.cfg
            .current_context()
            .map(str::to_owned)
            .or_else(|| self.rest.current_context())
    }

    /// Every context name this shell can see, its own file first (as kubectl merges them).
    fn names(&self) -> Vec<String> {
        let mut names = self.cfg.context_names();
        for n in self.rest.context_names() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names
    }

    fn namespace_of(&self, name: &str) -> Option<String> {
        if self.cfg.has_context(name) {
            return self.cfg.context_namespace(name).map(str::to_owned);
        }
        self.rest.namespace_of(name)
    }

    /// Gives context `name` the namespace `to` in this shell: a copy of the kubeconfig's
    /// context carrying it (a namespace alone would hide the context's cluster and user), or,
    /// for a context only this file defines, the namespace set on it.
    fn set_namespace(&mut self, name: &str, to: &str) -> Result<()> {
        if let Some(original) = self.original(name) {
            self.cfg.put_context_copy(name, &original, Some(to));
        } else if !self.cfg.set_context_namespace(name, to) {
            bail!("context '{name}' is not defined in any kubeconfig file");
        }
        Ok(())
    }

    /// The kubeconfig's definition of context `name` (from the first file that has it).
    fn original(&self, name: &str) -> Option<serde_yaml::Mapping> {
        self.rest
            .files
            .iter()
            .find_map(|(_, k)| k.context(name).cloned())
    }

    /// Refreshes every copy from its original (keeping the shell's namespace), then writes the
    /// file and the state.
    fn save(mut self) -> Result<()> {
        for name in self.cfg.context_names() {
            if let Some(original) = self.original(&name) {
                let ns = self.cfg.context_namespace(&name).map(str::to_owned);
                self.cfg.put_context_copy(&name, &original, ns.as_deref());
            }
        }
        kubeconfig::file::write(&self.file, &self.cfg)?;
        self.dir.write(STATE, &serde_json::to_vec(&self.state)?)?;
        Ok(())
    }

    fn remember_namespace(&mut self, name: &str, from: String, to: &str) {
        if from != to {
            self.state.previous_namespaces.insert(name.to_owned(), from);
        }
    }
}

fn read_state(dir: &PrivateDir) -> State {
    dir.read(STATE)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Switches this shell (its file `file`) to `target`, and its namespace to `ns`.
pub fn switch(
    file: &Path,
    start: &Start,
    rest: &[PathBuf],
    target: &Target,
    ns: Option<&NsArg>,
    timeout: Duration,
) -> Result<Change> {
    let mut open = Open::new(file, start, rest, timeout)?;
    let was = open.current();
    let name = resolve_target(
        target,
        &open.names(),
        open.state.previous_context.as_ref(),
        was.as_deref(),
    )?;
    open.cfg.set_current_context(&name);
    if was.as_deref().is_some_and(|w| w != name) {
        open.state.previous_context = was;
    }
    let mut change = Change::context(name.clone());
    if let Some(arg) = ns {
        let from = effective(open.namespace_of(&name).as_deref()).to_owned();
        let to = pick_namespace(arg, open.state.previous_namespaces.get(&name), &name)?;
        open.set_namespace(&name, &to)?;
        open.remember_namespace(&name, from, &to);
        change = change.with_namespace(to);
    }
    open.save()?;
    Ok(change)
}

/// Sets the namespace of this shell's current context (which becomes the shell's own if it
/// was the kubeconfig's).
pub fn set_ns(
    file: &Path,
    start: &Start,
    rest: &[PathBuf],
    arg: &NsArg,
    timeout: Duration,
) -> Result<Change> {
    let mut open = Open::new(file, start, rest, timeout)?;
    let Some(name) = open.current() else {
        bail!(
            "there is no current context to set a namespace on: {}",
            crate::cmd::pick_a_context(!open.names().is_empty())
        );
    };
    open.cfg.set_current_context(&name);
    let from = effective(open.namespace_of(&name).as_deref()).to_owned();
    let to = pick_namespace(arg, open.state.previous_namespaces.get(&name), &name)?;
    open.set_namespace(&name, &to)?;
    open.remember_namespace(&name, from, &to);
    open.save()?;
    Ok(Change::namespace(name, to))
}

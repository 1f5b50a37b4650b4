//! The contexts used last, most recent first: one list in the state dir (every `use`, wherever
//! it switched) and one in a shell's own directory (the `use` that switched that shell). The
//! picker of `use` and shell completion offer them first; `use -` keeps its own memory of the
//! one previous context (`cmd::switch`). Each list holds at most [`KEEP`] names; a reader skips
//! names the kubeconfig no longer has, so nothing needs pruning when a context goes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::store::{LockWait, PrivateDir};

/// How many names a list keeps.
pub const KEEP: usize = 20;

const FILE: &str = "recent-contexts.json";
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    version: u32,
    contexts: Vec<String>,
}

/// `list` with `name` moved (or added) to the front, at most [`KEEP`] long. Pure.
pub fn pushed(mut list: Vec<String>, name: &str) -> Vec<String> {
    list.retain(|n| n != name);
    list.insert(0, name.to_owned());
    list.truncate(KEEP);
    list
}

/// The list kept in `dir`; empty when there is none or it cannot be read (a damaged or
/// foreign file is as good as none: it only orders a list).
pub fn read(dir: &Path) -> Vec<String> {
    PrivateDir::new(dir)
        .read(FILE)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
        .filter(|s| s.version == VERSION)
        .map(|s| s.contexts)
        .unwrap_or_default()
}

/// Puts `name` first in the list kept in `dir`, under that directory's lock (shells switching at
/// once share the state dir's list, and none may lose another's name).
pub fn record(dir: &Path, name: &str, timeout: Duration) -> Result<()> {
    let private = PrivateDir::new(dir);
    let wait = LockWait::bounded(timeout);
    let write = || -> Result<()> {
        let _lock = private.lock(FILE, &wait)?;
        let stored = Stored {
            version: VERSION,
            contexts: pushed(read(dir), name),
        };
        private.write(FILE, &serde_json::to_vec(&stored)?)?;
        Ok(())
    };
    write().with_context(|| {
        format!(
            "'{name}' will not come first in the picker: it cannot be remembered in {}",
            dir.display()
        )
    })
}

/// Remembers `name` as the context used last: in the state dir, and in `shell_dir` too when the
/// switch was that shell's own. The switch is made by then, so a list that cannot be written is
/// a warning on stderr, not a failure.
pub fn remember(name: &str, shell_dir: Option<&Path>, timeout: Duration) {
    let state = crate::settings::state_dir().ok();
    for dir in shell_dir.map(Path::to_path_buf).into_iter().chain(state) {
        if let Err(e) = record(&dir, name, timeout) {
            let text = format!("{e:#}").replace('\n', " ");
            eprintln!("eks-kc: warning: {}", crate::display::safe(&text));
        }
    }
}

/// Where the lists that apply to a view of `paths` are, the most specific first: the shell's
/// own directory when `paths` starts with a shell's file (see `crate::shell`), then the state
/// dir (`None` when there is none to find).
pub fn dirs(paths: &[PathBuf], state_dir: Option<&Path>) -> Vec<PathBuf> {
    let shell = paths
        .first()
        .filter(|p| crate::shell::is_shell_file(p))
        .and_then(|p| p.parent())
        .map(Path::to_path_buf);
    shell
        .into_iter()
        .chain(state_dir.map(Path::to_path_buf))
        .collect()
}

/// The names of `lists` (most specific first) that are among `names`, each once, in order.
/// Pure.
pub fn merged(lists: &[Vec<String>], names: &[String]) -> Vec<String> {
    let known: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut out: Vec<String> = Vec::new();
    for name in lists.iter().flatten() {
        if known.contains(name.as_str()) && !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// The recent contexts of a view of `paths` that still exist among `names`, most recent first:
/// this shell's, then everyone's.
pub fn load(paths: &[PathBuf], names: &[String]) -> Vec<String> {
    let state = crate::settings::state_dir().ok();
    let lists: Vec<Vec<String>> = dirs(paths, state.as_deref())
        .iter()
        .map(|d| read(d))
        .collect();
    merged(&lists, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_newest_goes_first_once_and_the_list_stays_bounded() {
        let list = pushed(strings(&["a", "b", "c"]), "b");
        assert_eq!(list, strings(&["b", "a", "c"]));
        let mut list = vec![];
        for i in 0..(KEEP + 5) {
            list = pushed(list, &format!("c{i}"));
        }
        assert_eq!(list.len(), KEEP);
        assert_eq!(list[0], format!("c{}", KEEP + 4));
    }

    #[test]
    fn gone_names_are_skipped_and_the_shell_comes_first() {
        let shell = strings(&["b", "gone"]);
        let global = strings(&["a", "b", "c"]);
        let names = strings(&["a", "b", "c", "d"]);
        assert_eq!(merged(&[shell, global], &names), strings(&["b", "a", "c"]));
    }

    #[test]
    fn a_shells_file_adds_its_directory_before_the_state_dir() {
        let state = PathBuf::from("/state");
        let shell_file = PathBuf::from("/run/eks-kc/shells/shell-10-1/kubeconfig");
        let home = PathBuf::from("/home/me/.kube/config");
        assert_eq!(
            dirs(&[shell_file, home.clone()], Some(&state)),
            vec![
                PathBuf::from("/run/eks-kc/shells/shell-10-1"),
                state.clone()
            ]
        );
        assert_eq!(dirs(&[home], Some(&state)), vec![state]);
        assert!(dirs(&[], None).is_empty());
    }

    #[test]
    fn recorded_names_survive_a_round_trip_and_damage_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("state");
        record(&dir, "a", Duration::from_secs(1)).unwrap();
        record(&dir, "b", Duration::from_secs(1)).unwrap();
        assert_eq!(read(&dir), strings(&["b", "a"]));
        std::fs::write(dir.join(FILE), b"{not json").unwrap();
        assert!(read(&dir).is_empty());
        record(&dir, "c", Duration::from_secs(1)).unwrap();
        assert_eq!(read(&dir), strings(&["c"]));
    }
}

//! Digests of the kubeconfig for the commands a person runs all day: `list` and completion (context
//! names, the current context, the managed contexts) and `prompt` (the current context and its
//! namespace, a file of its own so a prompt reads a few hundred bytes). Kept as JSON and reused
//! while every kubeconfig file has the same size, mtime and inode.
//!
//! Parsing YAML is most of the cost of `list` (about 20 ms for 500 clusters with serde_yaml);
//! reading a digest is well under a millisecond. Any change to a file, by eks-kc or kubectl,
//! changes its mtime (or its inode, for an atomic rename), so a stale digest is never served,
//! with one exception that is designed out: a file written twice within one tick of the
//! filesystem's clock (a few ms; a second on some filesystems) with the same size keeps its
//! mtime. So, as git does for its index, the stamps alone vouch for a digest only when every
//! file it covers was last changed [`SETTLED`] before it was read. A digest of files that had
//! just changed (the one `use` leaves after its own write, say) also holds a fingerprint of
//! each file's content (`hashes::fingerprint`), and a reader trusts it only after reading the
//! files and finding the same fingerprints (a few milliseconds for 8 MB, against most of a
//! second to parse 10,000 contexts); once the files have settled, such a reader drops the
//! fingerprints, and the stamps vouch again.
//!
//! Where: the cache directory; for a `KUBECONFIG` that starts with a shell's own file (see
//! `crate::shell`), that shell's directory, which goes away with the shell.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::kubeconfig::file::View;
use crate::kubeconfig::{Kubeconfig, ManagedContext};
use crate::store::PrivateDir;
use crate::store::stamp::{FileStamp, stamp};
use crate::{hashes, kubeconfig, store};

/// 3: digests are kept only for settled files (2 could hold a racily-clean one); 5: adopted
/// contexts and namespaces in the summary, fingerprints for files that had not settled; 6: the
/// foreign EKS contexts (and how many were judged), for the picker of `use`.
const VERSION: u32 = 6;

/// Contexts eks-kc neither wrote nor adopted are identified (which EKS identity their user
/// signs as) one by one, each a walk through the files: only the first this many are.
pub const FOREIGN_JUDGED: usize = 200;

/// A kubeconfig without eks-kc's entries is worth a digest only when its parse is felt: from
/// this many contexts (a few milliseconds of YAML; most of a second at 10,000).
const MANY_CONTEXTS: usize = 200;

/// How long ago every file must have changed for a digest of it to be kept: more than one tick
/// of any filesystem clock (1 s on the coarsest ones, ext3 and HFS+), with room for skew.
pub const SETTLED: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub current: Option<String>,
    pub names: Vec<String>,
    pub managed: Vec<ManagedContext>,
    /// Contexts with eks-kc's marker but no usable cluster identity: skipped, reported.
    pub unusable: Vec<String>,
    /// The contexts `eks-kc adopt` took over, as eks-kc's own are listed.
    pub adopted: Vec<ManagedContext>,
    /// The namespace of each context that sets one (what `prompt` shows once `use` switched).
    pub namespaces: BTreeMap<String, String>,
    /// EKS contexts eks-kc neither wrote nor adopted (`aws eks update-kubeconfig`'s, say),
    /// among the first [`FOREIGN_JUDGED`] such contexts: see `judged`.
    pub foreign: Vec<ManagedContext>,
    /// How many of `names`, from the first, were judged: a context past them that is not in
    /// `managed`, `adopted` or `foreign` may still be an EKS one; one before them is not.
    pub judged: usize,
}

impl Summary {
    pub fn of(view: &View) -> Self {
        let files: Vec<&Kubeconfig> = view.files.iter().map(|(_, k)| k).collect();
        let mut seen = BTreeSet::new();
        let adopted: Vec<ManagedContext> = files
            .iter()
            .flat_map(|k| k.adopted_contexts())
            .filter(|(name, _, _)| seen.insert(name.clone()))
            .filter_map(|(name, _, _)| kubeconfig::identify_context(&files, &name).ok())
            .map(|i| i.to_managed())
            .collect();
        // The file that defines a context first is the one kubectl reads it from.
        let mut seen = BTreeSet::new();
        let mut namespaces = BTreeMap::new();
        for (name, ns) in files.iter().flat_map(|k| k.context_namespaces()) {
            if seen.insert(name.clone())
                && let Some(ns) = ns
            {
                namespaces.insert(name, ns);
            }
        }
        let (names, managed, unusable) = (view.context_names(), view.managed(), view.unusable());
        let (foreign, judged) = foreign(&files, &names, [&managed, &adopted], &unusable);
        Summary {
            current: view.current_context(),
            names,
            managed,
            unusable,
            adopted,
            namespaces,
            foreign,
            judged,
        }
    }

    /// What `prompt` shows for this summary.
    pub fn prompt(&self) -> Prompt {
        Prompt {
            namespace: (self.current.as_ref()).and_then(|c| self.namespaces.get(c).cloned()),
            context: self.current.clone(),
        }
    }
}

/// The EKS identities of the first [`FOREIGN_JUDGED`] of `names` that are neither in `known`
/// nor `unusable`, and how many of `names` that judged.
fn foreign(
    files: &[&Kubeconfig],
    names: &[String],
    known: [&[ManagedContext]; 2],
    unusable: &[String],
) -> (Vec<ManagedContext>, usize) {
    let known: std::collections::HashSet<&str> = (known.iter().flat_map(|k| k.iter()))
        .map(|m| m.name.as_str())
        .chain(unusable.iter().map(String::as_str))
        .collect();
    let mut found = vec![];
    let mut lookups = 0;
    for (i, name) in names.iter().enumerate() {
        if known.contains(name.as_str()) {
            continue;
        }
        if lookups == FOREIGN_JUDGED {
            return (found, i);
        }
        lookups += 1;
        found.extend(kubeconfig::identify_context(files, name).map(|i| i.to_managed()));
    }
    (found, names.len())
}

/// What `prompt` shows: the current context and the namespace it sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

impl Prompt {
    pub fn of(view: &View) -> Self {
        let context = view.current_context();
        Prompt {
            namespace: context.as_deref().and_then(|c| view.namespace_of(c)),
            context,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored<T> {
    version: u32,
    stamps: Vec<FileStamp>,
    /// The fingerprint of each file's content, when the files had not settled (see the
    /// module's note): then the stamps alone do not vouch for the digest.
    hashes: Option<Vec<u64>>,
    summary: T,
}

/// The summary of the kubeconfig(s) kubectl would read, from the digest in `cache_dir` when it
/// is current, else parsed (and the digest rewritten, best effort).
pub fn load(explicit: Option<&Path>, cache_dir: &Path) -> Result<Summary> {
    // Only where eks-kc is in use, or the file is large: a small kubeconfig without its
    // entries is not worth a file.
    cached(CONTEXTS, explicit, Some(cache_dir), Summary::of, |s| {
        !(s.managed.is_empty() && s.unusable.is_empty() && s.adopted.is_empty())
            || s.names.len() >= MANY_CONTEXTS
    })
}

/// [`load`] from `cache_dir`, or, when no cache directory could be found, the kubeconfig parsed.
pub fn summary(explicit: Option<&Path>, cache_dir: Option<&Path>) -> Result<Summary> {
    match cache_dir {
        Some(dir) => load(explicit, dir),
        None => Ok(Summary::of(&View::load(explicit)?)),
    }
}

/// The current context and its namespace, from the prompt digest (in `cache_dir`, or the
/// shell's own directory) when it is current, else parsed. `cache_dir` `None`: no cache
/// directory could be found; a shell's own directory still serves.
pub fn load_prompt(explicit: Option<&Path>, cache_dir: Option<&Path>) -> Result<Prompt> {
    cached(PROMPT, explicit, cache_dir, Prompt::of, |_| true)
}

/// Where the digest of `paths` is kept: a shell's own directory for a list that starts with
/// that shell's file (so it goes when the shell goes), else `cache_dir`.
fn home(paths: &[PathBuf], cache_dir: Option<&Path>) -> Option<PathBuf> {
    match paths.first() {
        Some(first) if crate::shell::is_shell_file(first) => first.parent().map(Path::to_path_buf),
        _ => cache_dir.map(Path::to_path_buf),
    }
}

const CONTEXTS: &str = "contexts";
const PROMPT: &str = "prompt";

/// The file name of the digest of `kind` of `paths`.
fn file_name(kind: &str, paths: &[PathBuf]) -> String {
    let key = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    format!("{}.json", hashes::stem(kind, key.as_bytes()))
}

fn stamps_of(paths: &[PathBuf]) -> Vec<FileStamp> {
    paths.iter().map(|p| stamp(p)).collect()
}

fn fingerprints(texts: &[impl AsRef<[u8]>]) -> Vec<u64> {
    texts
        .iter()
        .map(|t| hashes::fingerprint(t.as_ref()))
        .collect()
}

/// The text of each of `paths` (empty for a missing file); `None` when one cannot be read.
fn read_texts(paths: &[PathBuf]) -> Option<Vec<String>> {
    paths
        .iter()
        .map(
            |p| match store::read_text_capped(p, store::MAX_KUBECONFIG_SIZE) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Some(String::new()),
                Err(_) => None,
            },
        )
        .collect()
}

/// The fingerprint of each of `paths` as it is now (a missing file is empty), read in chunks
/// so that a large file costs no copy of it (a prompt does this for 2 s after each switch);
/// `None` when one cannot be read.
fn file_fingerprints(paths: &[PathBuf]) -> Option<Vec<u64>> {
    use std::io::Read;
    paths
        .iter()
        .map(|p| {
            let mut f = hashes::Fingerprint::new();
            match store::open_regular(p) {
                Ok((mut file, _)) => {
                    let mut buf = vec![0u8; 64 << 10];
                    let mut total = 0u64;
                    loop {
                        match file.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                total += n as u64;
                                if total > store::MAX_KUBECONFIG_SIZE {
                                    return None;
                                }
                                f.update(buf.get(..n)?);
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => return None,
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(_) => return None,
            }
            Some(f.finish())
        })
        .collect()
}

/// The view of `paths`, and the texts it was parsed from (`None` when a file had to be read
/// again, torn by a writer, so the texts are not known to be the view's).
fn read_view(paths: &[PathBuf]) -> Result<(View, Option<Vec<String>>)> {
    let Some(texts) = read_texts(paths) else {
        return Ok((View::of_paths(paths)?, None));
    };
    let mut files = vec![];
    for (path, text) in paths.iter().zip(&texts) {
        match Kubeconfig::parse(text) {
            Ok(cfg) => files.push((path.clone(), cfg)),
            // Torn by a writer, or malformed: `View::of_paths` reads again, or says where.
            Err(_) => return Ok((View::of_paths(paths)?, None)),
        }
    }
    Ok((View { files }, Some(texts)))
}

/// The digest `name` in `dir`, if it is of this version and for these stamps.
fn stored<T: DeserializeOwned>(
    dir: &PrivateDir,
    name: &str,
    stamps: &[FileStamp],
) -> Option<Stored<T>> {
    let bytes = dir.read(name).ok()??;
    let d = serde_json::from_slice::<Stored<T>>(&bytes).ok()?;
    (d.version == VERSION && d.stamps == stamps).then_some(d)
}

fn keep<T: Serialize>(dir: &PrivateDir, name: &str, stored: &Stored<T>) {
    if let Ok(bytes) = serde_json::to_vec(stored) {
        let _ = dir.write(name, &bytes);
    }
}

fn cached<T: Serialize + DeserializeOwned>(
    kind: &str,
    explicit: Option<&Path>,
    cache_dir: Option<&Path>,
    make: fn(&View) -> T,
    worth_keeping: fn(&T) -> bool,
) -> Result<T> {
    let paths = kubeconfig::file::view_paths(explicit)?;
    let now = SystemTime::now();
    let stamps = stamps_of(&paths);
    let dir = home(&paths, cache_dir).map(PrivateDir::new);
    let name = file_name(kind, &paths);
    if let Some(dir) = &dir
        && let Some(mut d) = stored::<T>(dir, &name, &stamps)
    {
        let Some(hashes) = &d.hashes else {
            return Ok(d.summary);
        };
        // Fingerprints: only the same content vouches (and, once settled, the stamps again).
        if file_fingerprints(&paths).as_ref() == Some(hashes) && stamps_of(&paths) == stamps {
            if settled(&stamps, now) {
                d.hashes = None;
                keep(dir, &name, &d);
            }
            return Ok(d.summary);
        }
    }
    let (view, texts) = read_view(&paths)?;
    let summary = make(&view);
    // Only a digest of files that did not change while being read is worth keeping: vouched
    // for by the stamps when the files had settled before (see the module's note), else by
    // the fingerprints of the texts parsed.
    let hashes = match (settled(&stamps, now), texts) {
        (true, _) => Some(None),
        (false, Some(texts)) => Some(Some(fingerprints(&texts))),
        (false, None) => None,
    };
    // With no kubeconfig at all there is nothing to digest, and nothing is left behind (not
    // even the cache directory).
    if let Some(dir) = dir
        && let Some(hashes) = hashes
        && stamps_of(&paths) == stamps
        && stamps.iter().any(|s| s.stat.is_some())
        && worth_keeping(&summary)
    {
        let digest = Stored {
            version: VERSION,
            stamps,
            hashes,
            summary,
        };
        keep(&dir, &name, &digest);
        return Ok(digest.summary);
    }
    Ok(summary)
}

/// The contexts summary of `paths` from its digest in `cache_dir`, when the digest vouches for
/// exactly `texts`, the files' content read now with stamps `stamps` (for `use`, which reads
/// the file under its lock anyway); `None` otherwise.
pub fn summary_of_texts(
    paths: &[PathBuf],
    cache_dir: &Path,
    stamps: &[FileStamp],
    texts: &[&[u8]],
) -> Option<Summary> {
    let dir = PrivateDir::new(home(paths, Some(cache_dir))?);
    let d = stored::<Summary>(&dir, &file_name(CONTEXTS, paths), stamps)?;
    match &d.hashes {
        None => Some(d.summary),
        Some(h) => (*h == fingerprints(texts)).then_some(d.summary),
    }
}

/// Keeps the digests of `paths` (the contexts summary, and the prompt's) after eks-kc wrote
/// `texts` into them under their locks, so the next `list`, completion, `prompt` and `use` read
/// them instead of parsing. Best effort; the files have just changed, so the fingerprints
/// vouch, and a writer that slipped in after this one (without the lock) is noticed by them.
pub fn remember(paths: &[PathBuf], cache_dir: &Path, texts: &[&[u8]], summary: Summary) {
    let Some(home) = home(paths, Some(cache_dir)) else {
        return;
    };
    let dir = PrivateDir::new(home);
    let stamps = stamps_of(paths);
    let hashes = Some(fingerprints(texts));
    let prompt = Stored {
        version: VERSION,
        stamps: stamps.clone(),
        hashes: hashes.clone(),
        summary: summary.prompt(),
    };
    keep(&dir, &file_name(PROMPT, paths), &prompt);
    let contexts = Stored {
        version: VERSION,
        stamps,
        hashes,
        summary,
    };
    keep(&dir, &file_name(CONTEXTS, paths), &contexts);
}

/// Whether every file of `stamps` last changed at least [`SETTLED`] before `now`.
fn settled(stamps: &[FileStamp], now: SystemTime) -> bool {
    let Ok(now) = now.duration_since(UNIX_EPOCH) else {
        return false;
    };
    let limit = now.saturating_sub(SETTLED).as_nanos() as i128;
    stamps
        .iter()
        .all(|s| s.stat.is_none_or(|st| st.mtime < limit))
}

#[cfg(test)]
mod tests;

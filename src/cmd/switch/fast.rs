//! `use CONTEXT` on one kubeconfig file without parsing it: under the file's lock (the
//! caller's), the file is read, the kubeconfig digest vouches for exactly that content (its
//! context names and current context, see `kubeconfig::digest`), and the `current-context` line
//! is rewritten in place where that is provably the full rewrite's change
//! (`kubeconfig::current`). The file is then written as every kubeconfig write is (temporary
//! file, fsync, rename; mode, owner and links kept), and the digests are updated for the new
//! content, so `list`, completion, `prompt` and the next `use` do not parse it either.
//!
//! Whenever one of those does not hold, [`switch`] says so and the caller parses and rewrites
//! the file as before; after such a write [`remember`] keeps the digests, so the next `use` of
//! a large file is fast again.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{Target, resolve_target};
use crate::kubeconfig::digest::{self, Summary};
use crate::kubeconfig::file::View;
use crate::kubeconfig::{self, Kubeconfig};
use crate::settings::Settings;
use crate::store;
use crate::store::stamp::stamp;

/// What a switch did: the context switched to, and the one before.
pub(super) struct Switched {
    pub name: String,
    pub was: Option<String>,
}

fn cache_dir() -> Option<PathBuf> {
    let settings = Settings::from_env().ok()?;
    settings.cache_dir().ok().map(Path::to_path_buf)
}

/// Switches `files`, when they are one file, to `target` by rewriting its `current-context`
/// line; `Ok(None)` when that cannot be done safely (the caller rewrites the whole file). The
/// caller holds the file's lock. `previous` serves `use -`.
pub(super) fn switch(
    files: &[PathBuf],
    target: &Target,
    previous: Option<&String>,
) -> Result<Option<Switched>> {
    let [file] = files else {
        return Ok(None);
    };
    let Some(cache) = cache_dir() else {
        return Ok(None);
    };
    let before = stamp(file);
    // A missing or unreadable file is the full path's to report.
    let Ok(text) = store::read_text_capped(file, store::MAX_KUBECONFIG_SIZE) else {
        return Ok(None);
    };
    let stamps = [before];
    if stamp(file) != stamps[0] {
        return Ok(None);
    }
    let Some(mut summary) = digest::summary_of_texts(files, &cache, &stamps, &[text.as_bytes()])
    else {
        tracing::debug!("use: no digest vouches for {}: parsing it", file.display());
        return Ok(None);
    };
    let name = resolve_target(target, &summary.names, previous, None)?;
    let was = summary.current.clone();
    if was.as_deref() == Some(name.as_str()) {
        return Ok(Some(Switched { name, was }));
    }
    let Some(current) = was.as_deref() else {
        tracing::debug!(
            "use: rewriting all of {}: no current context",
            file.display()
        );
        return Ok(None);
    };
    let new = match kubeconfig::current::retarget(text.as_bytes(), current, &name) {
        Ok(new) => new,
        Err(why) => {
            tracing::debug!("use: rewriting all of {}: {why}", file.display());
            return Ok(None);
        }
    };
    kubeconfig::file::write_text(file, &new)?;
    tracing::debug!(
        "use: rewrote the current-context line of {}",
        file.display()
    );
    summary.current = Some(name.clone());
    digest::remember(files, &cache, &[&new], summary);
    Ok(Some(Switched { name, was }))
}

/// After a full rewrite of `files` (one file, `cfg` written as `text`), keeps the digests of
/// the new content. Several files: nothing (their digests follow on the next read).
pub(super) fn remember(files: &[PathBuf], cfg: Kubeconfig, text: &str) {
    let ([file], Some(cache)) = (files, cache_dir()) else {
        return;
    };
    let view = View {
        files: vec![(file.clone(), cfg)],
    };
    digest::remember(files, &cache, &[text.as_bytes()], Summary::of(&view));
}

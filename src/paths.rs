//! Where eks-kc keeps its files, from flags, environment and the platform conventions
//! (`directories`). No I/O beyond reading the environment.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

/// The token cache directory: the flag or `EKS_KC_CACHE_DIR` (clap merges both), else the
/// platform cache dir (`~/.cache/eks-kc` on Linux, honouring `XDG_CACHE_HOME`).
pub fn cache_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir.to_path_buf());
    }
    // Callers outside clap (shell completion) read the variable themselves.
    if let Some(dir) = std::env::var_os("EKS_KC_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "eks-kc")
        .map(|d| d.cache_dir().to_path_buf())
        .ok_or_else(|| {
            anyhow!("cannot find a home directory for the cache: set EKS_KC_CACHE_DIR or HOME")
        })
}

/// Where eks-kc remembers small things between runs (the previous context for `use -`):
/// `EKS_KC_STATE_DIR`, else the platform state dir (`~/.local/state/eks-kc` on Linux), else the
/// platform data dir.
pub fn state_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("EKS_KC_STATE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "eks-kc").ok_or_else(|| {
        anyhow!("cannot find a home directory for eks-kc's state: set EKS_KC_STATE_DIR or HOME")
    })?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}

//! Where eks-kc keeps its files, from flags, environment and the platform conventions
//! (`directories`). No I/O beyond reading the environment.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

/// The token cache directory: `explicit` (the flag or `EKS_KC_CACHE_DIR`, resolved by
/// `settings`), else the platform cache dir (`~/.cache/eks-kc` on Linux, honouring
/// `XDG_CACHE_HOME`).
pub fn cache_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "eks-kc")
        .map(|d| d.cache_dir().to_path_buf())
        .ok_or_else(|| {
            anyhow!("cannot find a home directory for the cache: set EKS_KC_CACHE_DIR or HOME")
        })
}

/// Where eks-kc remembers small things between runs (the previous context for `use -`):
/// `explicit` (`EKS_KC_STATE_DIR`, resolved by `settings`), else the platform state dir
/// (`~/.local/state/eks-kc` on Linux), else the platform data dir.
pub fn state_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "eks-kc").ok_or_else(|| {
        anyhow!("cannot find a home directory for eks-kc's state: set EKS_KC_STATE_DIR or HOME")
    })?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}

/// eks-kc's config file (the targets a bare `sync` runs): `explicit` (`EKS_KC_CONFIG`, resolved
/// by `settings`), else `config.yaml` in the platform config dir (`~/.config/eks-kc` on Linux,
/// honouring `XDG_CONFIG_HOME`).
pub fn config_file(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(file) = explicit.filter(|f| !f.as_os_str().is_empty()) {
        return Ok(file.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "eks-kc")
        .map(|d| d.config_dir().join("config.yaml"))
        .ok_or_else(|| {
            anyhow!("cannot find a home directory for the config file: set EKS_KC_CONFIG or HOME")
        })
}

/// The AWS files an identity can come from, as the AWS CLI and SDKs find them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFiles {
    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials: PathBuf,
    /// Where `aws sso login` keeps its tokens: `~/.aws/sso/cache`.
    pub sso_cache: PathBuf,
    /// Where `aws login` keeps its sessions: `AWS_LOGIN_CACHE_DIRECTORY` (taken as it is, as
    /// the SDK does), else `~/.aws/login/cache`.
    pub login_cache: PathBuf,
}

/// The AWS files for the environment `env` (a lookup: the process environment in production).
pub fn aws_files(env: impl Fn(&str) -> Option<String>) -> AwsFiles {
    let home = env("HOME").filter(|h| !h.is_empty()).unwrap_or_default();
    let expand = |p: String| match p.strip_prefix("~/") {
        Some(rest) => Path::new(&home).join(rest),
        None => PathBuf::from(p),
    };
    let named = |var: &str, default: &str| {
        env(var)
            .filter(|v| !v.is_empty())
            .map(&expand)
            .unwrap_or_else(|| Path::new(&home).join(default))
    };
    AwsFiles {
        config: named("AWS_CONFIG_FILE", ".aws/config"),
        credentials: named("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
        sso_cache: Path::new(&home).join(".aws/sso/cache"),
        login_cache: env("AWS_LOGIN_CACHE_DIRECTORY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(&home).join(".aws/login/cache")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_files_follow_the_environment_like_the_sdk() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let f = aws_files(env(&[("HOME", "/h")]));
        assert_eq!(f.config, Path::new("/h/.aws/config"));
        assert_eq!(f.credentials, Path::new("/h/.aws/credentials"));
        assert_eq!(f.sso_cache, Path::new("/h/.aws/sso/cache"));
        assert_eq!(f.login_cache, Path::new("/h/.aws/login/cache"));
        let f = aws_files(env(&[
            ("HOME", "/h"),
            ("AWS_CONFIG_FILE", "~/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"),
            ("AWS_LOGIN_CACHE_DIRECTORY", "/l"),
        ]));
        assert_eq!(f.login_cache, Path::new("/l"));
        assert_eq!(f.config, Path::new("/h/cfg"));
        assert_eq!(f.credentials, Path::new("/etc/creds"));
    }
}

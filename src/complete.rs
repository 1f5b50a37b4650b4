//! Dynamic shell completion candidates, from local files only: context names from the
//! kubeconfig, profile names from the AWS config files, region names from eks-kc's own list.
//! Never a network call; a file that cannot be read simply offers nothing.

use clap_complete::engine::CompletionCandidate;

/// Context names of the kubeconfig(s) kubectl would read; managed ones show their cluster. The
/// contexts used last come first (this shell's, then every shell's; see `crate::recent`), but
/// for the current one: two small files read, beside the digest.
pub fn contexts() -> Vec<CompletionCandidate> {
    let Ok(summary) = crate::settings::Settings::from_env()
        .and_then(|settings| crate::kubeconfig::digest::load(None, settings.cache_dir()?))
    else {
        return vec![];
    };
    let managed: std::collections::BTreeMap<String, String> = summary
        .managed
        .into_iter()
        .map(|m| {
            let help = format!("{} {} {}", m.id.cluster_name, m.id.region, m.id.profile);
            (m.name, help)
        })
        .collect();
    let mut recent = crate::kubeconfig::file::view_paths(None)
        .map(|paths| crate::recent::load(&paths, &summary.names))
        .unwrap_or_default();
    recent.retain(|n| summary.current.as_ref() != Some(n));
    let first: std::collections::HashSet<String> = recent.iter().cloned().collect();
    let rest = summary.names.into_iter().filter(|n| !first.contains(n));
    recent
        .into_iter()
        .chain(rest)
        .map(|name| {
            let help = managed.get(&name).cloned();
            CompletionCandidate::new(name).help(help.map(Into::into))
        })
        .collect()
}

/// Profile names of the AWS config and credentials files.
pub fn profiles() -> Vec<CompletionCandidate> {
    crate::aws::profiles::load_blocking()
        .map(|p| p.names().map(CompletionCandidate::new).collect())
        .unwrap_or_default()
}

/// The `[sso-session]` sections of the AWS config, for `--sso-session`.
pub fn sso_sessions() -> Vec<CompletionCandidate> {
    crate::aws::profiles::load_blocking()
        .map(|p| {
            p.sso_sessions
                .keys()
                .map(CompletionCandidate::new)
                .collect()
        })
        .unwrap_or_default()
}

/// The EKS regions eks-kc knows, for `--region`.
pub fn regions() -> Vec<CompletionCandidate> {
    crate::regions::known()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

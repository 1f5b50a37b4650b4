//! Dynamic shell completion candidates, from local files only: context names from the
//! kubeconfig and aliases from the config file, profile names from the AWS config files, region
//! names from eks-kc's own list.
//! Never a network call; a file that cannot be read simply offers nothing.

use clap_complete::engine::CompletionCandidate;

/// Context names of the kubeconfig(s) kubectl would read; managed ones show their cluster. The
/// contexts used last come first (this shell's, then every shell's; see `crate::recent`), but
/// for the current one: two small files read, beside the digest. Then the aliases of the config
/// file that stand for one of them (and are not shadowed by a context of the same name).
pub fn contexts() -> Vec<CompletionCandidate> {
    let Ok(summary) = crate::settings::Settings::from_env()
        .and_then(|settings| crate::kubeconfig::digest::load(None, settings.cache_dir()?))
    else {
        return vec![];
    };
    let names: std::collections::BTreeSet<&str> =
        summary.names.iter().map(String::as_str).collect();
    let aliases: Vec<CompletionCandidate> = read_aliases()
        .0
        .into_iter()
        .filter(|(alias, context)| {
            names.contains(context.as_str()) && !names.contains(alias.as_str())
        })
        .map(|(alias, context)| {
            CompletionCandidate::new(alias).help(Some(format!("alias of {context}").into()))
        })
        .collect();
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
        .chain(aliases)
        .collect()
}

/// The aliases of the config file, for `alias rm`.
pub fn aliases() -> Vec<CompletionCandidate> {
    read_aliases()
        .0
        .into_iter()
        .map(|(alias, context)| CompletionCandidate::new(alias).help(Some(context.into())))
        .collect()
}

/// The config file's aliases; none when it cannot be found or read.
fn read_aliases() -> crate::config::Aliases {
    crate::settings::config_file(crate::settings::env::var)
        .and_then(|path| crate::config::file::read_aliases(&path))
        .unwrap_or_default()
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

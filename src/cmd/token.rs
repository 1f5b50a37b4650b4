//! `eks-kc token`: the client-go exec credential plugin. Flags and `KUBERNETES_EXEC_INFO` in,
//! one ExecCredential (or a bare token) out; the work is the token engine's (`crate::engine`).

use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::cli::GlobalArgs;
use crate::cli::{TokenArgs, TokenOutput};
use crate::engine;
use crate::engine::TokenRequest;
use crate::exec::{self, ClusterConfig, ExecInfo};
use crate::settings::Flags;
use crate::settings::Settings;
use crate::token;
use crate::{advice, exit};

/// Applies the precedence flags > exec info > environment. `env` looks a variable up.
pub fn resolve_request(
    args: &TokenArgs,
    exec_info: Option<ExecInfo>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TokenRequest> {
    let flags = ClusterConfig {
        cluster_name: args.cluster_name.clone(),
        cluster_id: args.cluster_id.clone(),
        region: args.region.clone(),
        profile: args.profile.clone(),
        role_arn: args.role_arn.clone(),
        role_session_name: args.role_session_name.clone(),
        sso_session: args.sso.sso_session.clone(),
        sso_start_url: args.sso.sso_start_url.clone(),
        sso_region: args.sso.sso_region.clone(),
        account_id: args.sso.account_id.clone(),
        role_name: args.sso.role_name.clone(),
    };
    engine::resolve(flags, exec_info, env)
}

/// `eks-kc token`: the cache flags and time limits over the environment, then [`run`].
pub fn main(args: &TokenArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    let settings = Settings::of_process(Flags {
        cache_dir: global.cache_dir(args.cache.cache_dir.as_deref()),
        refresh_margin: Some(args.refresh_margin),
        lock_timeout: args.lock_timeout.to_std().ok(),
        timeout: args.timeout.to_std().ok(),
    })?;
    run(args, &settings, out)
        .map(|()| exit::SUCCESS)
        .map_err(advice::explain)
}

pub fn run(args: &TokenArgs, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    let exec_info = match crate::settings::env::var("KUBERNETES_EXEC_INFO") {
        Some(raw) if !raw.trim().is_empty() => Some(exec::parse_exec_info(&raw)?),
        _ => None,
    };
    let run_by_kubectl = exec_info.is_some();
    let context = match (&args.context, exec_info.is_none()) {
        (Some(context), _) => Some(context.clone()),
        // `-c ALIAS` typed alone by a person; kubectl never runs this (it passes exec info).
        (None, true) => alias_of_cluster(args, settings)?,
        (None, false) => None,
    };
    let mut req = match context {
        Some(context) => context_request(&context, args.kubeconfig.as_deref(), exec_info)?,
        None => resolve_request(args, exec_info, crate::settings::env::var)?,
    };
    if !run_by_kubectl {
        // Run by a person (or a script): it may ask when there is a terminal to ask on.
        req.interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
    }
    let entry = engine::obtain(&req, settings, !args.no_cache)?;
    let line = match args.output {
        TokenOutput::ExecCredential => exec::exec_credential_json(
            req.api_version,
            &entry.token,
            &token::format_timestamp(entry.expiration),
        ),
        TokenOutput::Token => entry.token.clone(),
    };
    writeln!(out, "{line}")?;
    Ok(())
}

/// `--context`: the request kubectl makes for that context (a name, an alias, or `use`'s unique
/// prefix or substring), whichever user it has; apiVersion and interactivity from the exec
/// info when a client ran this.
fn context_request(
    query: &str,
    kubeconfig: Option<&std::path::Path>,
    exec_info: Option<ExecInfo>,
) -> Result<TokenRequest> {
    let view = crate::kubeconfig::file::View::load(kubeconfig)?;
    let name = super::alias::resolve(query, &view.context_names())?;
    let (m, _) = super::doctor::context_to_check(&view, &name)?;
    let mut req = TokenRequest::for_context(&m, false)?;
    if let Some(info) = exec_info {
        req.api_version = info.api_version;
        req.interactive = info.interactive;
    }
    Ok(req)
}

/// `-c NAME` with no other flag that says who signs or where (what `--context` conflicts with),
/// when NAME is an alias of the config file (`eks-kc alias`) and no EKS context of the
/// kubeconfig has a cluster of that name: the alias, for [`context_request`], so the token is
/// its context's (cluster, region, identity), as with `--context ALIAS`. Otherwise `None`: NAME
/// is the cluster name signed into the token, as it always was. Only this form reads the config
/// file; the plugin's calls (exec info) and `-c NAME --region R` never do.
fn alias_of_cluster(args: &TokenArgs, settings: &Settings) -> Result<Option<String>> {
    let Some(name) = args.cluster_name.as_deref() else {
        return Ok(None);
    };
    let sso = &args.sso;
    let alone = [
        &args.cluster_id,
        &args.region,
        &args.profile,
        &args.role_arn,
        &args.role_session_name,
        &sso.sso_session,
        &sso.sso_start_url,
        &sso.sso_region,
        &sso.account_id,
        &sso.role_name,
    ]
    .iter()
    .all(|v| v.is_none());
    if !alone || crate::config::aliases::check_name(name).is_err() {
        return Ok(None);
    }
    let env = crate::settings::env::var;
    // No config file, or one that cannot be read: no alias (commands that edit it say why).
    let aliases = crate::settings::config_file(env)
        .and_then(|path| crate::config::file::read_aliases(&path))
        .unwrap_or_default();
    if aliases.get(name).is_none() {
        return Ok(None);
    }
    let summary = crate::kubeconfig::digest::summary(None, settings.cache_dir().ok())?;
    let clusters = (summary.managed.iter())
        .chain(&summary.adopted)
        .chain(&summary.foreign);
    if clusters
        .flat_map(|m| [Some(&m.id.cluster_name), m.exec.cluster_name.as_ref()])
        .any(|c| c.is_some_and(|c| c == name))
    {
        tracing::debug!("token: '{name}' is an alias and a cluster's name: the cluster's");
        return Ok(None);
    }
    tracing::debug!("token: -c '{name}' is an alias: signing for its context");
    Ok(Some(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> TokenArgs {
        let cli = crate::cli::Cli::try_parse_from(
            ["eks-kc", "token"].iter().chain(extra.iter()).copied(),
        )
        .unwrap();
        match cli.command {
            crate::cli::Command::Token(a) => a,
            _ => unreachable!(),
        }
    }

    fn info(config: &str) -> Option<ExecInfo> {
        Some(
            exec::parse_exec_info(&format!(
                r#"{{"apiVersion":"{}","spec":{{"cluster":{{"config":{config}}}}}}}"#,
                exec::V1
            ))
            .unwrap(),
        )
    }

    #[test]
    fn flags_beat_exec_info_beat_environment() {
        let env = |k: &str| match k {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            _ => None,
        };
        let from_info = info(r#"{"clusterName":"a","region":"eu-west-1","profile":"p"}"#);
        let r = resolve_request(&args(&[]), from_info.clone(), env).unwrap();
        assert_eq!(
            (
                r.cluster.as_str(),
                r.region.as_deref(),
                r.profile.as_deref()
            ),
            ("a", Some("eu-west-1"), Some("p"))
        );
        assert_eq!(r.api_version, exec::V1);

        let r = resolve_request(
            &args(&[
                "--cluster-name",
                "b",
                "--region",
                "ap-south-1",
                "--profile",
                "q",
            ]),
            from_info,
            env,
        )
        .unwrap();
        assert_eq!(
            (
                r.cluster.as_str(),
                r.region.as_deref(),
                r.profile.as_deref()
            ),
            ("b", Some("ap-south-1"), Some("q"))
        );

        let r = resolve_request(&args(&["-c", "c"]), None, env).unwrap();
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
        assert_eq!(r.api_version, exec::V1BETA1);
        assert_eq!(r.profile, None);
    }

    #[test]
    fn a_cluster_name_is_required() {
        let err = resolve_request(&args(&[]), info(r#"{"region":"eu-west-1"}"#), |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--cluster-name"), "{err}");
        assert!(resolve_request(&args(&["-c", " "]), None, |_| None).is_err());
    }
}

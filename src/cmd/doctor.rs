//! `eks-kc doctor [CONTEXT]`: probe every link of a context's access chain, then print the
//! judgement of `crate::doctor` as text or JSON.
//!
//! The probes run in link order and each is bounded by the network limit (`EKS_KC_TIMEOUT`):
//! the credentials through the token engine (`cmd::token::credentials`, the same caches), the
//! AWS calls through `aws::inspect` with those credentials, the API server through
//! `aws::kubeapi` with a token from `cmd::token::obtain` (what kubectl would be handed).

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result, bail};
use base64::Engine;
use chrono::Utc;

use crate::aws::inspect::Session;
use crate::aws::kubeapi::{KubeApi, NetError, Reply};
use crate::cli::GlobalArgs;
use crate::cli::{DoctorArgs, ListOutput};
use crate::doctor::{self, Access, Api, Caller, Cluster, Credentials, Facts, Http};
use crate::engine::{Origin, TokenRequest, credentials, obtain};
use crate::kubeconfig::file::View;
use crate::kubeconfig::kuberc;
use crate::kubeconfig::{Kubeconfig, ManagedContext, Section, identify_context};
use crate::secret::Secret;
use crate::settings::{Limits, Settings};
use crate::signin::SignIn;
use crate::{aws, exit};

mod print;
use print::print;

/// `eks-kc doctor`, with `--cache-dir` over the environment.
pub fn main(args: &DoctorArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    run(args, &super::plain_settings(global, &args.cache)?, out)
}

pub fn run(args: &DoctorArgs, settings: &Settings, out: &mut dyn Write) -> Result<u8> {
    let view = View::load(args.kubeconfig.as_deref())?;
    let name = match &args.context {
        // The names `use` takes: exact, an alias, else a unique prefix or substring (an
        // ambiguous one is an error listing the candidates; one that matches nothing is judged
        // as typed).
        Some(c) => {
            let names = view.context_names();
            let c = &super::alias::expand(c, &names)?;
            match super::switch::resolve(c, &names) {
                Ok(n) => n,
                Err(e) if names.iter().any(|n| n.contains(c.as_str())) => return Err(e),
                Err(_) => c.clone(),
            }
        }
        None => view.current_context().with_context(|| {
            format!(
                "no current context: name the context to check (`{bin} doctor CONTEXT`), or {}",
                super::pick_a_context(!view.context_names().is_empty()),
                bin = crate::display::bin()
            )
        })?,
    };
    let (m, (command, exec_command)) = context_to_check(&view, &name)?;
    let mut facts = probe(&m, &command, &view, settings)?;
    facts.plugin_policy = kuberc::for_kubectl(&exec_command);
    let report = doctor::diagnose(&facts, Utc::now());
    match args.output {
        ListOutput::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        ListOutput::Table => print(out, &report)?,
    }
    Ok(if report.verdict.ok {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// The context to check as eks-kc's own, and the command its user runs (as a person would
/// type it, and its `exec.command`). A context eks-kc did not write is checked with the
/// identity its own command signs as (`aws eks get-token`, `aws-iam-authenticator token`, an
/// eks-kc stanza without marker); any other is an error that names its command.
pub(super) fn context_to_check(
    view: &View,
    name: &str,
) -> Result<(ManagedContext, (String, String))> {
    let files: Vec<&Kubeconfig> = view.files.iter().map(|(_, k)| k).collect();
    let found = identify_context(&files, name);
    if let Some(m) = view.managed().into_iter().find(|m| m.name == name) {
        let command = found
            .map(|f| (f.identity.command_line, f.exec_command))
            .unwrap_or_else(|_| ("eks-kc token".to_owned(), "eks-kc".to_owned()));
        return Ok((m, command));
    }
    if view.unusable().iter().any(|n| n == name) {
        bail!(super::unusable_message(name));
    }
    if !view.context_names().iter().any(|n| n == name) {
        bail!(
            "no context '{name}' in the kubeconfig (`kubectl config get-contexts` lists them; \
             `{bin} sync` writes one for each EKS cluster your profiles can see)",
            bin = crate::display::bin()
        );
    }
    let found = found.map_err(anyhow::Error::msg)?;
    let m = found.to_managed();
    Ok((m, (found.identity.command_line, found.exec_command)))
}

fn env(name: &str) -> Option<String> {
    crate::settings::env::var(name).filter(|v| !v.trim().is_empty())
}

/// Runs every probe for context `m`. Only a context eks-kc cannot even describe (no region) is
/// an error; every other problem becomes a fact.
fn probe(m: &ManagedContext, command: &str, view: &View, settings: &Settings) -> Result<Facts> {
    // A person runs doctor: it may ask for an MFA code when there is a terminal to ask on.
    let interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
    let mut req = TokenRequest::for_context(m, interactive)?;
    let limits = settings.limits.clone();
    let sso_login = req.identity().sso.map(|r| match r.login {
        crate::source::SsoLoginRef::Session(s) => {
            format!("{bin} login --sso-session {s}", bin = crate::display::bin())
        }
        crate::source::SsoLoginRef::StartUrl { .. } => "aws sso login".to_owned(),
    });
    let profile = if sso_login.is_some() {
        None
    } else {
        req.profile.clone().or_else(|| env("AWS_PROFILE"))
    };
    let region = req.signing_region()?;
    req.region = Some(region.clone());
    let uses_env_keys = req.identity().uses_env_keys(crate::settings::env::var);
    let logins = if sso_login.is_some() || uses_env_keys {
        Logins::default()
    } else {
        logins_of(profile.as_deref())
    };

    let mut facts = Facts {
        context: m.name.clone(),
        plugin_policy: None,
        command: command.to_owned(),
        cluster: m.id.cluster_name.clone(),
        cluster_id: (req.cluster != m.id.cluster_name).then(|| req.cluster.clone()),
        region: region.clone(),
        profile: profile.clone(),
        role_arn: req.role_arn.clone(),
        server: m.server.clone(),
        uses_sso: sso_login.is_some() || logins.sso,
        sso_login,
        sign_in: logins.sign_in.as_ref().map(SignIn::login_command),
        credentials: Err(String::new()),
        caller: Err(Err(String::new())),
        cluster_info: Err(Err(String::new())),
        access: Err(String::new()),
        token: Ok(()),
        api: Err(String::new()),
    };

    // 1. The credentials the token engine signs with, from its caches when it has them.
    let origin = Origin::new(req.identity());
    let creds = credentials(
        req.identity(),
        &region,
        req.interactive,
        settings,
        true,
        &origin,
    );
    facts.credentials = match &creds {
        Ok(c) => Ok(Credentials {
            source: source(
                &req,
                uses_env_keys,
                profile.as_deref(),
                logins.sign_in.as_ref(),
            ),
            access_key_id: c.access_key_id.clone(),
            temporary: c.session_token.is_some(),
            expiry: c.expiry,
        }),
        Err(e) => Err(format!("{e:#}").replace('\n', " ")),
    };

    // 1-4. Who they are, and what EKS says about the cluster and the principal.
    aws_links(&mut facts, creds.as_ref().ok(), &req, &limits);

    // 5. The API server, with the token kubectl would get.
    match obtain(&req, settings, true) {
        Ok(entry) => {
            facts.api = match &m.server {
                Some(server) => api_link(
                    server,
                    ca_pem(view, &m.cluster_entry),
                    Secret::new(entry.token),
                    &limits,
                ),
                None => Err(format!(
                    "the context's cluster entry '{}' has no server URL",
                    m.cluster_entry
                )),
            }
        }
        Err(e) => {
            facts.token = Err(format!("{e:#}").replace('\n', " "));
            facts.api = Err("no token to send".into());
        }
    }
    Ok(facts)
}

fn aws_links(
    facts: &mut Facts,
    creds: Option<&aws::AwsCredentials>,
    req: &TokenRequest,
    limits: &Limits,
) {
    let Some(creds) = creds else {
        let why = "needs credentials (link 1)".to_owned();
        facts.caller = Err(Err(why.clone()));
        facts.cluster_info = Err(Err(why.clone()));
        facts.access = Err(why);
        return;
    };
    let session = match Session::new(creds, &facts.region, req.profile.as_deref(), limits.network) {
        Ok(s) => s,
        Err(e) => {
            let why = format!("cannot set up the AWS clients: {e:#}");
            facts.caller = Err(Err(why.clone()));
            facts.cluster_info = Err(Err(why.clone()));
            facts.access = Err(why);
            return;
        }
    };
    facts.caller = session.caller().map_err(Ok);
    if let Err(Ok(p)) = &facts.caller
        && p.rejects_credentials()
    {
        let why = "not asked: AWS rejected the credentials (link 1)".to_owned();
        facts.cluster_info = Err(Err(why.clone()));
        facts.access = Err(why);
        return;
    }
    facts.cluster_info = session.cluster(&facts.cluster).map_err(Ok);
    if let Ok(Cluster {
        authentication_mode: Some(crate::access::AuthenticationMode::ConfigMap),
        ..
    }) = &facts.cluster_info
    {
        facts.access = Err(
            "the cluster's authentication mode is CONFIG_MAP: access entries do not apply".into(),
        );
        return;
    }
    let Ok(Caller { arn, .. }) = &facts.caller else {
        facts.access = Err("needs the principal (link 2)".into());
        return;
    };
    let principal = crate::token::verify::mapped_arn(arn);
    let entry = session.entry(&facts.cluster, &principal);
    let policies = match &entry {
        Ok(Some(_)) => session.policies(&facts.cluster, &principal),
        _ => Ok(vec![]),
    };
    facts.access = Ok(Access {
        principals: session.entries(&facts.cluster),
        entry,
        policies,
    });
}

/// The CA kubectl trusts for cluster entry `name`: its `certificate-authority-data` (base64
/// PEM), else the file named by `certificate-authority`. `Some(Err)` when it cannot be read.
pub(super) fn ca_pem(view: &View, name: &str) -> Option<Result<Vec<u8>, String>> {
    let (_, k) = view
        .files
        .iter()
        .find(|(_, k)| k.names(Section::Clusters).iter().any(|n| n == name))?;
    if let Some(data) = k.cluster_field(name, "certificate-authority-data") {
        return Some(
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| format!("certificate-authority-data is not base64: {e}")),
        );
    }
    let file = k.cluster_field(name, "certificate-authority")?;
    Some(
        crate::store::read_text_capped(std::path::Path::new(file), 1 << 20)
            .map(String::into_bytes)
            .map_err(|e| format!("reading certificate-authority {file}: {e}")),
    )
}

fn api_link(
    server: &str,
    ca: Option<Result<Vec<u8>, String>>,
    token: Secret,
    limits: &Limits,
) -> Result<Api, String> {
    let ca = ca.transpose()?;
    let api = KubeApi::new(server, ca.as_deref(), token, limits.network).map_err(|e| {
        format!("{e:#}; the cluster's data in the kubeconfig is damaged").replace('\n', " ")
    })?;
    let version = match api.get("/version") {
        Ok(Reply { status: 200, body }) => {
            Ok(doctor::parse_version(&body).unwrap_or_else(|| "answered".to_owned()))
        }
        other => Err(http_failure(other)),
    };
    if matches!(version, Err(Http::Unreachable { .. })) {
        return Ok(Api {
            version,
            review: None,
        });
    }
    let review_in = |group_version: &str| {
        let body = format!(r#"{{"apiVersion":"{group_version}","kind":"SelfSubjectReview"}}"#);
        api.post_json(&format!("/apis/{group_version}/selfsubjectreviews"), &body)
    };
    // v1 since Kubernetes 1.28, v1beta1 in 1.27.
    let mut reply = review_in("authentication.k8s.io/v1");
    if matches!(reply, Ok(Reply { status: 404, .. })) {
        reply = review_in("authentication.k8s.io/v1beta1");
    }
    let review = match reply {
        Ok(Reply {
            status: 200 | 201,
            body,
        }) => doctor::parse_review(&body).ok_or(Http::Answered {
            status: 201,
            message: "the SelfSubjectReview answer has no username".to_owned(),
        }),
        other => Err(http_failure(other)),
    };
    Ok(Api {
        version,
        review: Some(review),
    })
}

fn http_failure(reply: Result<Reply, NetError>) -> Http {
    match reply {
        Ok(r) => Http::Answered {
            status: r.status,
            message: doctor::status_message(&r.body),
        },
        Err(e) => Http::Unreachable {
            kind: e.kind,
            message: e.message,
        },
    }
}

/// How a profile chain signs in, if it does.
#[derive(Default)]
struct Logins {
    /// Through IAM Identity Center.
    sso: bool,
    /// Through an `aws login` session.
    sign_in: Option<SignIn>,
}

/// How the profile (through its `source_profile` chain) signs in.
fn logins_of(profile: Option<&str>) -> Logins {
    let Ok(files) = aws::profiles::load_files_blocking() else {
        return Logins::default();
    };
    let chain = crate::cache::provenance::walk(&files, profile.unwrap_or("default"));
    Logins {
        sso: !chain.sso_logins.is_empty(),
        sign_in: chain.sign_ins.into_iter().next(),
    }
}

/// Where the credentials come from, in words.
fn source(
    req: &TokenRequest,
    uses_env_keys: bool,
    profile: Option<&str>,
    sign_in: Option<&SignIn>,
) -> String {
    if uses_env_keys {
        return "AWS_ACCESS_KEY_ID in the environment".to_owned();
    }
    if req.sso.is_some() {
        return req.identity().describe();
    }
    let base = match (&req.profile, profile) {
        (Some(p), _) => format!("profile '{p}'"),
        (None, Some(p)) => format!("profile '{p}' (AWS_PROFILE)"),
        (None, None) => "the default credential chain".to_owned(),
    };
    let base = match sign_in {
        Some(s) if profile == Some(s.profile.as_str()) => {
            format!("{base}, an `aws login` session of {}", s.session)
        }
        Some(s) => format!(
            "{base}, through the `aws login` session of profile '{}' ({})",
            s.profile, s.session
        ),
        None => base,
    };
    match &req.role_arn {
        Some(role) => format!("role {role} assumed with {base}"),
        None => base,
    }
}

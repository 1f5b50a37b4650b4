//! `eks-kc verify`: check a token offline against the authenticator's rules, and with
//! `--online` ask STS who it belongs to.

use std::io::{Read, Write};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use serde::Serialize;

use crate::advice;
use crate::cli::GlobalArgs;
use crate::cli::{ListOutput, VerifyArgs};
use crate::engine::{TokenRequest, obtain};
use crate::kubeconfig::file::View;
use crate::settings::Settings;
use crate::token::verify;
use crate::token::verify::Findings;
use crate::{aws, exit};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Online {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    caller_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mapped_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<String>,
    #[serde(flatten)]
    findings: Findings,
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<Online>,
}

/// `eks-kc verify`, with `--cache-dir` over the environment.
pub fn main(args: &VerifyArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    run(args, &super::plain_settings(global, &args.cache)?, out).map_err(advice::explain)
}

pub fn run(args: &VerifyArgs, settings: &Settings, out: &mut dyn Write) -> Result<u8> {
    let (token_text, minted_for) = match args.token.as_deref() {
        Some("-") => {
            let mut s = String::new();
            // A token is at most 4 KiB; read a little more so an oversized one is judged too.
            std::io::stdin()
                .take(1 << 20)
                .read_to_string(&mut s)
                .context("reading the token from stdin")?;
            (s.trim().to_owned(), None)
        }
        Some(t) => (t.trim().to_owned(), None),
        None => {
            let (token, cluster) = mint_for_current_context(args, settings)?;
            (token, Some(cluster))
        }
    };
    let cluster = args.cluster_name.clone().or(minted_for);
    let findings = verify::check(&token_text, Utc::now());

    let online = if args.online {
        let Some(cluster) = cluster.as_deref() else {
            bail!("--online needs the cluster the token is for: pass --cluster-name");
        };
        let Some(url) = findings.url.as_deref() else {
            bail!("the token has no readable URL to send to STS");
        };
        Some(ask_sts(url, cluster, settings)?)
    } else {
        None
    };
    let ok = findings.ok() && online.as_ref().is_none_or(|o| o.ok);
    let report = Report {
        ok,
        cluster,
        findings,
        online,
    };
    match args.output {
        ListOutput::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        ListOutput::Table => print(out, &report)?,
    }
    Ok(if ok { exit::SUCCESS } else { exit::FAILURE })
}

/// A token for the current context, obtained exactly as kubectl would get it.
fn mint_for_current_context(args: &VerifyArgs, settings: &Settings) -> Result<(String, String)> {
    let view = View::load(args.kubeconfig.as_deref())?;
    let Some(current) = view.current_context() else {
        bail!(
            "no current context: pass a TOKEN, or {}",
            super::pick_a_context(!view.context_names().is_empty())
        );
    };
    let managed = view.managed();
    let Some(m) = managed.iter().find(|m| m.name == current) else {
        if view.unusable().contains(&current) {
            bail!(super::unusable_message(&current));
        }
        bail!("the current context '{current}' is not managed by eks-kc: pass a TOKEN");
    };
    let req = TokenRequest::for_context(m, false)?;
    let entry = obtain(&req, settings, true)?;
    Ok((entry.token, req.cluster))
}

fn ask_sts(url: &str, cluster: &str, settings: &Settings) -> Result<Online> {
    let reply = aws::sts::replay(url, cluster, settings.limits.network)?;
    if reply.status == 200 {
        let caller = verify::xml_field(&reply.body, "Arn");
        return Ok(Online {
            ok: caller.is_some(),
            mapped_arn: caller.as_deref().map(verify::mapped_arn),
            account: verify::xml_field(&reply.body, "Account"),
            error: caller
                .is_none()
                .then(|| "STS answered without a caller ARN".to_owned()),
            caller_arn: caller,
        });
    }
    let code = verify::xml_field(&reply.body, "Code").unwrap_or_else(|| "error".into());
    let message = verify::xml_field(&reply.body, "Message").unwrap_or_default();
    Ok(Online {
        ok: false,
        caller_arn: None,
        mapped_arn: None,
        account: None,
        error: Some(format!("STS answered {}: {code}: {message}", reply.status)),
    })
}

fn print(out: &mut dyn Write, r: &Report) -> Result<()> {
    let f = &r.findings;
    writeln!(
        out,
        "token{}{}{}",
        r.cluster
            .as_deref()
            .map(|c| format!(" for cluster {c}"))
            .unwrap_or_default(),
        f.region
            .as_deref()
            .map(|x| format!(" in {x}"))
            .unwrap_or_default(),
        f.access_key_id
            .as_deref()
            .map(|k| format!(", signed with {k}"))
            .unwrap_or_default(),
    )?;
    for c in &f.checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        writeln!(out, "  {mark}  {}: {}", c.rule, c.detail)?;
    }
    if let Some(o) = &r.online {
        match (&o.caller_arn, &o.error) {
            (Some(caller), _) => {
                writeln!(out, "  ok    STS: caller {caller}")?;
                if let Some(m) = &o.mapped_arn {
                    writeln!(out, "        the cluster maps access for {m}")?;
                }
            }
            (None, Some(e)) => writeln!(out, "  FAIL  STS: {e}")?,
            (None, None) => {}
        }
    }
    writeln!(
        out,
        "{}",
        if r.ok {
            "valid"
        } else {
            "INVALID: the cluster would answer 401"
        }
    )?;
    Ok(())
}

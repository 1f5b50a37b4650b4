//! `eks-kc login`: session credentials for a profile, asked for once (MFA code included), kept
//! in the credential cache, and tokens pre-warmed for the profile's managed contexts.

use std::io::Write;

use anyhow::Result;
use chrono::Utc;

use crate::aws::CredentialSource;
use crate::cli::LoginArgs;
use crate::config::Settings;
use crate::tokens::{Origin, TokenRequest, credentials, obtain};
use crate::{aws, digest};

pub fn run(args: &LoginArgs, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    if args.sso_session.is_some() {
        anyhow::bail!("IAM Identity Center login (--sso-session) is not built yet");
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let profiles = if args.profiles.is_empty() {
        vec![env("AWS_PROFILE").unwrap_or_else(|| "default".into())]
    } else {
        args.profiles.clone()
    };
    let files = aws::profiles::load_blocking()?;
    let managed = digest::load(args.kubeconfig.as_deref(), settings.cache_dir()?)?.managed;

    for profile in profiles {
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| files.region_of(&profile).map(str::to_owned))
            .unwrap_or_else(|| "us-east-1".into());
        let identity = CredentialSource {
            profile: Some(&profile),
            role_arn: None,
            sso: None,
        };
        let creds = credentials(
            identity,
            &region,
            true,
            settings,
            true,
            &Origin::new(identity),
        )?;

        let mut warmed = 0;
        for m in managed.iter().filter(|m| {
            m.exec.profile.as_deref() == Some(profile.as_str()) && m.exec.role_arn.is_none()
        }) {
            let req = TokenRequest::for_context(m, true)?;
            obtain(&req, settings, true)?;
            warmed += 1;
        }
        match creds.expiry {
            Some(expiry) => writeln!(
                out,
                "{profile}: session credentials valid for {} min (until {}); {warmed} token(s) ready",
                (expiry - Utc::now()).num_minutes(),
                crate::token::format_timestamp(expiry)
            )?,
            None => writeln!(
                out,
                "{profile}: long-term keys, nothing to log in; {warmed} token(s) ready"
            )?,
        }
    }
    Ok(())
}

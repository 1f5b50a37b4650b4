//! `eks-kc login`: session credentials for a profile, asked for once (MFA code included), kept
//! in the credential cache, and tokens pre-warmed for the profile's managed contexts.

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use chrono::Utc;

use crate::aws::CredentialSource;
use crate::aws::sso::Login;
use crate::cli::GlobalArgs;
use crate::cli::LoginArgs;
use crate::display::safe;
use crate::engine::{self, Origin, TokenRequest, credentials, obtain, sso_login};
use crate::settings::Settings;
use crate::{advice, exit};
use crate::{aws, kubeconfig};

/// `eks-kc login`, with `--cache-dir` over the environment.
pub fn main(args: &LoginArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    run(args, &super::plain_settings(global, &args.cache)?, out)
        .map(|()| exit::SUCCESS)
        .map_err(advice::explain)
}

pub fn run(args: &LoginArgs, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    if let Some(session) = &args.sso_session {
        return sso_login(session, args, settings, out);
    }
    let env = |name: &str| crate::settings::env::var(name).filter(|v| !v.is_empty());
    let profiles = if args.profiles.is_empty() {
        vec![env("AWS_PROFILE").unwrap_or_else(|| "default".into())]
    } else {
        args.profiles.clone()
    };
    let files = aws::profiles::load_blocking()?;
    let managed =
        kubeconfig::digest::load(args.kubeconfig.as_deref(), settings.cache_dir()?)?.managed;

    for profile in profiles {
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| files.region_of(&profile).map(str::to_owned))
            .unwrap_or_else(|| "us-east-1".into());
        let identity = CredentialSource {
            profile: Some(&profile),
            role_arn: None,
            session_name: None,
            sso: None,
        };
        engine::end_cool_down(engine::SignInKind::Mfa, &profile, settings);
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

/// `login --sso-session NAME`: a sign-in in the browser (PKCE), or with a code
/// (`--use-device-code`), saved where `aws sso login` saves it.
fn sso_login(
    session: &str,
    args: &LoginArgs,
    settings: &Settings,
    out: &mut dyn Write,
) -> Result<()> {
    let files = aws::profiles::load_blocking()?;
    let login = Login::resolve(crate::source::SsoLoginRef::Session(session), &files)?;
    let wait = args
        .sign_in_timeout
        .to_std()
        .unwrap_or(Duration::from_secs(600));
    let flow = choose_flow(session, args)?;
    let device = matches!(flow, Flow::DeviceCode { .. });
    let path = engine::sign_in_by_hand(&login, device, settings, || match flow {
        Flow::DeviceCode { open } => sso_login::device_code(&login, open, wait, settings),
        Flow::Browser { open } => sso_login::browser_sign_in(&login, open, wait, settings),
    })?;
    writeln!(
        out,
        "{session}: signed in; the login is saved in {} (the AWS CLI uses it too). Next: \
         `{bin} sync --sso-session {session}`",
        path.display(),
        bin = crate::display::bin()
    )?;
    Ok(())
}

/// How `login --sso-session` signs in; `open`: whether a browser is started for the page.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Browser { open: bool },
    DeviceCode { open: bool },
}

/// The browser flow unless `--use-device-code`. Where no browser can open (and `--browser` does
/// not say one can), a terminal is asked whether to use the device flow instead (yes unless
/// "n"; no: the page is only printed); without a terminal it is an error naming the flag, at
/// once: unlike the AWS CLI, which would wait ten minutes for a browser that never starts.
fn choose_flow(session: &str, args: &LoginArgs) -> Result<Flow> {
    use std::io::{BufRead, IsTerminal, Read};
    if args.use_device_code {
        return Ok(Flow::DeviceCode { open: args.browser });
    }
    let why = match crate::browser::unavailable(crate::settings::env::var) {
        Some(why) if !args.browser => why,
        _ => return Ok(Flow::Browser { open: true }),
    };
    let device = format!(
        "{bin} login --sso-session {session} --use-device-code",
        bin = crate::display::bin()
    );
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        bail!(
            "no browser can open here: {why}; sign in with a code on any device instead: \
             `{device}` (or add --browser if a browser can open after all)"
        );
    }
    eprint!(
        "eks-kc: no browser can open here: {why}.\n  Sign in with a code on another device \
         instead (`{}`)? [Y/n] ",
        safe(&device)
    );
    let mut line = String::new();
    std::io::stdin().lock().take(1024).read_line(&mut line)?;
    Ok(match line.trim().to_ascii_lowercase().as_str() {
        "n" | "no" => Flow::Browser { open: false },
        _ => Flow::DeviceCode { open: false },
    })
}

//! `eks-kc login`: session credentials for a profile, asked for once (MFA code included), kept
//! in the credential cache, and tokens pre-warmed for the profile's managed contexts.

use std::io::Write;

use anyhow::Result;
use chrono::Utc;

use crate::aws::CredentialSource;
use crate::cli::GlobalArgs;
use crate::cli::LoginArgs;
use crate::engine::{Origin, TokenRequest, credentials, obtain};
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
        return sso_login(session, args.browser, settings, out);
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

/// `login --sso-session NAME`: the OIDC device sign-in, saved where `aws sso login` saves it.
fn sso_login(session: &str, browser: bool, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    use aws::device::{DeviceCode, device_sign_in};
    use aws::sso::{Login, sdk_conf};
    let files = aws::profiles::load_blocking()?;
    let login = Login::resolve(crate::source::SsoLoginRef::Session(session), &files)?;
    let show = |code: &DeviceCode| {
        let url = code
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&code.verification_uri);
        use crate::display::safe;
        eprintln!(
            "eks-kc: sign in to IAM Identity Center ({}) in a browser:\n  open {}\n  and \
             confirm the code {}\neks-kc: waiting for the approval (Ctrl-C to stop)",
            safe(&login.start_url),
            safe(url),
            safe(&code.user_code)
        );
        if browser {
            open_browser(url);
        }
    };
    let timeouts = aws::Timeouts::within(settings.limits.network);
    let path = aws::sdk::runtime()?.block_on(async {
        let conf = sdk_conf(&login.region, None, &timeouts).await;
        device_sign_in(&login, &conf, &show).await
    })?;
    writeln!(
        out,
        "{session}: signed in; the login is saved in {} (the AWS CLI uses it too). Next: \
         `eks-kc sync --sso-session {session}`",
        path.display()
    )?;
    Ok(())
}

/// Opens `url` in the desktop's browser, if there is one; the URL was printed either way.
/// Only a plain `https://` URL is handed over (see `display::is_openable_url`): the portal
/// chooses it, and `file://`, `javascript:` or a leading `-` (an option to the opener) are
/// not for a browser. Starting with `https://`, it can never be read as an option, so no `--`
/// is needed (xdg-open would take `--` for the URL).
fn open_browser(url: &str) {
    if !crate::display::is_openable_url(url) {
        eprintln!(
            "eks-kc: not opening {} in a browser: only https:// URLs are opened; open it \
             yourself if you trust it",
            crate::display::safe(url)
        );
        return;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("eks-kc: could not start {opener} ({e}); open the URL yourself");
    }
}

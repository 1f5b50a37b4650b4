//! `eks-kc login`: session credentials for a profile, asked for once (MFA code included), kept
//! in the credential cache, and tokens pre-warmed for the profile's managed contexts.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use chrono::Utc;

use crate::aws::CredentialSource;
use crate::aws::sso::{Login, sdk_conf};
use crate::cli::GlobalArgs;
use crate::cli::LoginArgs;
use crate::display::safe;
use crate::duration::format_std;
use crate::engine::{Origin, TokenRequest, credentials, obtain};
use crate::settings::Settings;
use crate::{advice, browser, exit, oauth};
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
    let path = match choose_flow(session, args)? {
        Flow::DeviceCode { open } => device_code(&login, open, wait, settings)?,
        Flow::Browser { open } => browser_sign_in(&login, session, open, wait, settings)?,
    };
    writeln!(
        out,
        "{session}: signed in; the login is saved in {} (the AWS CLI uses it too). Next: \
         `eks-kc sync --sso-session {session}`",
        path.display()
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
    let device = format!("eks-kc login --sso-session {session} --use-device-code");
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

/// The OIDC device sign-in: a URL and a code, confirmed in a browser anywhere.
fn device_code(login: &Login, open: bool, wait: Duration, settings: &Settings) -> Result<PathBuf> {
    use aws::device::{DeviceCode, device_sign_in};
    let show = |code: &DeviceCode| {
        let url = code
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&code.verification_uri);
        eprintln!(
            "eks-kc: sign in to IAM Identity Center ({}) in a browser:\n  open {}\n  and \
             confirm the code {}\neks-kc: waiting for the approval (Ctrl-C to stop)",
            safe(&login.start_url),
            safe(url),
            safe(&code.user_code)
        );
        if open {
            browser::open(url, browser::Page::Sent, crate::settings::env::var);
        }
    };
    let timeouts = aws::Timeouts::within(settings.limits.network);
    aws::sdk::runtime()?.block_on(async {
        let conf = sdk_conf(&login.region, None, &timeouts).await?;
        device_sign_in(login, &conf, &show, wait).await
    })
}

/// The browser sign-in (authorization code with PKCE): a client registered for it, the page
/// printed (and opened when `open`), the redirect awaited on 127.0.0.1 for at most `wait`, its
/// `state` checked, and the code exchanged with the verifier (never shown) for the login.
fn browser_sign_in(
    login: &Login,
    session: &str,
    open: bool,
    wait: Duration,
    settings: &Settings,
) -> Result<PathBuf> {
    use crate::oauth::loopback::{Listener, Outcome};
    let listener = Listener::bind()?;
    let redirect = listener.redirect_uri();
    let pkce = oauth::Pkce::new()?;
    let state = oauth::new_state()?;
    let timeouts = aws::Timeouts::within(settings.limits.network);
    let runtime = aws::sdk::runtime()?;
    let client = runtime.block_on(async {
        let conf = sdk_conf(&login.region, None, &timeouts).await?;
        aws::pkce::register(login, &conf).await
    })?;
    let url = oauth::authorize_url(&oauth::Authorize {
        origin: &client.origin,
        client_id: client.client_id(),
        redirect_uri: &redirect,
        state: &state,
        challenge: &pkce.challenge,
        scopes: &aws::pkce::SCOPES,
    });
    let waiting = format_std(wait);
    eprintln!(
        "eks-kc: sign in to IAM Identity Center ({}) in the browser{}:\n  {}\neks-kc: waiting \
         up to {waiting} for the browser to come back to {redirect} (Ctrl-C to stop)",
        safe(&login.start_url),
        if open { " (opening it)" } else { "; open" },
        safe(&url),
    );
    if open {
        browser::open(&url, browser::Page::Built, crate::settings::env::var);
    }
    let again = format!("run `eks-kc login --sso-session {session}` again");
    let code = match listener.wait(&state, Instant::now() + wait) {
        Outcome::Code(code) => code,
        Outcome::Denied { error, description } => bail!(
            "the sign-in was not allowed in the browser (IAM Identity Center answered {}{}): \
             {again}, and allow access",
            safe(&error),
            description
                .map(|d| format!(": {}", safe(&d.chars().take(200).collect::<String>())))
                .unwrap_or_default()
        ),
        Outcome::WrongState => bail!(
            "refused the answer that reached {redirect}: its state is not the one this sign-in \
             sent (an old browser tab, or a page that is not IAM Identity Center's); {again}"
        ),
        Outcome::TimedOut => bail!(
            "the browser did not come back to {redirect} within {waiting} (the sign-in page \
             was not opened, or access not allowed): {again} (--sign-in-timeout waits longer; \
             --use-device-code signs in with a code instead)"
        ),
    };
    runtime.block_on(aws::pkce::exchange(
        login,
        &client,
        &code,
        pkce.verifier(),
        &redirect,
    ))
}

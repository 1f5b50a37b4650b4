//! A person's sign-in to IAM Identity Center, for `eks-kc login --sso-session` and for the
//! one `eks-kc token` that the sign-in gate (`signin.rs`) lets sign in: in the browser
//! (authorization code with PKCE, on a 127.0.0.1 loopback) or with a device code.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::aws;
use crate::aws::sso::{Login, sdk_conf};
use crate::display::safe;
use crate::duration::format_std;
use crate::settings::Settings;
use crate::{browser, oauth};

/// The OIDC device sign-in: a URL and a code, confirmed in a browser anywhere.
pub fn device_code(
    login: &Login,
    open: bool,
    wait: Duration,
    settings: &Settings,
) -> Result<PathBuf> {
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
pub fn browser_sign_in(
    login: &Login,
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
    let again = match &login.session {
        Some(session) => format!(
            "run `{bin} login --sso-session {session}` again",
            bin = crate::display::bin()
        ),
        None => "sign in again".to_owned(),
    };
    let code = match listener.wait(&state, Instant::now() + wait)? {
        Outcome::Code(code) => code,
        Outcome::Denied { error, description } => bail!(
            "the sign-in was not allowed in the browser (IAM Identity Center's error: {}{}): \
             {again}, and allow access",
            safe(&error),
            description
                .map(|d| format!("; its description, quoted: {}", portal_words(&d)))
                .unwrap_or_default()
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

/// The portal's own words (an error description, untrusted text), bounded, escaped and quoted
/// so they never read as eks-kc's: `"…"` with quotes and backslashes escaped.
fn portal_words(text: &str) -> String {
    let short: String = text.chars().take(200).collect();
    let cut = if short.len() < text.len() { "…" } else { "" };
    let quoted = short.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}{cut}\"", safe(&quoted))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_portal_s_words_are_quoted_and_escaped() {
        assert_eq!(super::portal_words("User said no"), "\"User said no\"");
        assert_eq!(
            super::portal_words("a\"b\\c\u{1b}[2J"),
            "\"a\\\"b\\\\c\\x1b[2J\""
        );
        assert!(super::portal_words(&"x".repeat(500)).ends_with("x…\""));
    }
}

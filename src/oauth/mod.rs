//! OAuth 2.0 authorization code with PKCE for a command-line app (RFC 7636, RFC 8252), as
//! `eks-kc login --sso-session` uses it with IAM Identity Center: the code verifier and its
//! S256 challenge, the `state`, the authorize URL, and what the redirect to the loopback
//! listener ([`loopback`]) brings back. No network here but that listener; the OIDC calls are
//! in `aws::pkce`.
//!
//! The verifier is a [`Secret`]: it only ever leaves the process in the token request.

pub mod loopback;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The path of the redirect URI, as the AWS CLI registers it.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// A code verifier and its challenge.
pub struct Pkce {
    verifier: Secret,
    /// `BASE64URL(SHA256(verifier))`, unpadded: sent in the authorize URL.
    pub challenge: String,
}

impl Pkce {
    /// A new verifier of 64 characters (48 random bytes, base64url), within RFC 7636's 43-128.
    pub fn new() -> Result<Self> {
        Ok(Pkce::from_verifier(random_text(48)?))
    }

    fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The verifier, for the token request only.
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }
}

/// A new `state`: 16 random bytes, base64url. Not a secret (it shows in the URL), but
/// unguessable, so a redirect this login did not start is told apart.
pub fn new_state() -> Result<String> {
    random_text(16)
}

fn random_text(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("reading the operating system's random numbers")?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// `http://127.0.0.1:PORT/oauth/callback`: where the browser is sent back.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

/// What the authorize URL carries.
pub struct Authorize<'a> {
    /// The OIDC service's origin (`https://oidc.REGION.amazonaws.com`, or an endpoint override).
    pub origin: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub challenge: &'a str,
    pub scopes: &'a [&'a str],
}

/// Everything but the unreserved characters of RFC 3986 is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The page to open: `ORIGIN/authorize?response_type=code&client_id=…&redirect_uri=…&state=…
/// &code_challenge_method=S256&scopes=…&code_challenge=…`, the parameters the AWS CLI sends.
pub fn authorize_url(a: &Authorize<'_>) -> String {
    let scopes = a.scopes.join(" ");
    let params = [
        ("response_type", "code"),
        ("client_id", a.client_id),
        ("redirect_uri", a.redirect_uri),
        ("state", a.state),
        ("code_challenge_method", "S256"),
        ("scopes", &scopes),
        ("code_challenge", a.challenge),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect();
    format!(
        "{}/authorize?{}",
        a.origin.trim_end_matches('/'),
        query.join("&")
    )
}

/// What a redirect to the callback says.
#[derive(Debug, PartialEq, Eq)]
pub enum Callback {
    /// The authorization code and the state it came with.
    Code { code: Secret, state: String },
    /// The sign-in was refused or failed: the `error` code (only `[A-Za-z0-9_.-]` kept), its
    /// description, if any (untrusted text: show it through `display::safe`, quoted as the
    /// portal's words), and the state it came with (an error without this sign-in's state may
    /// come from anyone who can reach 127.0.0.1, and is ignored).
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// The callback in a request's query string, `None` when it carries neither a code with a
/// state nor an error (a request that is not the redirect). Values are bounded in length.
pub fn parse_callback(query: &str) -> Option<Callback> {
    let (mut code, mut state, mut error, mut description) = (None, None, None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(&value.replace('+', " "))
            .decode_utf8_lossy()
            .chars()
            .take(MAX_VALUE)
            .collect::<String>();
        let slot = match key {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    if let Some(error) = error {
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
            .collect();
        return Some(Callback::Error {
            error: if error.is_empty() {
                "unknown_error".into()
            } else {
                error
            },
            description: description.filter(|d| !d.trim().is_empty()),
            state,
        });
    }
    match (code, state) {
        (Some(code), Some(state)) if !code.is_empty() => Some(Callback::Code {
            code: Secret::new(code),
            state,
        }),
        _ => None,
    }
}

/// The longest query value kept (an authorization code is a few hundred characters).
const MAX_VALUE: usize = 4096;

/// Whether `got` is the `state` this sign-in sent (compared in constant time, though it is not
/// a secret).
pub fn state_matches(expected: &str, got: &str) -> bool {
    let (a, b) = (expected.as_bytes(), got.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_s256() {
        // RFC 7636, appendix B.
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new().unwrap();
        let v = fresh.verifier().expose();
        assert_eq!(v.len(), 64);
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(v, Pkce::new().unwrap().verifier().expose());
        assert!(!format!("{:?}", fresh.verifier()).contains(v));
        assert_eq!(new_state().unwrap().len(), 22);
    }

    #[test]
    fn the_authorize_url_carries_what_the_aws_cli_sends() {
        let url = authorize_url(&Authorize {
            origin: "https://oidc.eu-west-1.amazonaws.com/",
            client_id: "cid/+=",
            redirect_uri: &redirect_uri(4711),
            state: "st",
            challenge: "ch-_",
            scopes: &["sso:account:access"],
        });
        assert_eq!(
            url,
            "https://oidc.eu-west-1.amazonaws.com/authorize?response_type=code&\
             client_id=cid%2F%2B%3D&redirect_uri=http%3A%2F%2F127.0.0.1%3A4711%2Foauth%2F\
             callback&state=st&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&\
             code_challenge=ch-_"
        );
    }

    #[test]
    fn callbacks_are_parsed_and_bounded() {
        assert_eq!(
            parse_callback("code=a%2Bb&state=s1&code=second"),
            Some(Callback::Code {
                code: Secret::new("a+b"),
                state: "s1".into()
            })
        );
        assert_eq!(
            parse_callback("error=access_denied&error_description=User+said+no&state=s"),
            Some(Callback::Error {
                error: "access_denied".into(),
                description: Some("User said no".into()),
                state: Some("s".into())
            })
        );
        assert_eq!(
            parse_callback("error=%1b%5B2J"),
            Some(Callback::Error {
                error: "2J".into(),
                description: None,
                state: None
            })
        );
        for none in ["", "state=s", "code=&state=s", "code=c", "&&=&x", "%zz=%"] {
            assert_eq!(parse_callback(none), None, "{none:?}");
        }
        let long = format!("code={}&state=s", "c".repeat(100_000));
        match parse_callback(&long) {
            Some(Callback::Code { code, .. }) => assert_eq!(code.expose().len(), MAX_VALUE),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn state_is_compared_whole() {
        assert!(state_matches("abc", "abc"));
        for other in ["abd", "ab", "abcd", ""] {
            assert!(!state_matches("abc", other));
        }
    }
}

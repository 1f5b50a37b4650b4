//! `eks-kc login --sso-session`'s default sign-in: IAM Identity Center's OIDC authorization code
//! grant with PKCE, as the AWS CLI (2.22 and later) does it: a client registered for the grants
//! `authorization_code` and `refresh_token` with the loopback redirect URI, the browser sent to
//! the OIDC service's `/authorize`, and the code it brings back exchanged (CreateToken with the
//! code verifier) for a login saved where the AWS CLI keeps it. The listener and the PKCE values
//! are `crate::oauth`; the order of the steps is `cmd::login`'s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow, bail};
use aws_config::SdkConfig;
use aws_sdk_ssooidc::operation::register_client::RegisterClientOutput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::device::save_login;
use super::sdk::error_text;
use super::sso::Login;
use crate::secret::Secret;

/// The scopes registered and asked for (the AWS CLI's default).
pub const SCOPES: [&str; 1] = ["sso:account:access"];

/// The redirect URI registered: any port of it is then accepted (RFC 8252, 7.3).
const REGISTERED_REDIRECT: &str = "http://127.0.0.1/oauth/callback";

/// A client registered for this sign-in, and where its OIDC service is.
pub struct Registered {
    oidc: aws_sdk_ssooidc::Client,
    reg: RegisterClientOutput,
    /// `scheme://host[:port]` of the OIDC service, as the registration reached it (so
    /// `AWS_ENDPOINT_URL_SSO_OIDC` and FIPS endpoints are honoured): `/authorize` is there.
    pub origin: String,
}

impl Registered {
    pub fn client_id(&self) -> &str {
        self.reg.client_id().unwrap_or_default()
    }
}

/// RegisterClient for the authorization code grant.
pub async fn register(login: &Login, conf: &SdkConfig) -> Result<Registered> {
    let oidc = aws_sdk_ssooidc::Client::new(conf);
    let origin = Origin::default();
    let mut request = oidc
        .register_client()
        .client_name(format!("eks-kc-{}", std::process::id()))
        .client_type("public")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris(REGISTERED_REDIRECT)
        .issuer_url(&login.start_url);
    for scope in SCOPES {
        request = request.scopes(scope);
    }
    let reg = request
        .customize()
        .interceptor(origin.clone())
        .send()
        .await
        .map_err(|e| anyhow!("IAM Identity Center RegisterClient: {}", error_text(&e)))?;
    if reg.client_id().is_none_or(str::is_empty) || reg.client_secret().is_none() {
        bail!("IAM Identity Center RegisterClient returned no client id or secret");
    }
    let origin = origin
        .0
        .lock()
        .ok()
        .and_then(|o| o.clone())
        .ok_or_else(|| anyhow!("could not tell where the IAM Identity Center OIDC service is"))?;
    Ok(Registered { oidc, reg, origin })
}

/// CreateToken with the authorization code the browser brought back, the verifier of the
/// challenge the authorize URL carried and the same redirect URI; the login is saved where the
/// AWS CLI keeps it. Returns the file's path.
pub async fn exchange(
    login: &Login,
    client: &Registered,
    code: &Secret,
    verifier: &Secret,
    redirect_uri: &str,
) -> Result<PathBuf> {
    let out = client
        .oidc
        .create_token()
        .grant_type("authorization_code")
        .client_id(client.client_id())
        .client_secret(client.reg.client_secret().unwrap_or_default())
        .code(code.expose())
        .code_verifier(verifier.expose())
        .redirect_uri(redirect_uri)
        .send()
        .await
        .map_err(|e| {
            let why = error_text(&e);
            match aws_sdk_ssooidc::error::ProvideErrorMetadata::code(&e) {
                Some("InvalidGrantException" | "ExpiredTokenException") => anyhow!(
                    "IAM Identity Center did not accept the code the browser brought back \
                     ({why}); run the login again"
                ),
                _ => anyhow!("IAM Identity Center CreateToken: {why}"),
            }
        })?;
    save_login(login, &client.reg, &out)
}

/// Notes the origin of the request it sees (RegisterClient's).
#[derive(Debug, Default, Clone)]
struct Origin(Arc<Mutex<Option<String>>>);

impl Intercept for Origin {
    fn name(&self) -> &'static str {
        "eks-kc OIDC origin"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let origin = origin_of(context.request().uri());
        if let (Ok(mut slot), Some(origin)) = (self.0.lock(), origin) {
            *slot = Some(origin);
        }
        Ok(())
    }
}

/// `scheme://authority` of `uri`.
fn origin_of(uri: &str) -> Option<String> {
    let uri: http::Uri = uri.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_origin_drops_path_and_query() {
        let o = super::origin_of;
        assert_eq!(
            o("https://oidc.eu-west-1.amazonaws.com/client/register").as_deref(),
            Some("https://oidc.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            o("http://127.0.0.1:4566/prefix/client/register?x=1").as_deref(),
            Some("http://127.0.0.1:4566")
        );
        assert_eq!(o("/relative"), None);
    }
}

//! `eks-kc login --sso-session`: IAM Identity Center's OIDC device sign-in, saved where the
//! AWS CLI keeps its logins.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use aws_config::SdkConfig;
use chrono::Utc;

use aws_sdk_ssooidc::operation::create_token::CreateTokenOutput;
use aws_sdk_ssooidc::operation::register_client::RegisterClientOutput;

use super::sdk::error_text;
use super::sso::Login;
use crate::ssotoken::TokenFile;

/// What a device sign-in shows the user.
pub struct DeviceCode {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
}

/// Signs `login` in with the OIDC device authorization flow: registers a client, shows the
/// code (`show`), polls until the user approves in a browser (or the code expires), and saves
/// the token where the AWS CLI keeps it. Returns the token file's path. Waits at most `wait`
/// for the approval.
pub async fn device_sign_in(
    login: &Login,
    conf: &SdkConfig,
    show: &(dyn Fn(&DeviceCode) + Sync),
    wait: Duration,
) -> Result<PathBuf> {
    let oidc = aws_sdk_ssooidc::Client::new(conf);
    let reg = oidc
        .register_client()
        .client_name(format!("eks-kc-{}", std::process::id()))
        .client_type("public")
        .scopes("sso:account:access")
        .grant_types("urn:ietf:params:oauth:grant-type:device_code")
        .grant_types("refresh_token")
        .send()
        .await
        .map_err(|e| anyhow!("IAM Identity Center RegisterClient: {}", error_text(&e)))?;
    let (Some(client_id), Some(client_secret)) = (reg.client_id(), reg.client_secret()) else {
        bail!("IAM Identity Center RegisterClient returned no client id or secret");
    };
    let start = oidc
        .start_device_authorization()
        .client_id(client_id)
        .client_secret(client_secret)
        .start_url(&login.start_url)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "IAM Identity Center StartDeviceAuthorization: {}",
                error_text(&e)
            )
        })?;
    let (Some(device_code), Some(user_code), Some(uri)) = (
        start.device_code(),
        start.user_code(),
        start.verification_uri(),
    ) else {
        bail!("IAM Identity Center StartDeviceAuthorization returned no device or user code");
    };
    show(&DeviceCode {
        verification_uri: uri.to_owned(),
        verification_uri_complete: start.verification_uri_complete().map(str::to_owned),
        user_code: user_code.to_owned(),
    });
    let mut interval = Duration::from_secs(start.interval().clamp(1, 60) as u64);
    let expires = Duration::from_secs(start.expires_in().clamp(30, 3600) as u64);
    let deadline = tokio::time::Instant::now() + expires.min(wait);
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() > deadline {
            if wait < expires {
                bail!(
                    "the sign-in code was not approved within {} (--sign-in-timeout); run the \
                     login again",
                    crate::duration::format_std(wait)
                );
            }
            bail!("the sign-in code expired before it was approved; run the login again");
        }
        let answer = oidc
            .create_token()
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .client_id(client_id)
            .client_secret(client_secret)
            .device_code(device_code)
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(e) => {
                let code = aws_sdk_ssooidc::error::ProvideErrorMetadata::code(&e);
                match code {
                    Some("AuthorizationPendingException") => continue,
                    Some("SlowDownException") => {
                        interval += Duration::from_secs(5);
                        continue;
                    }
                    _ => bail!("IAM Identity Center sign-in: {}", error_text(&e)),
                }
            }
        };
        return save_login(login, &reg, &out);
    }
}

/// Saves the login a CreateToken answer (`out`) holds, with the client registration (`reg`)
/// that refreshes it, where and as the AWS CLI keeps it (0600). Returns the file's path.
pub(super) fn save_login(
    login: &Login,
    reg: &RegisterClientOutput,
    out: &CreateTokenOutput,
) -> Result<PathBuf> {
    let (Some(client_id), Some(client_secret)) = (reg.client_id(), reg.client_secret()) else {
        bail!("IAM Identity Center RegisterClient returned no client id or secret");
    };
    let Some(access_token) = out.access_token().filter(|t| !t.is_empty()) else {
        bail!("IAM Identity Center CreateToken returned no access token");
    };
    let now = Utc::now();
    let registered_until = chrono::DateTime::from_timestamp(reg.client_secret_expires_at(), 0)
        .unwrap_or(now + chrono::Duration::days(90));
    let file = TokenFile::new(&crate::ssotoken::NewLogin {
        start_url: &login.start_url,
        region: &login.region,
        access_token,
        expires_at: now + chrono::Duration::seconds(out.expires_in().max(0).into()),
        client_id,
        client_secret,
        registration_expires_at: registered_until,
        refresh_token: out.refresh_token(),
    });
    let path = login.token_file();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::store::write_atomic(&path, &file.to_bytes(), 0o600)
        .with_context(|| format!("saving the login to {}", path.display()))?;
    Ok(path)
}

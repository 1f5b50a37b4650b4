//! The one credential-source type: which AWS identity signs. Carried from the plan (`sync`),
//! through the kubeconfig extension (`exec::ClusterConfig`) and the cache keys
//! (`cache::token::TokenKey`, `cache::credentials::IdentityKey`), to the credential request (`aws`). Those keep
//! their own fields (their formats are on disk and in kubeconfigs) and hand out this view.

/// Where credentials come from: a named profile, or with none the SDK's default chain
/// (environment, `AWS_PROFILE` or `default`, web identity, container, instance), and a role
/// assumed on top when given; or an IAM Identity Center account and role (`sso`), which needs no
/// profile at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CredentialSource<'a> {
    /// An explicitly chosen profile (flag or kubeconfig). It wins over environment credentials,
    /// as `aws --profile` does.
    pub profile: Option<&'a str>,
    /// A role to assume on top of the base credentials.
    pub role_arn: Option<&'a str>,
    /// An IAM Identity Center role: when set, it is the source (profile and role are unused).
    pub sso: Option<SsoRole<'a>>,
}

/// An IAM Identity Center account and role, and the login that gets its credentials
/// (GetRoleCredentials with the login's access token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoRole<'a> {
    /// The login: an `[sso-session NAME]` of the AWS config, or a start URL without one.
    pub login: SsoLoginRef<'a>,
    pub account_id: &'a str,
    pub role_name: &'a str,
}

/// Which IAM Identity Center login: named by its `[sso-session]` section (refreshable, and the
/// section says where), or by start URL and region alone (the AWS CLI's legacy login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoLoginRef<'a> {
    Session(&'a str),
    StartUrl { url: &'a str, region: &'a str },
}

impl SsoLoginRef<'_> {
    /// The flags that name this login on eks-kc's (and the AWS CLI's) command line.
    pub fn flags(&self) -> String {
        match self {
            SsoLoginRef::Session(s) => format!("--sso-session {s}"),
            SsoLoginRef::StartUrl { url, region } => {
                format!("--sso-start-url {url} --sso-region {region}")
            }
        }
    }

    /// The one-line fix for a missing or expired login.
    pub fn login_fix(&self) -> String {
        match self {
            SsoLoginRef::Session(s) => format!(
                "run `eks-kc login --sso-session {s}` (or `aws sso login --sso-session {s}`)"
            ),
            SsoLoginRef::StartUrl { .. } => format!(
                "sign in again with the AWS CLI (`aws sso login` with a profile whose \
                 sso_start_url is {}), or configure an [sso-session] and use \
                 `eks-kc login --sso-session NAME`",
                self.name()
            ),
        }
    }

    /// The session name or the start URL (what names the login's token cache file).
    pub fn name(&self) -> &str {
        match self {
            SsoLoginRef::Session(s) => s,
            SsoLoginRef::StartUrl { url, .. } => url,
        }
    }
}

impl CredentialSource<'_> {
    /// Whether this source signs with the static keys in the environment: no profile named,
    /// nothing to assume, and `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` set (the provider
    /// the SDK's default chain tries first); `env` looks a variable up.
    pub fn uses_env_keys(&self, env: impl Fn(&str) -> Option<String>) -> bool {
        self.sso.is_none()
            && self.profile.is_none()
            && self.role_arn.is_none()
            && env("AWS_ACCESS_KEY_ID").is_some()
            && env("AWS_SECRET_ACCESS_KEY").is_some()
    }

    /// How messages name it: "profile 'ops' and role arn:…".
    pub fn describe(&self) -> String {
        if let Some(sso) = &self.sso {
            return format!(
                "IAM Identity Center role {} in account {} ({})",
                sso.role_name,
                sso.account_id,
                sso.login.flags()
            );
        }
        match (self.profile, self.role_arn) {
            (Some(p), Some(r)) => format!("profile '{p}' and role {r}"),
            (Some(p), None) => format!("profile '{p}'"),
            (None, Some(r)) => format!("role {r}"),
            (None, None) => "the default AWS credential chain".to_owned(),
        }
    }
}

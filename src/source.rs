//! The one credential-source type: which AWS identity signs. Carried from the plan (`sync`),
//! through the kubeconfig extension (`exec::ClusterConfig`) and the cache keys
//! (`cache::TokenKey`, `credcache::IdentityKey`), to the credential request (`aws`). Those keep
//! their own fields (their formats are on disk and in kubeconfigs) and hand out this view.

/// Where credentials come from: a named profile, or with none the SDK's default chain
/// (environment, `AWS_PROFILE` or `default`, web identity, container, instance), and a role
/// assumed on top when given. IAM Identity Center accounts are the next kind of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CredentialSource<'a> {
    /// An explicitly chosen profile (flag or kubeconfig). It wins over environment credentials,
    /// as `aws --profile` does.
    pub profile: Option<&'a str>,
    /// A role to assume on top of the base credentials.
    pub role_arn: Option<&'a str>,
}

impl CredentialSource<'_> {
    /// Whether this source signs with the static keys in the environment: no profile named,
    /// nothing to assume, and `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` set (the provider
    /// the SDK's default chain tries first).
    pub fn uses_env_keys(&self) -> bool {
        self.profile.is_none()
            && self.role_arn.is_none()
            && std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
            && std::env::var_os("AWS_SECRET_ACCESS_KEY").is_some()
    }

    /// How messages name it: "profile 'ops' and role arn:…".
    pub fn describe(&self) -> String {
        match (self.profile, self.role_arn) {
            (Some(p), Some(r)) => format!("profile '{p}' and role {r}"),
            (Some(p), None) => format!("profile '{p}'"),
            (None, Some(r)) => format!("role {r}"),
            (None, None) => "the default AWS credential chain".to_owned(),
        }
    }
}

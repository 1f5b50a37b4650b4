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
    /// The role session name asked for (flag, kubeconfig extension, config file): names the
    /// session of `role_arn` and those of the profile's roles that set no `role_session_name`.
    /// `None`: [`default_session_name`] of the local user.
    pub session_name: Option<&'a str>,
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
                "run `{bin} login --sso-session {s}` (or `aws sso login --sso-session {s}`)",
                bin = crate::display::bin()
            ),
            SsoLoginRef::StartUrl { .. } => format!(
                "sign in again with the AWS CLI (`aws sso login` with a profile whose \
                 sso_start_url is {}), or configure an [sso-session] and use \
                 `{bin} login --sso-session NAME`",
                self.name(),
                bin = crate::display::bin()
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

/// What role sessions eks-kc starts are named, unless a name is asked for: `eks-kc-<user>`, so
/// CloudTrail, the assumed-role ARN and the cluster's username say who and which tool. `user` is
/// the local user name; characters STS refuses become `-` and the name is cut to STS's 64.
pub fn default_session_name(user: Option<&str>) -> String {
    let mut name = String::from("eks-kc");
    if let Some(user) = user.map(str::trim).filter(|u| !u.is_empty()) {
        name.push('-');
        name.extend(
            user.chars()
                .map(|c| if session_name_char(c) { c } else { '-' }),
        );
    }
    name.chars().take(MAX_SESSION_NAME).collect()
}

/// STS's limit on a role session name's length (and its minimum is 2).
const MAX_SESSION_NAME: usize = 64;

/// Whether STS accepts `c` in a role session name (`[\w+=,.@-]`).
fn session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `name` when STS accepts it as a role session name; otherwise the rule it breaks.
pub fn check_session_name(name: &str) -> Result<String, String> {
    let len = name.chars().count();
    if !(2..=MAX_SESSION_NAME).contains(&len) {
        return Err(format!(
            "role session name '{name}' has {len} characters; STS takes 2 to 64"
        ));
    }
    if let Some(c) = name.chars().find(|c| !session_name_char(*c)) {
        return Err(format!(
            "role session name '{name}' has '{c}', which STS refuses; use letters, digits and \
             _ + = , . @ -"
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_names_name_the_tool_and_the_person_within_sts_rules() {
        assert_eq!(default_session_name(Some("alice")), "eks-kc-alice");
        assert_eq!(default_session_name(None), "eks-kc");
        assert_eq!(default_session_name(Some("  ")), "eks-kc");
        assert_eq!(
            default_session_name(Some("CORP\\jo smith")),
            "eks-kc-CORP-jo-smith"
        );
        assert_eq!(default_session_name(Some("müller")), "eks-kc-m-ller");
        assert_eq!(
            default_session_name(Some("a.b+c=d,e@f_g-h")),
            "eks-kc-a.b+c=d,e@f_g-h"
        );
        let long = default_session_name(Some(&"x".repeat(100)));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("eks-kc-xxx"));
        for user in ["alice", "CORP\\jo smith", "müller", &"ü".repeat(80), "日本"] {
            let name = default_session_name(Some(user));
            assert_eq!(check_session_name(&name), Ok(name.clone()), "{user}");
        }
    }

    #[test]
    fn asked_for_names_are_checked_against_sts_rules() {
        assert!(check_session_name("ci-deploy@team").is_ok());
        assert!(check_session_name("x").unwrap_err().contains("2 to 64"));
        assert!(check_session_name(&"y".repeat(65)).is_err());
        let e = check_session_name("jo smith").unwrap_err();
        assert!(e.contains("' '"), "{e}");
    }
}

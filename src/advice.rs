//! One diagnosis for "AWS is not set up here", the same in every command.
//!
//! A newcomer's first `eks-kc sync` (or `token`, `login`, `verify`) meets one of a few causes:
//! no credentials and no region at all, credentials but no region, profiles but no default one.
//! The raw errors differ by command and by what the SDK tried last (an IMDS timeout, "no
//! providers in chain"); they arrive as a [`SetupError`] of a kind ([`Missing`]), are judged here
//! against what is actually configured, and are replaced by one line that says exactly what to
//! do. SDK details stay available under `-v`.
//!
//! [`advise`] is pure: the facts come in as a [`Setup`], gathered by [`Setup::gather`] from
//! the environment and the AWS config files.

use crate::problem::{Missing, SetupError};

/// What the AWS set-up of this machine looks like, as far as a diagnosis needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    /// The AWS config and credentials files, as a person would name them (`~/.aws/config`).
    pub config_file: String,
    pub credentials_file: String,
    /// Profile names in those files, sorted.
    pub profiles: Vec<String>,
    /// Profiles that set a `region`.
    pub profiles_with_region: Vec<String>,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are both set.
    pub env_keys: bool,
    /// `AWS_PROFILE`, when set.
    pub env_profile: Option<String>,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION` is set.
    pub env_region: bool,
    /// Another credential source named in the environment (web identity, container).
    pub env_other_source: bool,
}

const SETUP_COMMANDS: &str = "run `aws configure` (access keys) or `aws configure sso` (IAM \
                              Identity Center)";
const SDK_DETAIL: &str = "(-v shows the AWS SDK's error)";

/// One line that says what to do about `missing` set-up; `None` when what is configured
/// explains nothing more (the original message is then the better one).
///
/// `profile` is the profile the failing action named explicitly; `None` means the SDK's
/// default chain (`AWS_PROFILE`, else the environment's keys, else the `default` profile, ...).
pub fn advise(setup: &Setup, profile: Option<&str>, missing: Missing) -> Option<String> {
    // The set-up is there; its session ended, and the error already names `aws login`.
    if missing == Missing::SignIn {
        return None;
    }
    let credentials = missing == Missing::Credentials;
    let region = missing == Missing::Region;
    let files = format!("{} or {}", setup.config_file, setup.credentials_file);
    let chain_has_source = setup.env_keys || setup.env_other_source;
    // The profile the action reads: the named one, else AWS_PROFILE, else `default`.
    let selected = profile
        .or(setup.env_profile.as_deref())
        .filter(|p| !p.is_empty());
    let known = |p: &str| setup.profiles.iter().any(|q| q == p);

    // `login` names the `default` profile where the others use the default chain: the same.
    if setup.profiles.is_empty() && !chain_has_source && selected.is_none_or(|p| p == "default") {
        // A credentials error means a region was found (by flag, say): only credentials lack.
        return Some(if setup.env_region || !region {
            format!(
                "no AWS credentials are configured (no profiles in {files}, no \
                 AWS_ACCESS_KEY_ID or AWS_PROFILE): {SETUP_COMMANDS}, or set AWS_ACCESS_KEY_ID \
                 and AWS_SECRET_ACCESS_KEY {SDK_DETAIL}"
            )
        } else {
            format!(
                "AWS is not set up here: no credentials and no region (no profiles in {files}, \
                 no AWS_* variables): {SETUP_COMMANDS}, or set AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY and AWS_REGION"
            )
        });
    }
    match selected {
        // A profile that does not exist: say so, and which ones do.
        // (AWS_PROFILE beside keys in the environment: the keys win, the name does not matter.)
        Some(p) if !(known(p) || profile.is_none() && chain_has_source) => {
            let source = if profile.is_none() {
                " (from AWS_PROFILE)"
            } else {
                ""
            };
            Some(if setup.profiles.is_empty() {
                format!(
                    "profile '{p}'{source} does not exist: there are no profiles in {files}; \
                     {SETUP_COMMANDS} to create one (add --profile {p} to name it '{p}')"
                )
            } else {
                format!(
                    "profile '{p}'{source} does not exist in {files}; the profiles there are: {} \
                     (choose one with --profile or AWS_PROFILE, or run `aws configure --profile \
                     {p}` to create it)",
                    setup.profiles.join(", ")
                )
            })
        }
        // The default chain, nothing in the environment, and no `default` profile to read.
        None if credentials && !chain_has_source && !known("default") => Some(format!(
            "no default AWS credentials: there is no `default` profile and no AWS_PROFILE or \
             AWS_ACCESS_KEY_ID; the profiles in {files} are: {} (choose one with --profile or \
             AWS_PROFILE, or run `aws configure` to create a default one) {SDK_DETAIL}",
            setup.profiles.join(", ")
        )),
        _ if region && !setup.env_region => {
            let p = selected.unwrap_or("default");
            if setup.profiles_with_region.iter().any(|q| q == p) {
                return None;
            }
            if !known(p) {
                return Some(
                    "no AWS region is configured: AWS_REGION is not set and there is no profile \
                     to read one from; set AWS_REGION (export AWS_REGION=eu-west-1, say) or pass \
                     --region"
                        .to_owned(),
                );
            }
            let flag = if p == "default" {
                String::new()
            } else {
                format!(" --profile {p}")
            };
            Some(format!(
                "no AWS region is configured: profile '{p}' sets none and AWS_REGION is not set; \
                 run `aws configure set region REGION{flag}`, set AWS_REGION, or pass --region"
            ))
        }
        _ => None,
    }
}

impl Setup {
    /// The facts of this process's environment and AWS config files (read, never the network).
    pub fn gather() -> Setup {
        let env = |k: &str| crate::settings::env::var(k).filter(|v| !v.trim().is_empty());
        let file = |var: &str, default: &str| match env(var) {
            Some(path) => path,
            None => default.to_owned(),
        };
        let profiles = crate::aws::profiles::load_blocking().unwrap_or_default();
        Setup {
            config_file: file("AWS_CONFIG_FILE", "~/.aws/config"),
            credentials_file: file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
            profiles: profiles.names().map(str::to_owned).collect(),
            profiles_with_region: profiles
                .regions
                .iter()
                .filter(|(_, r)| r.is_some())
                .map(|(p, _)| p.clone())
                .collect(),
            env_keys: env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some(),
            env_profile: env("AWS_PROFILE"),
            env_region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .is_some(),
            env_other_source: [
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            ]
            .iter()
            .any(|k| env(k).is_some()),
        }
    }
}

/// `err` replaced by its diagnosis when it is a [`SetupError`] (the original then goes to the
/// `-v` log); otherwise `err` unchanged. For the commands whose errors reach `main` (token,
/// login, verify).
pub fn explain(err: anyhow::Error) -> anyhow::Error {
    let Some(setup_error) = SetupError::find(&err) else {
        return err;
    };
    match describe(setup_error) {
        Some(line) => {
            tracing::debug!("{err:#}");
            anyhow::anyhow!(line)
        }
        None => err,
    }
}

/// The diagnosis of `e` on this machine, if there is a better line than its own.
pub fn describe(e: &SetupError) -> Option<String> {
    advise(&Setup::gather(), e.profile.as_deref(), e.missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare() -> Setup {
        Setup {
            config_file: "~/.aws/config".into(),
            credentials_file: "~/.aws/credentials".into(),
            ..Setup::default()
        }
    }

    // What the failing action lacked (its text no longer matters: see `problem`).
    const IMDS: Missing = Missing::Credentials;
    const NO_REGION: Missing = Missing::Region;

    #[test]
    fn nothing_set_up_says_what_is_missing() {
        let s = bare();
        let by_region = advise(&s, None, NO_REGION).unwrap();
        for part in [
            "aws configure`",
            "aws configure sso",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
            "~/.aws/config",
        ] {
            assert!(by_region.contains(part), "{part}: {by_region}");
        }
        // A credentials error means a region was found (by flag, say): only the credentials
        // are missing, and the SDK's error is not shown.
        let line = advise(&s, None, IMDS).unwrap();
        assert!(
            line.starts_with("no AWS credentials are configured"),
            "{line}"
        );
        assert!(
            !line.contains("AWS_REGION") && !line.contains("IMDS"),
            "{line}"
        );
        let s = Setup {
            env_region: true,
            ..bare()
        };
        assert_eq!(advise(&s, None, IMDS).unwrap(), line);
        assert_eq!(advise(&s, None, NO_REGION).unwrap(), line);
        // login names the `default` profile explicitly: the same answer.
        assert_eq!(advise(&s, Some("default"), IMDS).unwrap(), line);
    }

    #[test]
    fn profiles_without_a_default_are_named() {
        let s = Setup {
            profiles: vec!["dev".into(), "prod".into()],
            ..bare()
        };
        let line = advise(&s, None, IMDS).unwrap();
        assert!(line.contains("no `default` profile"), "{line}");
        assert!(line.contains("dev, prod"), "{line}");
        let line = advise(&s, Some("stage"), IMDS).unwrap();
        assert!(line.contains("'stage' does not exist"), "{line}");
        let s = Setup {
            env_profile: Some("typo".into()),
            ..s
        };
        let line = advise(&s, None, IMDS).unwrap();
        assert!(
            line.contains("'typo' (from AWS_PROFILE) does not exist"),
            "{line}"
        );
    }

    #[test]
    fn a_missing_region_names_the_profile_to_set_it_on() {
        let s = Setup {
            profiles: vec!["default".into(), "ops".into()],
            profiles_with_region: vec!["ops".into()],
            ..bare()
        };
        let line = advise(&s, None, NO_REGION).unwrap();
        assert!(line.contains("`aws configure set region REGION`"), "{line}");
        assert_eq!(advise(&s, Some("ops"), NO_REGION), None);
        let s = Setup {
            profiles_with_region: vec![],
            ..s
        };
        let line = advise(&s, Some("ops"), NO_REGION).unwrap();
        assert!(line.contains("--profile ops"), "{line}");
    }

    #[test]
    fn configured_machines_keep_the_specific_error() {
        let s = Setup {
            profiles: vec!["default".into()],
            profiles_with_region: vec!["default".into()],
            ..bare()
        };
        // An expired SSO login, a denied role: the set-up is there; the error says more.
        // (Denied calls and refused keys are no `SetupError` at all, so never diagnosed.)
        assert_eq!(advise(&s, None, IMDS), None);
        let keys = Setup {
            env_keys: true,
            ..bare()
        };
        // Keys in the environment but no region anywhere.
        let line = advise(&keys, None, NO_REGION).unwrap();
        assert!(line.contains("AWS_REGION is not set"), "{line}");
    }
}

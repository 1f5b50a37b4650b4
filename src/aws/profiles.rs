//! The AWS profiles of the config and credentials files, read with aws-config's own parser
//! (honouring `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`). Files only, no network.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};

/// Profile name -> its `region`, if it sets one; and the `[sso-session]` sections.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    pub regions: BTreeMap<String, Option<String>>,
    pub sso_sessions: BTreeMap<String, SsoSessionSection>,
}

/// What an `[sso-session NAME]` section says (either may be missing: the caller says what to do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoSessionSection {
    pub start_url: Option<String>,
    pub region: Option<String>,
}

impl Profiles {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.regions.keys().map(String::as_str)
    }

    pub fn region_of(&self, profile: &str) -> Option<&str> {
        self.regions.get(profile)?.as_deref()
    }
}

/// The parsed AWS config and credentials files.
pub async fn load_set() -> Result<aws_config::profile::ProfileSet> {
    aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
        .await
        .context("reading the AWS config and credentials files")
}

pub async fn load() -> Result<Profiles> {
    let set = load_set().await?;
    let regions = set
        .profiles()
        .map(|name| {
            let region = set
                .get_profile(name)
                .and_then(|p| p.get("region"))
                .map(str::to_owned);
            (name.to_owned(), region)
        })
        .collect();
    let sso_sessions = set
        .sso_sessions()
        .map(|name| {
            let get = |key: &str| {
                set.sso_session(name)
                    .and_then(|s| s.get(key))
                    .map(str::to_owned)
            };
            let section = SsoSessionSection {
                start_url: get("sso_start_url"),
                region: get("sso_region"),
            };
            (name.to_owned(), section)
        })
        .collect();
    Ok(Profiles {
        regions,
        sso_sessions,
    })
}

/// `load` for synchronous callers (completion, `list`).
pub fn load_blocking() -> Result<Profiles> {
    super::sdk::runtime()?.block_on(load())
}

/// Whether tokens name the FIPS STS host (`sts-fips.<region>...`): `AWS_USE_FIPS_ENDPOINT`
/// when set, else the `use_fips_endpoint` of `profile` (`None`: `AWS_PROFILE`, else
/// `default`), as the AWS CLI decides it for `aws eks get-token`. Reads the AWS files only when
/// the variable is unset; an unreadable file means no.
pub fn use_fips_endpoint(profile: Option<&str>) -> bool {
    let env = |name: &str| crate::settings::env::var(name).filter(|v| !v.trim().is_empty());
    let yes = |v: &str| v.trim().eq_ignore_ascii_case("true");
    if let Some(v) = env("AWS_USE_FIPS_ENDPOINT") {
        return yes(&v);
    }
    let name = profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    load_files_blocking().is_ok_and(|files| {
        use crate::cache::provenance::ProfileSource;
        files
            .profile_value(&name, "use_fips_endpoint")
            .is_some_and(|v| yes(&v))
    })
}

/// The parsed files, for [`crate::cache::provenance::walk`].
pub struct ProfileFiles(aws_config::profile::ProfileSet);

/// `load_set` for synchronous callers: reads the AWS config and credentials files.
pub fn load_files_blocking() -> Result<ProfileFiles> {
    Ok(ProfileFiles(super::sdk::runtime()?.block_on(load_set())?))
}

impl crate::cache::provenance::ProfileSource for ProfileFiles {
    fn has_profile(&self, name: &str) -> bool {
        self.0.has_profile(name)
    }

    fn profile_value(&self, name: &str, key: &str) -> Option<String> {
        self.0.profile_value(name, key)
    }

    fn has_sso_session(&self, name: &str) -> bool {
        self.0.has_sso_session(name)
    }

    fn sso_session_value(&self, name: &str, key: &str) -> Option<String> {
        self.0.sso_session_value(name, key)
    }
}

impl crate::cache::provenance::ProfileSource for aws_config::profile::ProfileSet {
    fn has_profile(&self, name: &str) -> bool {
        self.get_profile(name).is_some()
    }

    fn profile_value(&self, name: &str, key: &str) -> Option<String> {
        self.get_profile(name)?.get(key).map(str::to_owned)
    }

    fn has_sso_session(&self, name: &str) -> bool {
        self.sso_session(name).is_some()
    }

    fn sso_session_value(&self, name: &str, key: &str) -> Option<String> {
        self.sso_session(name)?.get(key).map(str::to_owned)
    }
}

/// The AWS config and credentials files as the SDK reads them (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE` honoured), with one more config layer, in memory, that gives
/// every profile that assumes a role without a `role_session_name` of its own the session name
/// `name` (the SDK would name those sessions `assume-role-from-profile-<timestamp>`). The
/// user's files are left alone; a profile's own `role_session_name` wins.
pub async fn files_naming_sessions(name: &str) -> EnvConfigFiles {
    let layer = match load_set().await {
        Ok(set) => session_name_layer(&set, name),
        Err(_) => String::new(),
    };
    if layer.is_empty() {
        return EnvConfigFiles::default();
    }
    EnvConfigFiles::builder()
        .include_default_config_file(true)
        .include_default_credentials_file(true)
        .with_contents(EnvConfigFileKind::Config, layer)
        .build()
}

/// The config text that sets `role_session_name = name` on each profile of `set` that has a
/// `role_arn` and no `role_session_name`. Web identity profiles (`web_identity_token_file`, a
/// machine's identity, not a person's) keep the SDK's naming, and so do profiles whose names
/// the config syntax cannot carry.
pub fn session_name_layer(set: &aws_config::profile::ProfileSet, name: &str) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
    };
    let mut text = String::new();
    for profile in set.profiles() {
        let Some(p) = set.get_profile(profile) else {
            continue;
        };
        let assumes = p.get("role_arn").is_some() && p.get("web_identity_token_file").is_none();
        if assumes && p.get("role_session_name").is_none() && plain(profile) {
            text.push_str(&format!(
                "[profile {profile}]\nrole_session_name = {name}\n"
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[default]\nrole_arn = arn:aws:iam::1:role/D\nsource_profile = base\n\
        [profile base]\nregion = eu-west-1\n\
        [profile named]\nrole_arn = arn:aws:iam::1:role/N\nsource_profile = base\n\
        role_session_name = mine\n\
        [profile pod]\nrole_arn = arn:aws:iam::1:role/P\nweb_identity_token_file = /t\n";
    const CREDENTIALS: &str = "[base]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n\
        [keyed]\nrole_arn = arn:aws:iam::1:role/K\nsource_profile = base\n";

    /// The files as the SDK merges them, with the layer for `name` when `layer`.
    async fn merged(layer: bool) -> aws_config::profile::ProfileSet {
        let fs = Fs::from_map(
            [
                ("/home/u/.aws/config".to_owned(), CONFIG.as_bytes().to_vec()),
                (
                    "/home/u/.aws/credentials".to_owned(),
                    CREDENTIALS.as_bytes().to_vec(),
                ),
            ]
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>(),
        );
        let env = Env::from_slice(&[("HOME", "/home/u")]);
        let plain = aws_config::profile::load(&fs, &env, &EnvConfigFiles::default(), None)
            .await
            .unwrap();
        if !layer {
            return plain;
        }
        let files = EnvConfigFiles::builder()
            .include_default_config_file(true)
            .include_default_credentials_file(true)
            .with_contents(
                EnvConfigFileKind::Config,
                session_name_layer(&plain, "eks-kc-alice"),
            )
            .build();
        aws_config::profile::load(&fs, &env, &files, None)
            .await
            .unwrap()
    }

    #[test]
    fn the_layer_names_only_the_sessions_no_profile_names() {
        let rt = crate::aws::sdk::runtime().unwrap();
        let before = rt.block_on(merged(false));
        let after = rt.block_on(merged(true));
        let name = |set: &aws_config::profile::ProfileSet, p: &str| {
            set.get_profile(p)
                .and_then(|p| p.get("role_session_name"))
                .map(str::to_owned)
        };
        // Roles without a name get one, wherever the profile is (config or credentials file).
        assert_eq!(name(&after, "default").as_deref(), Some("eks-kc-alice"));
        assert_eq!(name(&after, "keyed").as_deref(), Some("eks-kc-alice"));
        // A profile's own name, web identity and profiles without a role are left alone.
        assert_eq!(name(&after, "named").as_deref(), Some("mine"));
        assert_eq!(name(&after, "pod"), None);
        assert_eq!(name(&after, "base"), None);
        // Nothing else changes, and no profile appears or disappears.
        assert_eq!(
            before.profiles().collect::<Vec<_>>().len(),
            after.profiles().collect::<Vec<_>>().len()
        );
        for p in ["default", "keyed", "named", "base"] {
            let get = |set: &aws_config::profile::ProfileSet, k: &str| {
                set.get_profile(p).and_then(|x| x.get(k)).map(str::to_owned)
            };
            for key in ["role_arn", "source_profile", "region", "aws_access_key_id"] {
                assert_eq!(get(&before, key), get(&after, key), "{p}.{key}");
            }
        }
    }
}

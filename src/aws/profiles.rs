//! The AWS profiles of the config and credentials files, read with aws-config's own parser
//! (honouring `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`). Files only, no network.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_runtime::env_config::file::EnvConfigFiles;
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

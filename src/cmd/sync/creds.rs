//! Credentials for the profile targets of a run, through the one credential path `eks-kc token`
//! uses (`engine::credentials`: the credential cache, the MFA prompt): a profile `eks-kc login`
//! warmed lists clusters without asking for credentials again, and an MFA profile asks once, on
//! the terminal, and only when there is one.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::aws::AwsCredentials;
use crate::aws::eks::{Outcome, Target};
use crate::cache::provenance::ProfileSource;
use crate::engine::{Origin, credentials};
use crate::settings::Settings;
use crate::source::CredentialSource;

/// How many profiles resolve at once (each may be a network call to STS or SSO).
const PARALLEL: usize = 8;

/// One profile label's credentials (or why there are none), resolved in the region given for it
/// (`credential_regions`, else its first target's). MFA profiles go one at a time, since each
/// may ask for a code; the others in parallel, never asking.
pub(super) fn resolve(
    targets: &[Target],
    credential_regions: &BTreeMap<String, String>,
    role_arn: Option<&str>,
    session_name: Option<&str>,
    settings: &Settings,
) -> BTreeMap<String, Result<AwsCredentials, Outcome>> {
    let mut labels: BTreeMap<&str, (Option<&str>, &str)> = BTreeMap::new();
    for t in targets {
        let region = credential_regions.get(&t.label).unwrap_or(&t.region);
        labels
            .entry(&t.label)
            .or_insert((t.profile.as_deref(), region.as_str()));
    }
    let files = crate::aws::profiles::load_files_blocking().ok();
    let needs_mfa = |profile: Option<&str>| {
        profile.is_some_and(|p| {
            files
                .as_ref()
                .is_some_and(|f| f.profile_value(p, "mfa_serial").is_some())
        })
    };
    let interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
    // Without a cache directory (no home), credentials are still resolved, just not kept; and a
    // profile the AWS files do not have has nothing to cache (nor a reason to create the cache
    // directory on a run that fails).
    let has_cache = settings.cache_dir().is_ok();
    let configured = |profile: Option<&str>| {
        let name = profile.map(str::to_owned).unwrap_or_else(|| {
            crate::settings::env::var("AWS_PROFILE")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".into())
        });
        files.as_ref().is_some_and(|f| f.has_profile(&name))
    };
    let one = |profile: Option<&str>, region: &str, interactive: bool| {
        let source = CredentialSource {
            profile,
            role_arn,
            session_name,
            sso: None,
        };
        credentials(
            source,
            region,
            interactive,
            settings,
            has_cache && configured(profile),
            &Origin::new(source),
        )
        .map_err(|e| match crate::problem::SetupError::find(&e) {
            Some(setup) => Outcome::NotSetUp(crate::problem::SetupError {
                message: format!("{e:#}"),
                ..setup.clone()
            }),
            None => Outcome::Failed(format!("{e:#}")),
        })
    };

    let (mfa, plain): (Vec<_>, Vec<_>) = labels.into_iter().partition(|(_, (p, _))| needs_mfa(*p));
    let mut out = BTreeMap::new();
    for chunk in plain.chunks(PARALLEL) {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(label, (profile, region))| {
                    (*label, s.spawn(|| one(*profile, region, false)))
                })
                .collect();
            for (label, h) in handles {
                let result = h.join().unwrap_or_else(|_| {
                    Err(Outcome::Failed(
                        "internal error: credential thread failed".into(),
                    ))
                });
                out.insert(label.to_owned(), result);
            }
        });
    }
    for (label, (profile, region)) in mfa {
        out.insert(label.to_owned(), one(profile, region, interactive));
    }
    out
}

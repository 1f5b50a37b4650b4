//! The credentials that sign a token: the credential cache (second level) or the AWS SDK, and the
//! MFA prompt on the controlling terminal.

use std::io::Write;

use anyhow::{Context, Result, bail};
use chrono::Utc;

use super::{Origin, Validity};
use crate::aws;
use crate::aws::AwsCredentials;
use crate::aws::CredentialSource;
use crate::cache;
use crate::cache::credentials::{CredEntry, IdentityKey};
use crate::cache::signin::{Failed, Kind};
use crate::settings::Settings;
use crate::store::{LockError, PrivateDir};

/// The credentials that sign for `identity`: temporary ones from the credential cache while they
/// have the credential margin left and their configuration (`origin`) is unchanged, else
/// resolved through the SDK (and cached when temporary). Static keys from the environment skip
/// the cache: there is nothing to save. `interactive`: whether an MFA code may be asked for.
pub fn credentials(
    identity: CredentialSource<'_>,
    region: &str,
    interactive: bool,
    settings: &Settings,
    use_cache: bool,
    origin: &Origin<'_>,
) -> Result<AwsCredentials> {
    let limits = &settings.limits;
    let cache_dir = if use_cache {
        Some(settings.cache_dir()?)
    } else {
        None
    };
    // Provenance first: it must describe the files as they were before credentials are read.
    let provenance = cache_dir.and(origin.current()).cloned();
    let prompted = std::cell::Cell::new(false);
    let prompt = |message: &str| {
        prompted.set(true);
        tty_prompt(message)
    };
    let resolve = || {
        aws::creds::resolve(&aws::creds::CredentialRequest {
            source: identity,
            region,
            prompt: interactive.then_some(&prompt as aws::creds::Prompt<'_>),
            timeouts: aws::Timeouts::within(limits.network),
        })
    };
    let Some(dir) = cache_dir.filter(|_| !identity.uses_env_keys(crate::settings::env::var)) else {
        return resolve();
    };
    let margin = settings.credential_margin;
    let store = cache::credentials::CredentialCache::open(PrivateDir::new(dir), settings.keyring);
    let key = IdentityKey::new(identity, crate::settings::env::var);
    let fresh = |store: &cache::credentials::CredentialCache| {
        store.get(&key).filter(|e| {
            e.is_fresh(Utc::now(), margin) && origin.still_valid(&e.provenance) != Validity::Changed
        })
    };
    if let Some(e) = fresh(&store) {
        return Ok(from_entry(e));
    }
    // One resolution per identity, however many clusters are cold at once.
    let _lock = match store.dir().lock(&key.file_stem(), &limits.lock_wait()) {
        Ok(lock) => Some(lock),
        Err(LockError::Io(e)) => {
            tracing::debug!("credential cache not locked: {e}");
            None
        }
        Err(e) => return Err(e.for_profile(identity.profile).into()),
    };
    if let Some(e) = fresh(&store) {
        return Ok(from_entry(e));
    }
    let creds = gated(identity, settings, interactive, &prompted, resolve)?;
    put(&store, key, &creds, provenance);
    Ok(creds)
}

/// `resolve` behind the identity's sign-in gates: a person-step that failed a moment ago (a
/// wrong MFA code, a renewal AWS Sign-In refused) is not tried again at once; a failure is
/// remembered for the cool-down, a prompt that succeeded ends it. `prompted`: whether
/// `resolve` asked the person.
fn gated(
    identity: CredentialSource<'_>,
    settings: &Settings,
    interactive: bool,
    prompted: &std::cell::Cell<bool>,
    resolve: impl FnOnce() -> Result<AwsCredentials>,
) -> Result<AwsCredentials> {
    let gate = identity
        .profile
        .filter(|_| identity.sso.is_none())
        .map(|p| {
            let fix = format!(
                "run `{bin} login --profile {p}` in a terminal, then retry",
                bin = crate::display::bin()
            );
            super::signin::Gate::new(settings, Kind::Mfa, p, fix)
        })
        .transpose()?;
    if let Some(gate) = &gate {
        gate.check(interactive)?;
    }
    let session = session_gate(identity, settings)?;
    if let Some(session) = &session {
        session.check(interactive)?;
    }
    let creds = match resolve() {
        Ok(creds) => creds,
        Err(e) => {
            if let Some(gate) = &gate
                && prompted.get()
            {
                bail!("{}", gate.remember(Failed::SignIn, &format!("{e:#}")));
            }
            if let Some(session) = session
                && needs_aws_login(&e)
            {
                // Shared with every caller for the cool-down: AWS Sign-In is not asked to
                // renew a refused session again by each of them; `aws login` rewriting the
                // session file ends it.
                let session = match session_file(identity) {
                    Some(file) => session.watching(file),
                    None => session,
                };
                session.remember(Failed::Refresh, &format!("{e:#}"));
            }
            return Err(e);
        }
    };
    if let Some(gate) = &gate
        && prompted.get()
    {
        gate.forget();
    }
    Ok(creds)
}

/// The gate of `identity`'s `aws login` session, should its chain have one: its cool-down is
/// checked before the SDK is asked to renew the session, and set when AWS Sign-In refused.
fn session_gate<'s>(
    identity: CredentialSource<'_>,
    settings: &'s Settings,
) -> Result<Option<super::signin::Gate<'s>>> {
    let Some(profile) = identity.profile.filter(|_| identity.sso.is_none()) else {
        return Ok(None);
    };
    let fix = format!("run `aws login --profile {profile}`, then retry");
    Ok(Some(super::signin::Gate::new(
        settings,
        Kind::LoginSession,
        profile,
        fix,
    )?))
}

/// The file `aws login` keeps `identity`'s session in (its chain's first `login_session`).
fn session_file(identity: CredentialSource<'_>) -> Option<std::path::PathBuf> {
    let files = aws::profiles::load_files_blocking().ok()?;
    let chain = cache::provenance::walk(&files, identity.profile?);
    let sign_in = chain.sign_ins.iter().next()?;
    let env = |name: &str| crate::settings::env::var(name).filter(|v| !v.is_empty());
    Some(
        crate::paths::aws_files(env)
            .login_cache
            .join(sign_in.cache_file_name()),
    )
}

/// Whether `e` says the `aws login` session has ended (`aws login` again).
fn needs_aws_login(e: &anyhow::Error) -> bool {
    crate::problem::SetupError::find(e)
        .is_some_and(|s| s.missing == crate::problem::Missing::SignIn)
}

/// Whether the credential cache has fresh credentials for `identity` (so no sign-in is needed
/// to sign with it).
pub(super) fn cached(
    identity: CredentialSource<'_>,
    settings: &Settings,
    origin: &Origin<'_>,
) -> bool {
    let Ok(dir) = settings.cache_dir() else {
        return false;
    };
    let store = cache::credentials::CredentialCache::open(PrivateDir::new(dir), settings.keyring);
    let key = IdentityKey::new(identity, crate::settings::env::var);
    store.get(&key).is_some_and(|e| {
        e.is_fresh(Utc::now(), settings.credential_margin)
            && origin.still_valid(&e.provenance) != Validity::Changed
    })
}

/// Ends the cool-down of `kind` `name` (`eks-kc login` is about to sign in, or just did).
pub fn end_cool_down(kind: Kind, name: &str, settings: &Settings) {
    if let Ok(gate) = super::signin::Gate::new(settings, kind, name, String::new()) {
        gate.forget();
    }
}

/// Keeps temporary credentials some other path obtained for `identity` (sync's IAM Identity
/// Center discovery gets every role's), so its clusters' first tokens need no call for them.
pub fn remember(identity: CredentialSource<'_>, creds: &AwsCredentials, settings: &Settings) {
    let Ok(dir) = settings.cache_dir() else {
        return;
    };
    let origin = Origin::new(identity);
    let store = cache::credentials::CredentialCache::open(PrivateDir::new(dir), settings.keyring);
    let key = IdentityKey::new(identity, crate::settings::env::var);
    put(&store, key, creds, origin.current().cloned());
}

fn put(
    store: &cache::credentials::CredentialCache,
    key: IdentityKey,
    creds: &AwsCredentials,
    provenance: Option<crate::cache::provenance::Provenance>,
) {
    if let (Some(expiration), Some(provenance)) = (creds.expiry, provenance) {
        let entry = CredEntry {
            version: cache::credentials::VERSION,
            key,
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
            expiration,
            provenance,
        };
        if let Err(e) = store.put(&entry, &mut |w| eprintln!("eks-kc: warning: {w}")) {
            tracing::debug!("not caching credentials: {e:#}");
        }
    }
}

/// Credentials kept in the credential cache, ready to sign with.
fn from_entry(e: CredEntry) -> AwsCredentials {
    AwsCredentials {
        access_key_id: e.access_key_id,
        secret_access_key: e.secret_access_key,
        session_token: e.session_token,
        expiry: Some(e.expiration),
    }
}

/// Asks on the controlling terminal (not stdin/stdout: kubectl owns those) and reads one line.
/// Other eks-kc processes waiting for the locks this one holds learn that it is prompting, so
/// they wait for the person (up to the sign-in bound) instead of giving up at the lock bound.
fn tty_prompt(message: &str) -> Result<String> {
    use std::io::{BufRead, BufReader};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal (/dev/tty) to ask for the MFA code")?;
    crate::store::note_prompting();
    tty.write_all(message.as_bytes())?;
    tty.flush()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line)?;
    let code = line.trim().to_owned();
    if code.is_empty() {
        bail!("no MFA code entered");
    }
    Ok(code)
}

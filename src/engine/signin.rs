//! The sign-in gate: per identity that needs a person (an IAM Identity Center login, an MFA
//! profile; an `aws login` session plugs in the same way), one person-step or refresh at a time,
//! run by one process, and its failure remembered for a short cool-down
//! (`cache::signin::SignInState`) so every other caller answers with the same one line instead
//! of starting another sign-in.
//!
//! - The step runs under the lock `signin-<hash>.lock`, whose holder notes what it does
//!   (`refreshing`, `signing-in browser`, `signing-in device-code`), for waiters and `cache
//!   status`. The kernel releases the lock when the holder dies: a killed sign-in leaves nothing
//!   that blocks the next one (its state file is written only after a failure it saw, or when
//!   it is interrupted: Ctrl-C, SIGTERM or a closed terminal abandon the sign-in).
//! - Other callers wait for the holder (bounded: the sign-in limit plus the network limit),
//!   saying once on stderr what they wait for, then take its outcome: the login file it wrote,
//!   or its failure's line.
//! - Only an interactive caller signs in; a non-interactive one with nobody signing in fails at
//!   once with the command to run.
//!
//! Runs only on a cache miss: the token cache's hit path never comes here.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use chrono::Utc;

use crate::aws;
use crate::aws::sso::Login;
use crate::cache::signin::{Decision, Failed, GateKey, Kind, SignInState};
use crate::settings::Settings;
use crate::source::SsoLoginRef;
use crate::ssotoken::Plan;
use crate::store::stamp::stamp;
use crate::store::{FileLock, LockError, LockWait, PrivateDir};

/// One identity a person signs in for, at its gate.
pub struct Gate<'a> {
    dir: PrivateDir,
    key: GateKey,
    /// What it is, for people: "IAM Identity Center login corp".
    label: String,
    /// The one line naming the command that signs in.
    fix: String,
    /// The login file the sign-in writes: a change of it ends a cool-down.
    watch: Option<PathBuf>,
    settings: &'a Settings,
}

impl<'a> Gate<'a> {
    pub fn new(settings: &'a Settings, kind: Kind, name: &str, fix: String) -> Result<Self> {
        Ok(Gate {
            dir: PrivateDir::new(settings.cache_dir()?),
            key: GateKey {
                kind,
                name: name.to_owned(),
            },
            label: format!("{} {name}", kind.label()),
            fix,
            watch: None,
            settings,
        })
    }

    pub fn watching(mut self, file: PathBuf) -> Self {
        self.watch = Some(file);
        self
    }

    fn state_file(&self) -> String {
        format!("{}.json", self.key.file_stem())
    }

    fn state(&self) -> Option<SignInState> {
        let bytes = self.dir.read(&self.state_file()).ok()??;
        SignInState::from_bytes(&bytes, &self.key)
    }

    /// What a caller may do now, from the last failure (if any).
    pub fn decision(&self) -> Decision {
        match self.state() {
            Some(s) => s.decide(Utc::now(), s.current_watch().as_ref()),
            None => Decision::Proceed,
        }
    }

    /// An error with the cool-down's line when one holds (for everyone, or, after a failed
    /// refresh, for callers that cannot sign in).
    pub fn check(&self, interactive: bool) -> Result<Decision> {
        let d = self.decision();
        match &d {
            Decision::CoolDown(line) => bail!("{line}"),
            Decision::SkipRefresh if !interactive => {
                let line = self
                    .state()
                    .map(|s| s.line)
                    .unwrap_or_else(|| self.fix.clone());
                bail!("{line}")
            }
            _ => Ok(d),
        }
    }

    /// Remembers a failure for the cool-down; returns the line every caller now prints.
    pub fn remember(&self, failed: Failed, why: &str) -> String {
        self.remember_for(failed, why, self.settings.sign_in_cooldown)
    }

    /// [`Gate::remember`] for `cooldown` instead of the setting.
    fn remember_for(&self, failed: Failed, why: &str, cooldown: chrono::Duration) -> String {
        self.memory().remember(failed, why, cooldown)
    }

    /// What remembering a failure needs, owned (an interrupt's action writes it too).
    fn memory(&self) -> Memory {
        Memory {
            dir: self.dir.clone(),
            file: self.state_file(),
            key: self.key.clone(),
            label: self.label.clone(),
            fix: self.fix.clone(),
            watch: self.watch.clone(),
        }
    }

    /// Ends a cool-down (a sign-in succeeded, or `eks-kc login` is about to run one).
    pub fn forget(&self) {
        let _ = std::fs::remove_file(self.dir.file(&self.state_file()));
    }

    /// Runs a person's sign-in `step` under the gate's `lock` (noted there as browser or device
    /// code, for waiters and `cache status`): a success ends the cool-down, a failure starts
    /// one; the error then comes with the line every caller now prints.
    fn person_step<T>(
        &self,
        lock: Option<&FileLock>,
        device_code: bool,
        step: impl FnOnce() -> Result<T>,
    ) -> std::result::Result<T, (anyhow::Error, String)> {
        if let Some(lock) = lock {
            let how = if device_code {
                "device-code"
            } else {
                "browser"
            };
            lock.note(&format!("signing-in {how} for the {}", self.label));
        }
        // Abandoned (Ctrl-C, the terminal closed): remembered like a failure, so a retry in
        // the cool-down does not open another browser tab. A SIGKILL leaves nothing.
        let memory = self.memory();
        let cooldown = self.settings.sign_in_cooldown;
        let abandoned = crate::signals::on_interrupt(move || {
            memory.remember(Failed::SignIn, ABANDONED, cooldown);
        });
        let result = step();
        drop(abandoned);
        match result {
            Ok(done) => {
                self.forget();
                Ok(done)
            }
            Err(e) => {
                let line = self.remember(Failed::SignIn, &format!("{e:#}"));
                Err((e, line))
            }
        }
    }

    /// The gate's lock: at once when free, else after waiting (bounded, said once on stderr)
    /// for the process that holds it. `None` when the cache directory cannot be locked: the
    /// caller goes on as before the gate existed.
    pub fn enter(&self) -> Result<Option<FileLock>> {
        let stem = self.key.file_stem();
        let at_once = LockWait::bounded(Duration::ZERO);
        match self.dir.lock(&stem, &at_once) {
            Ok(lock) => return Ok(Some(lock)),
            Err(LockError::Io(e)) => {
                tracing::debug!("sign-in gate not locked: {e}");
                return Ok(None);
            }
            Err(_) => {}
        }
        let wait = self.settings.limits.sign_in_wait();
        let holder = self.dir.holder(&stem);
        let pid = holder
            .as_ref()
            .map_or_else(|| "another eks-kc".to_owned(), |h| format!("pid {}", h.pid));
        let doing = holder.as_ref().map(|h| h.state.as_str()).unwrap_or("");
        if let Some(place) = place(doing) {
            eprintln!(
                "eks-kc: waiting up to {} for the sign-in for the {} that {pid} runs {place}",
                crate::duration::format_std(wait),
                self.label
            );
        }
        let patient = LockWait::bounded(wait);
        match self.dir.lock(&stem, &patient) {
            Ok(lock) => Ok(Some(lock)),
            Err(LockError::Io(_)) => Ok(None),
            Err(LockError::Timeout { .. } | LockError::Prompting { .. }) => bail!(
                "waited {} for the sign-in for the {} that {pid} runs: {}",
                crate::duration::format_std(wait),
                self.label,
                self.fix
            ),
        }
    }
}

/// A gate's failure memory: where its state file is and what its line says.
struct Memory {
    dir: PrivateDir,
    file: String,
    key: GateKey,
    label: String,
    fix: String,
    watch: Option<PathBuf>,
}

impl Memory {
    /// Writes the failure's state for `cooldown`; returns the line every caller now prints.
    fn remember(&self, failed: Failed, why: &str, cooldown: chrono::Duration) -> String {
        let now = Utc::now();
        let until = now + cooldown;
        let line = match failed {
            Failed::SignIn => format!(
                "the sign-in for the {} failed ({why}); no new sign-in starts before {} \
                 (EKS_KC_SIGN_IN_COOLDOWN): {}",
                self.label,
                until.format("%H:%M:%S UTC"),
                self.fix
            ),
            Failed::Refresh => why.to_owned(),
        };
        let state = SignInState::new(
            self.key.clone(),
            failed,
            line.clone(),
            now,
            cooldown,
            self.watch.as_deref().map(stamp),
        );
        if let Err(e) = self.dir.write(&self.file, &state.to_bytes()) {
            tracing::debug!("sign-in state not kept: {e}");
        }
        line
    }
}

/// Why an interrupted person-step failed, in the cool-down's line.
const ABANDONED: &str = "abandoned: eks-kc was interrupted (Ctrl-C, or its terminal closed)";

/// How long a refresh that IAM Identity Center did not answer is shared (at most): long enough
/// for the callers that waited for it, short enough that the network coming back is used.
const UNANSWERED_COOLDOWN: chrono::Duration = chrono::Duration::seconds(10);

/// Where the holder's person-step happens, from its lock note.
fn place(doing: &str) -> Option<&'static str> {
    if doing.contains("browser") {
        Some("in the browser it opened")
    } else if doing.contains("device-code") {
        Some("with a code shown on its terminal")
    } else if doing.contains("mfa") {
        Some("at an MFA prompt on its terminal")
    } else {
        None
    }
}

/// Makes `r`'s IAM Identity Center login usable before a token is signed with it: nothing
/// when it is; else one refresh, or (for an interactive caller) one sign-in, for all callers
/// at once, through the login's gate.
pub fn sso_ready(r: SsoLoginRef<'_>, interactive: bool, settings: &Settings) -> Result<()> {
    let login = aws::sso::login_of(r)?;
    if usable(aws::sso::login_plan(&login).as_ref()) {
        return Ok(());
    }
    let fix = r.login_fix();
    let gate =
        Gate::new(settings, Kind::SsoLogin, r.name(), fix.clone())?.watching(login.token_file());
    gate.check(interactive)?;
    let Some(lock) = gate.enter()? else {
        return Ok(());
    };
    // Whoever held the gate may have signed in, refreshed, or failed meanwhile.
    let plan = aws::sso::login_plan(&login);
    if usable(plan.as_ref()) {
        return Ok(());
    }
    let decision = gate.check(interactive)?;
    if matches!(plan, Some(Plan::Refresh { .. })) && decision == Decision::Proceed {
        lock.note(&format!("refreshing the {}", gate.label));
        let timeouts = aws::Timeouts::within(settings.limits.network);
        match aws::sso::refresh_blocking(&login, &timeouts) {
            Ok(()) => {
                gate.forget();
                return Ok(());
            }
            Err(e) => {
                // Shared with the callers waiting now either way; a refresh nobody answered
                // (the network) only briefly, so a moment later the next caller tries again.
                let cooldown = match e.downcast_ref::<aws::sso::Unanswered>() {
                    Some(_) => settings.sign_in_cooldown.min(UNANSWERED_COOLDOWN),
                    None => settings.sign_in_cooldown,
                };
                let line = gate.remember_for(Failed::Refresh, &format!("{e:#}"), cooldown);
                if !interactive {
                    bail!("{line}");
                }
            }
        }
    }
    if !interactive {
        // Nobody signs in without a person: the login's own error follows, naming the fix.
        return Ok(());
    }
    sign_in(&gate, &login, &lock, settings)
}

/// `eks-kc login --sso-session` run by a person: the same gate as a token's sign-in, so that
/// calls needing the login meanwhile wait for this one (told where it happens) instead of
/// starting their own, and a sign-in in progress elsewhere is waited for first. Its cool-down
/// ends at once (the person asked); a failure starts one, as a token's failed sign-in does.
pub fn by_hand(
    login: &Login,
    device_code: bool,
    settings: &Settings,
    sign_in: impl FnOnce() -> Result<PathBuf>,
) -> Result<PathBuf> {
    let r = login.reference();
    let gate =
        Gate::new(settings, Kind::SsoLogin, r.name(), r.login_fix())?.watching(login.token_file());
    gate.forget();
    let lock = gate.enter()?;
    gate.person_step(lock.as_ref(), device_code, sign_in)
        .map_err(|(e, _)| e)
}

/// Whether a login's token can be used as it is (or there is no file: the signing path says
/// "not signed in" with the fix).
fn usable(plan: Option<&Plan>) -> bool {
    matches!(plan, Some(Plan::Use(_) | Plan::SignIn(Some(_))))
}

/// The interactive caller's sign-in: in the browser where one can open, else with a device
/// code shown on the terminal; a failure is remembered for the cool-down.
fn sign_in(gate: &Gate<'_>, login: &Login, lock: &FileLock, settings: &Settings) -> Result<()> {
    let browser = crate::browser::unavailable(crate::settings::env::var).is_none();
    let wait = settings.limits.sign_in;
    eprintln!(
        "eks-kc: the {} has expired; signing in (other eks-kc calls wait for this one)",
        gate.label
    );
    gate.person_step(Some(lock), !browser, || {
        if browser {
            super::sso_login::browser_sign_in(login, true, wait, settings)
        } else {
            super::sso_login::device_code(login, false, wait, settings)
        }
    })
    .map(|_| ())
    .map_err(|(_, line)| anyhow::anyhow!("{line}"))
}

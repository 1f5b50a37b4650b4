//! `eks-kc login`'s flags (clap types only; the doc comments are the help text).

use std::path::PathBuf;

use clap::Args;

use super::{CacheDir, Verbosity};

/// Get session credentials for a profile once (asking for its MFA code if it has one) and
/// pre-warm tokens for its clusters.
///
/// The session credentials go into eks-kc's credential cache (the OS keyring, or a 0600 file),
/// so every cluster of the profile works, from kubectl, k9s or an IDE, without another prompt
/// until they near expiry. Run it in a terminal at the start of the day, or when a
/// non-interactive call says so.
///
/// With --sso-session NAME it signs in to IAM Identity Center instead, as `aws sso login
/// --sso-session NAME` does: in the browser by default, with a code (--use-device-code) where
/// there is none.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Profile to log in (repeatable) [default: AWS_PROFILE, else default].
    #[arg(long = "profile", short = 'p', value_name = "PROFILE",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::profiles))]
    pub profiles: Vec<String>,

    /// Sign in to IAM Identity Center for this `[sso-session NAME]`, in the browser: it opens
    /// the sign-in page, and after you allow access there the browser comes back to eks-kc on
    /// 127.0.0.1 (authorization code with PKCE, as `aws sso login` does). Where no browser can
    /// open (an SSH session, no display) eks-kc says so and offers --use-device-code. The login
    /// is saved where `aws sso login` saves it, so one login serves both tools.
    #[arg(long, value_name = "NAME", conflicts_with = "profiles",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::sso_sessions))]
    pub sso_session: Option<String>,

    /// Sign in with a code instead (device authorization): eks-kc prints a URL and a code, and
    /// you confirm the code in a browser on any device (for SSH sessions and machines without
    /// a browser).
    #[arg(long, requires = "sso_session")]
    pub use_device_code: bool,

    /// Open the sign-in page in a browser even where eks-kc sees none (no display, or an SSH
    /// session: say, one with X forwarding); with --use-device-code, open the code's page too
    /// (it is always printed). BROWSER, when set, names the browser to start (and says there is
    /// one).
    #[arg(long, requires = "sso_session")]
    pub browser: bool,

    /// How long to wait for the sign-in in the browser: its return to eks-kc, or the approval
    /// of the code.
    #[arg(long, env = "EKS_KC_SIGN_IN_TIMEOUT", hide_env_values = true, value_name = "DURATION",
          default_value = "10m", value_parser = crate::duration::parse_positive_duration)]
    pub sign_in_timeout: chrono::Duration,

    /// The kubeconfig whose contexts get tokens pre-warmed.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub cache: CacheDir,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

//! `eks-kc sync`'s flags (clap types only; the doc comments are the help text).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Verbosity;
use crate::kubeconfig::ExecStyle;

/// Discover EKS clusters across AWS profiles and regions and write them to the kubeconfig.
///
/// Lists every cluster of every (profile, region) target concurrently (ListClusters and
/// DescribeCluster), then writes one cluster and one context per EKS cluster, all sharing one
/// generic exec user `eks-kc` that runs `eks-kc token` (or, with `--exec-style per-context`,
/// a user per context). The cluster's profile, region and role
/// travel in its `client.authentication.k8s.io/exec` extension.
///
/// sync only changes entries it created (they carry an `eks-kc` extension): other clusters,
/// contexts, users and preferences are left alone, and so is a `current-context` that is set
/// (an empty one is set to the first synced context). Context names never change
/// once written, and a name already taken is reported as a conflict, never overwritten.
///
/// Saved settings: a bare `eks-kc sync` runs the targets and options saved in the config file
/// (`eks-kc config path` prints where it is; `eks-kc sync ... --save` writes it; "Config file"
/// below lists its keys). Flags on the command line replace the saved settings for that run, by group: any of
/// --profile, --all-profiles, --sso-session, --sso-start-url or --role-arn replaces the saved
/// profiles, IAM Identity Center sessions and role together; --region or --all-regions replaces
/// the saved regions; --sso-role and --account replace the saved sessions' role and account
/// filters; --role-session-name, --name-template, --prune/--no-prune, --exec-style and
/// --concurrency each replace their own saved value. The saved profiles win over AWS_PROFILE, and the saved regions over
/// the profile's region and AWS_REGION (those are the defaults when nothing is saved).
///
/// Exit status: 0 when every target was listed and written; 3 when some targets failed or some
/// names conflicted (everything else was still written); 1 when nothing could be done (every
/// target failed: nothing is written), or the config file is not valid (the error names its
/// file, line and key).
#[derive(Debug, Clone, Args)]
#[command(after_long_help = SYNC_EXAMPLES)]
pub struct SyncArgs {
    /// AWS profile to discover with (repeatable) [default: AWS_PROFILE, else the default
    /// credential chain].
    #[arg(long = "profile", short = 'p', value_name = "PROFILE",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::profiles))]
    pub profiles: Vec<String>,

    /// Every profile in the AWS config and credentials files.
    #[arg(long, conflicts_with = "profiles")]
    pub all_profiles: bool,

    /// Region to list (repeatable) [default: the profile's region, or AWS_REGION]. A name eks-kc
    /// does not know is used with a warning; a malformed one is refused.
    #[arg(long = "region", short = 'r', value_name = "REGION", value_parser = crate::regions::parse,
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::regions))]
    pub regions: Vec<String>,

    /// Every EKS region of the profile's partition (opt-in regions an account has not enabled
    /// are skipped).
    #[arg(long, conflicts_with = "regions")]
    pub all_regions: bool,

    /// IAM role to assume (on top of each profile) for discovery and, later, for tokens.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// Name of the role sessions eks-kc starts, for discovery and later for the contexts'
    /// tokens (kept in each context): the --role-arn session, and those of the profiles' roles
    /// that set no `role_session_name` [default: eks-kc-<local user>]. Clusters see it in the
    /// assumed-role ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/NAME), as do CloudTrail and
    /// access entries' usernames, so it tells who ran kubectl. IAM Identity Center roles start
    /// no role session: their targets ignore it. 2 to 64 letters, digits or `_+=,.@-`.
    #[arg(long, value_name = "NAME", value_parser = crate::source::check_session_name)]
    pub role_session_name: Option<String>,

    /// Discover through IAM Identity Center: every account and role of this `[sso-session NAME]`
    /// of the AWS config (repeatable). Uses the login `aws sso login --sso-session NAME` or
    /// `eks-kc login --sso-session NAME` left in ~/.aws/sso/cache; no profile is needed.
    #[arg(long = "sso-session", value_name = "NAME", conflicts_with_all = ["all_profiles", "role_arn"],
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::sso_sessions))]
    pub sso_sessions: Vec<String>,

    /// Discover through the IAM Identity Center portal at this start URL, without an
    /// `[sso-session]` section (the login is the AWS CLI's legacy, non-refreshable one).
    #[arg(long, value_name = "URL", requires = "sso_region",
          conflicts_with_all = ["all_profiles", "role_arn"])]
    pub sso_start_url: Option<String>,

    /// The IAM Identity Center region of `--sso-start-url`.
    #[arg(long, value_name = "REGION", requires = "sso_start_url", value_parser = crate::regions::parse)]
    pub sso_region: Option<String>,

    /// Permission set (role) to use in each account, repeatable: a preference order, the first
    /// one an account has wins [default: every role of every account].
    #[arg(long = "sso-role", value_name = "ROLE")]
    pub sso_roles: Vec<String>,

    /// Accounts to include, by id or name; `*` and `?` are wildcards (repeatable) [default: every
    /// account].
    #[arg(long = "account", value_name = "ID-OR-NAME-GLOB")]
    pub accounts: Vec<String>,

    /// IAM Identity Center targets that do not come from the command line (the config file's,
    /// each with its own role and account filters). Used when no `--sso-session` or
    /// `--sso-start-url` is given.
    #[arg(skip)]
    pub saved_sso: Vec<SsoSpec>,

    /// Name of new contexts and clusters; variables: {cluster} {region} {profile} {account}
    /// {account_name} {role} {sso_session} [default: {cluster}.{region}.{profile}; for IAM
    /// Identity Center targets {cluster}.{region}.{account_name}, with .{role} appended when an
    /// account has more than one role synced].
    #[arg(long, value_name = "TEMPLATE")]
    pub name_template: Option<String>,

    /// Remove eks-kc's entries for clusters that no longer exist (only in targets listed
    /// successfully in this run).
    #[arg(long, overrides_with = "no_prune")]
    pub prune: bool,

    /// Do not prune, even when the config file says `prune: true`.
    #[arg(long, overrides_with = "prune")]
    pub no_prune: bool,

    /// Save this run's targets and options (the command line's, and the saved ones it did not
    /// replace) in the config file, print them, then sync. With --dry-run: print what would be
    /// saved, save nothing.
    #[arg(long)]
    pub save: bool,

    /// Show what would change; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// Summary format: text on stderr, or JSON on stdout.
    #[arg(long, short = 'o', value_enum, default_value_t = SyncOutput::Text)]
    pub output: SyncOutput,

    /// How many AWS API calls may be in flight at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Whether --concurrency was on the command line (clap fills in its default otherwise):
    /// only then does it replace the config file's `concurrency`. Set by [`SyncArgs::note_sources`].
    #[arg(skip)]
    pub concurrency_given: bool,

    /// The kubeconfig to write [default: the KUBECONFIG file holding eks-kc's entries, else the
    /// first KUBECONFIG file, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The exec command written into eks-kc's users [default: the absolute path of the
    /// `eks-kc` that PATH finds, when that is this binary (links are kept, so a package
    /// manager's stable link survives upgrades), else this binary's path]. An absolute path
    /// works in GUI and IDE clients started from a desktop, which do not get the shell's PATH.
    #[arg(long, value_name = "COMMAND")]
    pub exec_command: Option<String>,

    /// How contexts authenticate: `shared` writes one generic user `eks-kc` for every context
    /// (the cluster comes from the cluster's exec extension, which clients built on client-go
    /// pass: kubectl, k9s, Lens, Headlamp, Python kubernetes 34.1+); `per-context` writes a user
    /// `eks-kc@<context>` per context whose args name the cluster, for every other client
    /// (older Python kubernetes, kubernetes_asyncio, lightkube, kr8s, JavaScript client-node)
    /// [default: the style the kubeconfig already uses, else shared].
    #[arg(long, value_enum, value_name = "STYLE")]
    pub exec_style: Option<ExecStyleArg>,

    /// Seconds to wait for another kubectl or eks-kc to release the kubeconfig lock.
    #[arg(long, value_name = "SECONDS",
          default_value_t = crate::settings::DEFAULT_LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// `--concurrency`'s default.
pub const DEFAULT_CONCURRENCY: u16 = 128;

const SYNC_EXAMPLES: &str = "\
Examples:

  eks-kc sync                                  # AWS_PROFILE (or default), its region
  eks-kc sync -p dev -p prod -r eu-west-1 -r us-east-1
  eks-kc sync --all-profiles --all-regions --prune
  eks-kc sync --dry-run -o json | jq .added
  eks-kc sync --name-template '{profile}-{cluster}'
  eks-kc sync --sso-session corp --sso-role ReadOnly --all-regions
  eks-kc sync --sso-session corp --account 'prod-*' --account 111122223333 -r eu-west-1
  eks-kc sync -p dev -p prod -r eu-west-1 --prune --save   # then a bare `eks-kc sync`
  eks-kc sync -r us-west-2                     # the saved profiles, in another region

Config file: ~/.config/eks-kc/config.yaml on Linux ($XDG_CONFIG_HOME/eks-kc/config.yaml),
~/Library/Application Support/eks-kc/config.yaml on macOS; EKS_KC_CONFIG names another.
No file means the defaults above. Every key is optional; keys are spelled like the flags:

  sync:
    profiles: [dev, prod]         # or: all-profiles: true
    regions: [eu-west-1, us-east-1]   # or: all-regions: true
    # role-arn: arn:aws:iam::111122223333:role/eks-discovery   # on each profile; not with sso
    role-session-name: alice-laptop   # eks-kc's role sessions [eks-kc-<local user>]
    sso:                          # IAM Identity Center logins, each with its own filters
      - session: corp             # an [sso-session corp] of the AWS config
        roles: [ReadOnly, Admin]  # preference order, first one an account has [every role]
        accounts: ['prod-*', '111122223333']   # ids or names, * and ? wildcards [all]
      - start-url: https://legacy.awsapps.com/start   # no [sso-session] section:
        sso-region: us-east-1                         #   its Identity Center region
    name-template: '{cluster}.{region}.{profile}'
    prune: true
    exec-style: per-context       # or shared
    concurrency: 32               # 1 to 1024

A key eks-kc does not know, a value of the wrong type, a malformed region, a name template
without {cluster}, or both profiles and all-profiles is an error naming the file, the line and
the key (with the nearest known key for a typo); nothing is synced until it is fixed.
Top-level sections other than sync belong to other commands. --save rewrites only the sync
section (comments inside it are not kept; the rest of the file is kept byte for byte), keeps
the file's mode (a new file is 0600, in a 0700 directory) and writes atomically.
";

pub use crate::config::SsoSpec;

impl SyncArgs {
    /// Records whether --concurrency was on the command line (`matches` are sync's), which
    /// clap derive cannot tell from its default.
    pub fn note_sources(&mut self, matches: &clap::ArgMatches) {
        self.concurrency_given = matches
            .value_source("concurrency")
            .is_some_and(|s| s != clap::parser::ValueSource::DefaultValue);
    }

    /// The IAM Identity Center targets of this run: the command line's (every `--sso-session`,
    /// and `--sso-start-url`, sharing `--sso-role` and `--account`), else the saved ones.
    pub fn sso_specs(&self) -> Vec<SsoSpec> {
        let mut specs: Vec<SsoSpec> = self
            .sso_sessions
            .iter()
            .map(|s| SsoSpec {
                session: Some(s.clone()),
                ..SsoSpec::default()
            })
            .collect();
        if let Some(url) = &self.sso_start_url {
            specs.push(SsoSpec {
                start_url: Some(url.clone()),
                region: self.sso_region.clone(),
                ..SsoSpec::default()
            });
        }
        if specs.is_empty() {
            return self.saved_sso.clone();
        }
        for s in &mut specs {
            s.roles = self.sso_roles.clone();
            s.accounts = self.accounts.clone();
        }
        specs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecStyleArg {
    /// One generic `eks-kc` user; needs a client that passes the cluster (client-go).
    Shared,
    /// A user per context whose args name the cluster; works with every client.
    PerContext,
}

impl From<ExecStyleArg> for ExecStyle {
    fn from(arg: ExecStyleArg) -> Self {
        match arg {
            ExecStyleArg::Shared => ExecStyle::Shared,
            ExecStyleArg::PerContext => ExecStyle::PerContext,
        }
    }
}

impl From<ExecStyle> for ExecStyleArg {
    fn from(style: ExecStyle) -> Self {
        match style {
            ExecStyle::Shared => ExecStyleArg::Shared,
            ExecStyle::PerContext => ExecStyleArg::PerContext,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncOutput {
    /// A human summary on stderr (`table` works too, as for the other commands).
    #[value(alias = "table")]
    Text,
    /// A JSON report on stdout (the summary still goes to stderr).
    Json,
}

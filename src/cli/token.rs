//! `eks-kc token`'s flags (clap types only; the doc comments are the help text).

use clap::{Args, ValueEnum};

use super::{CacheDir, Verbosity};

/// Print an EKS bearer token as a client-go ExecCredential (the kubectl exec plugin).
///
/// kubectl runs this for every request that needs credentials. Cluster, region, profile and role
/// come from the flags, else from the cluster's `client.authentication.k8s.io/exec` kubeconfig
/// extension (passed by kubectl in KUBERNETES_EXEC_INFO when the user sets
/// `provideClusterInfo: true`), else from AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION and the
/// profile's region.
///
/// Tokens are cached on disk (files 0600 in a 0700 directory) and served until they come within
/// the refresh margin of their expiry, so repeated and parallel kubectl calls sign once.
///
/// When an IAM Identity Center login or an MFA session has expired, one call signs in for all:
/// an interactive one (kubectl on a terminal) in the browser or with a device code; the others
/// wait for it (up to EKS_KC_SIGN_IN_TIMEOUT, default 10m, plus --timeout), non-interactive
/// ones with nobody signing in fail at once naming the command to run. A failed sign-in is
/// remembered for EKS_KC_SIGN_IN_COOLDOWN (default 60s): calls fail at once with its line.
#[derive(Debug, Args)]
#[command(after_long_help = TOKEN_EXAMPLES)]
pub struct TokenArgs {
    /// EKS cluster name the token is for (signed into the token as x-k8s-aws-id). Typed alone
    /// (no --region, --profile or other flag of who signs, and not run by kubectl), an alias
    /// (`eks-kc alias`) stands for its context, as with --context, unless a context of the
    /// kubeconfig has a cluster of that name.
    #[arg(long, short = 'c', value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// An EKS local cluster on AWS Outposts: its cluster id, which such a cluster expects in the
    /// token instead of the name (as `aws eks get-token --cluster-id`); `sync` records it.
    #[arg(long, value_name = "ID")]
    pub cluster_id: Option<String>,

    /// AWS region of the cluster; selects the STS endpoint named in the token.
    // Checked when used, not by clap: a plugin's failure is one line on stderr, exit 1.
    #[arg(long, value_name = "REGION",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::regions))]
    pub region: Option<String>,

    /// AWS profile whose credentials sign the token.
    #[arg(long, value_name = "PROFILE",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::profiles))]
    pub profile: Option<String>,

    /// IAM role to assume (with STS AssumeRole) on top of the profile's credentials.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// Name of the role sessions eks-kc starts: the --role-arn session, and those of the
    /// profile's roles that set no `role_session_name` [default: eks-kc-<local user>]. The
    /// cluster sees it in the assumed-role ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/NAME),
    /// as do CloudTrail and the username of an access entry, so it tells who ran kubectl.
    /// 2 to 64 letters, digits or `_+=,.@-`.
    #[arg(long, value_name = "NAME", value_parser = crate::source::check_session_name)]
    pub role_session_name: Option<String>,

    #[command(flatten)]
    pub sso: SsoRoleArgs,

    /// Sign for this context of the kubeconfig, exactly as kubectl would for it (its cluster,
    /// region and identity): a context name, an alias (`eks-kc alias`), or a unique prefix or
    /// substring. For curl and scripts; kubectl itself never needs it.
    #[arg(long, value_name = "CONTEXT",
          conflicts_with_all = ["cluster_name", "cluster_id", "region", "profile", "role_arn",
                                "sso_session", "sso_start_url", "sso_region", "account_id",
                                "role_name"],
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
    pub context: Option<String>,

    /// The kubeconfig that defines --context [default: KUBECONFIG's files, else
    /// ~/.kube/config].
    #[arg(long, value_name = "FILE", requires = "context")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// What to print on stdout.
    #[arg(long, short = 'o', value_enum, default_value_t = TokenOutput::ExecCredential)]
    pub output: TokenOutput,

    /// Renew a cached token when less than this is left before it expires (e.g. 300s, 5m).
    #[arg(long, env = "EKS_KC_REFRESH_MARGIN", hide_env_values = true, value_name = "DURATION",
          default_value = "5m", value_parser = crate::duration::parse_margin)]
    pub refresh_margin: chrono::Duration,

    /// Sign a fresh token and leave the cache alone.
    #[arg(long)]
    pub no_cache: bool,

    /// Wait at most this long for another eks-kc working on the same cluster or identity (e.g.
    /// 10s); a call kubectl runs non-interactively does not wait behind an MFA prompt at all.
    #[arg(long, env = "EKS_KC_LOCK_TIMEOUT", hide_env_values = true, value_name = "DURATION",
          default_value = "10s",
          value_parser = crate::duration::parse_duration)]
    pub lock_timeout: chrono::Duration,

    /// Give up on the network (STS, SSO, container or instance credentials) after this long,
    /// retries included (e.g. 15s).
    #[arg(long, env = "EKS_KC_TIMEOUT", hide_env_values = true, value_name = "DURATION",
          default_value = "15s",
          value_parser = crate::duration::parse_positive_duration)]
    pub timeout: chrono::Duration,

    #[command(flatten)]
    pub cache: CacheDir,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

const TOKEN_EXAMPLES: &str = "\
A kubeconfig user that works for every EKS cluster:

  users:
  - name: eks-kc
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: eks-kc
        args: [token]
        provideClusterInfo: true
        interactiveMode: IfAvailable

and on each cluster the settings eks-kc needs:

  clusters:
  - name: prod
    cluster:
      server: https://ABC.gr7.eu-west-1.eks.amazonaws.com
      certificate-authority-data: LS0t...
      extensions:
      - name: client.authentication.k8s.io/exec
        extension: {clusterName: prod, region: eu-west-1, profile: ops}

For curl and scripts:

  curl -H \"Authorization: Bearer $(eks-kc token -c prod --region eu-west-1 -o token)\" ...
  curl -H \"Authorization: Bearer $(eks-kc token --context prod -o token)\" ...   # a context or alias
";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenOutput {
    /// A client-go ExecCredential JSON object (what kubectl expects).
    ExecCredential,
    /// The bare bearer token, for curl and scripts.
    Token,
}

/// An IAM Identity Center account and role to sign as, instead of a profile (what `sync
/// --sso-session` writes into a context).
#[derive(Debug, Args, Clone, Default)]
pub struct SsoRoleArgs {
    /// IAM Identity Center session (an `[sso-session NAME]` of the AWS config) whose login gets
    /// the role's credentials (GetRoleCredentials).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["profile", "sso_start_url"],
          requires_all = ["account_id", "role_name"])]
    pub sso_session: Option<String>,

    /// IAM Identity Center start URL, for a login without an `[sso-session]` section.
    #[arg(long, value_name = "URL", conflicts_with = "profile", requires_all = ["account_id", "role_name", "sso_region"])]
    pub sso_start_url: Option<String>,

    /// IAM Identity Center region [default: the `[sso-session]` section's `sso_region`].
    #[arg(long, value_name = "REGION")]
    pub sso_region: Option<String>,

    /// AWS account id of the IAM Identity Center role.
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// IAM Identity Center role (permission set) name.
    #[arg(long, value_name = "ROLE")]
    pub role_name: Option<String>,
}

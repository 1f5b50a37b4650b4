//! `eks-kc adopt`'s arguments (clap types only).

use std::path::PathBuf;

use clap::Args;

use super::{ExecStyleArg, ListOutput};

/// Serve existing EKS contexts through `eks-kc token`, names unchanged
///
/// Rewrites the user of each chosen context written by the AWS CLI (`aws eks get-token`), by
/// eksctl or by hand (`aws-iam-authenticator token`) so it runs `eks-kc token` for the same
/// cluster, region, profile and role, with the same `env`; the user's other fields
/// (impersonation: `as`, `as-groups`) stay. A context whose command has a flag or an env
/// variable eks-kc cannot follow exactly is not adopted, and the reason is printed. Context
/// names, clusters and namespaces stay as they are. The original user is kept in eks-kc's
/// marker extension: `eks-kc adopt --undo` (or `eks-kc forget`) puts it back, a context renamed
/// since included. A user that also serves a context not adopted (in any file of KUBECONFIG) is
/// left as it is; the adopted context gets a user of its own, `eks-kc@CONTEXT`. A file kubectl
/// refuses (two entries of one name) is refused too.
///
/// Examples:
///
///   eks-kc adopt --all --dry-run
///   eks-kc adopt arn:aws:eks:eu-west-1:111122223333:cluster/prod
///   eks-kc adopt --undo --all
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AdoptArgs {
    /// The contexts to adopt (or with --undo, to restore).
    #[arg(value_name = "CONTEXT", required_unless_present = "all", conflicts_with = "all",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
    pub contexts: Vec<String>,

    /// Every EKS context eks-kc does not serve yet (with --undo: every adopted context).
    #[arg(long)]
    pub all: bool,

    /// Restore the chosen adopted contexts to the users they had before.
    #[arg(long)]
    pub undo: bool,

    /// Show what would change; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// Output format: a summary, or the changes as JSON.
    #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
    pub output: ListOutput,

    /// How adopted users authenticate: `shared` (`eks-kc token`, the cluster's exec extension
    /// names the cluster) or `per-context` (the user's args name it) [default: the style the
    /// kubeconfig already uses, else shared].
    #[arg(long, value_enum, value_name = "STYLE")]
    pub exec_style: Option<ExecStyleArg>,

    /// The command adopted users run [default: this eks-kc's absolute path].
    #[arg(long, value_name = "COMMAND")]
    pub exec_command: Option<String>,

    /// The kubeconfig to change [default: every file of KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Seconds to wait for another kubectl or eks-kc to release the kubeconfig lock.
    #[arg(long, value_name = "SECONDS",
          default_value_t = crate::settings::DEFAULT_LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,
}

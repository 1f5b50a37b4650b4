//! `eks-kc cache status|clear`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::ListOutput;

/// Inspect or clear the token cache.
#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,

    /// Where tokens are cached [default: the platform cache dir, ~/.cache/eks-kc on Linux].
    #[arg(
        long,
        env = "EKS_KC_CACHE_DIR",
        hide_env_values = true,
        value_name = "DIR",
        global = true
    )]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Show the cache location and each cached token: cluster, region, identity, time left.
    Status {
        /// Output format.
        #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
        output: ListOutput,
    },
    /// Remove cached tokens and temporary AWS credentials: all of them, or one context's token.
    ///
    /// Without --context: every token and every cached session credential (assume-role, MFA,
    /// IAM Identity Center), so the next call signs in again. With --context: that context's
    /// token only.
    Clear {
        /// Only this context's token (its identity's credentials are kept). The names `use`
        /// takes work: an alias, a unique prefix or substring.
        #[arg(long, value_name = "CONTEXT",
              add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
        context: Option<String>,

        /// The kubeconfig that defines --context.
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
    },
}

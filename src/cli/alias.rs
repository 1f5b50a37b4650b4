//! `eks-kc alias`'s flags (clap types only; the doc comments are the help text).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::ListOutput;

/// Short names for contexts, kept in the config file.
///
/// An alias works wherever eks-kc takes a context: `use`, `doctor`, `cache clear --context`,
/// `token --context`, and shell completion. The kubeconfig keeps the real name: `eks-kc use
/// prod` writes `current-context: prod.eu-west-1.ops`, and kubectl and every other tool see
/// that. An exact context name always wins over an alias; an alias that equals a context name
/// is refused.
///
/// Aliases live in the `aliases:` section of the config file (`eks-kc config path`), which
/// `alias set` and `alias rm` rewrite under `<file>.lock`, keeping the rest of the file byte
/// for byte (a new file is 0600).
///
/// Examples:
///
///   eks-kc alias set prod prod.eu-west-1.ops
///   eks-kc alias set stg staging            # a unique prefix or substring is resolved now
///   eks-kc use prod
///   eks-kc alias list -o json
///   eks-kc alias rm stg
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AliasArgs {
    #[command(subcommand)]
    pub action: AliasAction,
}

#[derive(Debug, Subcommand)]
pub enum AliasAction {
    /// Make ALIAS a name for CONTEXT (replacing what it named before).
    ///
    /// CONTEXT is a context name, a unique prefix or substring of one (as `use` takes it), or
    /// another alias; the full name is saved. ALIAS is 1 to 63 letters, digits, '.', '_' and
    /// '-', starting with a letter or digit, and must not be the name of a context.
    Set {
        /// The short name.
        #[arg(value_name = "ALIAS")]
        alias: String,

        /// The context it stands for.
        #[arg(value_name = "CONTEXT",
              add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
        context: String,

        /// The kubeconfig whose contexts CONTEXT is checked against [default: KUBECONFIG's
        /// files, else ~/.kube/config].
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
    },
    /// Remove aliases.
    Rm {
        /// The aliases to remove.
        #[arg(value_name = "ALIAS", required = true,
              add = clap_complete::engine::ArgValueCandidates::new(crate::complete::aliases))]
        aliases: Vec<String>,
    },
    /// List the aliases, with the context each stands for and whether the kubeconfig has it.
    ///
    /// STATE is `ok`, `missing` (the kubeconfig has no such context: `alias set` it again or
    /// `alias rm` it) or `shadowed` (a context now has the alias's own name, and wins).
    List {
        /// Output format.
        #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
        output: ListOutput,

        /// The kubeconfig whose contexts are checked [default: KUBECONFIG's files, else
        /// ~/.kube/config].
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
    },
}

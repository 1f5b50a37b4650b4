//! `eks-kc config`'s flags (clap types only; the doc comments are the help text).

use clap::{Args, Subcommand};

use super::ListOutput;

/// Show where eks-kc's config file is and what it says.
///
/// The config file holds the targets and options a bare `eks-kc sync` runs with (see `eks-kc
/// sync --help` for its keys, and `eks-kc sync ... --save` to write it). Its path is
/// EKS_KC_CONFIG when set, else config.yaml in the platform config directory
/// (~/.config/eks-kc/config.yaml on Linux, honouring XDG_CONFIG_HOME).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path (whether or not it exists).
    Path,
    /// Check the config file and print the settings a bare `eks-kc sync` uses, with the line
    /// each comes from (exit 1, naming file, line and key, when it is not valid).
    Show {
        /// Output format: text (YAML with the source of each setting), or JSON.
        #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
        output: ListOutput,
    },
}

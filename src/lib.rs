//! eks-kc: discover Amazon EKS clusters and authenticate kubectl to them from a local cache.
//!
//! Pure logic (token format, cache policy, exec protocol) is kept apart from the I/O edges
//! (`aws` for the network, `store` for the filesystem) so it can be tested without either.

pub mod aws;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod exec;
pub mod exit;
pub mod kubeconfig;
pub mod kubefile;
pub mod paths;
pub mod regions;
pub mod secret;
pub mod store;
pub mod token;

use std::io::Write;

use anyhow::Result;

/// Runs a parsed command line, writing data to `out`; returns the exit code (see `exit`).
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> Result<u8> {
    match &cli.command {
        cli::Command::Token(args) => {
            let cache_dir = paths::cache_dir(cli.cache_dir.as_deref())?;
            cmd::token::run(args, &cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Sync(args) => cmd::sync::run(args, out),
    }
}

//! eks-kc: discover Amazon EKS clusters and authenticate kubectl to them from a local cache.
//!
//! Pure logic (token format, cache policy, exec protocol) is kept apart from the I/O edges
//! (`aws` for the network, `store` for the filesystem) so it can be tested without either.

pub mod aws;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod credcache;
pub mod doctor;
pub mod exec;
pub mod exit;
pub mod generate;
pub mod kubeconfig;
pub mod kubefile;
pub mod paths;
pub mod provenance;
pub mod regions;
pub mod secret;
pub mod signals;
pub mod store;
pub mod summary;
pub mod token;
pub mod verify;

use std::io::Write;

use anyhow::Result;

/// The directory eks-kc keeps its cache in: the configured one, or its private subdirectory
/// when the configured one is shared (see `store::effective_dir`).
fn cache_dir(cli: &cli::Cli) -> Result<std::path::PathBuf> {
    Ok(store::effective_dir(&paths::cache_dir(
        cli.global.cache_dir.as_deref(),
    )?))
}

/// Runs a parsed command line, writing data to `out`; returns the exit code (see `exit`).
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> Result<u8> {
    match &cli.command {
        cli::Command::Token(args) => {
            let cache_dir = cache_dir(&cli)?;
            cmd::token::run(args, &cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Sync(args) => cmd::sync::run(args, out),
        cli::Command::List(args) => {
            let cache_dir = cache_dir(&cli)?;
            cmd::list::run(args, &cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Use(args) => cmd::switch::run(args, out).map(|()| exit::SUCCESS),
        cli::Command::Login(args) => {
            let cache_dir = cache_dir(&cli)?;
            cmd::login::run(args, &cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Verify(args) => {
            let cache_dir = cache_dir(&cli)?;
            cmd::verify::run(args, &cache_dir, out)
        }
        cli::Command::Doctor(args) => {
            let cache_dir = cache_dir(&cli)?;
            cmd::doctor::run(args, &cache_dir, out)
        }
        cli::Command::Cache(args) => {
            let cache_dir = cache_dir(&cli)?;
            match &args.action {
                cli::CacheAction::Status { output } => cmd::cache::status(&cache_dir, *output, out),
                cli::CacheAction::Clear {
                    context,
                    kubeconfig,
                } => cmd::cache::clear(&cache_dir, context.as_deref(), kubeconfig.as_deref(), out),
            }
            .map(|()| exit::SUCCESS)
        }
        cli::Command::Completions(args) => {
            out.write_all(&generate::completion_script(args.shell))?;
            Ok(exit::SUCCESS)
        }
        cli::Command::Man(_) => {
            out.write_all(&generate::man_page(&generate::command())?)?;
            Ok(exit::SUCCESS)
        }
    }
}

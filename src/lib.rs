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
pub mod diagnose;
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
pub mod tokens;
pub mod verify;

use std::io::Write;

use anyhow::Result;

/// The directory eks-kc keeps its cache in: `--cache-dir` on the subcommand, else before it
/// (the environment is read by clap), else the platform's; or its private subdirectory when
/// that one is shared (see `store::effective_dir`).
fn cache_dir(on_command: Option<&std::path::Path>, cli: &cli::Cli) -> Result<std::path::PathBuf> {
    Ok(store::effective_dir(&paths::cache_dir(
        on_command.or(cli.global.cache_dir.as_deref()),
    )?))
}

/// How verbose to be: `-v` before the subcommand plus `-v` on it.
pub fn verbosity(cli: &cli::Cli) -> u8 {
    let on_command = match &cli.command {
        cli::Command::Sync(a) => a.verbosity.verbose,
        cli::Command::Token(a) => a.verbosity.verbose,
        cli::Command::Login(a) => a.verbosity.verbose,
        cli::Command::Verify(a) => a.verbosity.verbose,
        cli::Command::Doctor(a) => a.verbosity.verbose,
        _ => 0,
    };
    cli.global.verbose.saturating_add(on_command)
}

/// Runs a parsed command line, writing data to `out`; returns the exit code (see `exit`).
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> Result<u8> {
    let dir_of = |on_command: &cli::CacheDir| cache_dir(on_command.cache_dir.as_deref(), &cli);
    match &cli.command {
        cli::Command::Token(args) => {
            let cache_dir = dir_of(&args.cache)?;
            cmd::token::run(args, &cache_dir, out)
                .map(|()| exit::SUCCESS)
                .map_err(diagnose::explain)
        }
        cli::Command::Sync(args) => cmd::sync::run(args, out),
        cli::Command::List(args) => {
            let cache_dir = dir_of(&args.cache)?;
            cmd::list::run(args, &cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Use(args) => cmd::switch::run(args, out).map(|()| exit::SUCCESS),
        cli::Command::Login(args) => {
            let cache_dir = dir_of(&args.cache)?;
            cmd::login::run(args, &cache_dir, out)
                .map(|()| exit::SUCCESS)
                .map_err(diagnose::explain)
        }
        cli::Command::Verify(args) => {
            let cache_dir = dir_of(&args.cache)?;
            cmd::verify::run(args, &cache_dir, out).map_err(diagnose::explain)
        }
        cli::Command::Doctor(args) => {
            let cache_dir = dir_of(&args.cache)?;
            cmd::doctor::run(args, &cache_dir, out)
        }
        cli::Command::Cache(args) => {
            let cache_dir = cache_dir(args.cache_dir.as_deref(), &cli)?;
            match &args.action {
                cli::CacheAction::Status { output } => cmd::cache::status(&cache_dir, *output, out),
                cli::CacheAction::Clear {
                    context,
                    kubeconfig,
                } => cmd::cache::clear(&cache_dir, context.as_deref(), kubeconfig.as_deref(), out),
            }
            .map(|()| exit::SUCCESS)
        }
        cli::Command::Forget(args) => cmd::forget::run(args, out),
        cli::Command::Completions(args) => {
            out.write_all(&generate::completion_script(args.shell))?;
            Ok(exit::SUCCESS)
        }
        cli::Command::Man(args) => cmd::man::run(args, out).map(|()| exit::SUCCESS),
    }
}

//! eks-kc: discover Amazon EKS clusters and authenticate kubectl to them from a local cache.
//!
//! Pure logic (token format, cache policy, exec protocol) is kept apart from the I/O edges
//! (`aws` for the network, `store` for the filesystem) so it can be tested without either.

pub mod access;
pub mod advice;
pub mod aws;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod config;
pub mod display;
pub mod doctor;
pub mod duration;
pub mod engine;
pub mod exec;
pub mod exit;
pub mod generate;
pub mod hashes;
pub mod kubeconfig;
pub mod logging;
pub mod paths;
pub mod problem;
pub mod regions;
pub mod secret;
pub mod settings;
pub mod shell;
pub mod signals;
pub mod source;
pub mod ssotoken;
pub mod store;
pub mod token;

use std::io::Write;

use anyhow::Result;

/// The settings of a command: `--cache-dir` on the subcommand, else before it, and the flags
/// in `flags`; the environment for the rest (see `settings`).
fn settings(
    cache_dir: Option<&std::path::Path>,
    cli: &cli::Cli,
    flags: settings::Flags<'_>,
) -> Result<settings::Settings> {
    settings::Settings::resolve(
        settings::Flags {
            cache_dir: cache_dir.or(cli.global.cache_dir.as_deref()),
            ..flags
        },
        crate::settings::env::var,
    )
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
    let plain = |on_command: &cli::CacheDir| {
        settings(
            on_command.cache_dir.as_deref(),
            &cli,
            settings::Flags::default(),
        )
    };
    match &cli.command {
        cli::Command::Token(args) => {
            let settings = settings(
                args.cache.cache_dir.as_deref(),
                &cli,
                settings::Flags {
                    refresh_margin: Some(args.refresh_margin),
                    lock_timeout: args.lock_timeout.to_std().ok(),
                    timeout: args.timeout.to_std().ok(),
                    ..settings::Flags::default()
                },
            )?;
            cmd::token::run(args, &settings, out)
                .map(|()| exit::SUCCESS)
                .map_err(advice::explain)
        }
        cli::Command::Sync(args) => {
            let settings = settings(None, &cli, settings::Flags::default())?;
            let config_file = settings::config_file(crate::settings::env::var);
            let json = args.output == cli::SyncOutput::Json;
            let result = cmd::config::sync_args(
                args,
                config_file,
                settings.limits.lock,
                &mut std::io::stderr(),
            )
            .and_then(|args| cmd::sync::run(&args, &settings, out));
            // A JSON consumer gets JSON even when the run could not start.
            if let (Err(e), true) = (&result, json) {
                let _ = writeln!(out, "{}", serde_json::json!({ "error": format!("{e:#}") }));
            }
            result
        }
        cli::Command::List(args) => {
            let settings = settings(
                args.cache.cache_dir.as_deref(),
                &cli,
                settings::Flags {
                    refresh_margin: Some(args.refresh_margin),
                    ..settings::Flags::default()
                },
            )?;
            cmd::list::run(args, &settings, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Use(args) => cmd::switch::run(args, out).map(|()| exit::SUCCESS),
        cli::Command::Ns(args) => cmd::switch::run_ns(args, out).map(|()| exit::SUCCESS),
        cli::Command::Prompt(args) => {
            // A prompt without a cache directory (no HOME) still works, parsing each time.
            let settings = plain(&args.cache).ok();
            let cache_dir = settings.as_ref().and_then(|s| s.cache_dir().ok());
            cmd::prompt::run(args, cache_dir, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Init(args) => cmd::init::run(args, out).map(|()| exit::SUCCESS),
        cli::Command::Login(args) => cmd::login::run(args, &plain(&args.cache)?, out)
            .map(|()| exit::SUCCESS)
            .map_err(advice::explain),
        cli::Command::Verify(args) => {
            cmd::verify::run(args, &plain(&args.cache)?, out).map_err(advice::explain)
        }
        cli::Command::Doctor(args) => cmd::doctor::run(args, &plain(&args.cache)?, out),
        cli::Command::Cache(args) => {
            let settings = settings(args.cache_dir.as_deref(), &cli, settings::Flags::default())?;
            let cache_dir = settings.cache_dir()?.to_path_buf();
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
        cli::Command::Adopt(args) => cmd::adopt::run(args, out),
        cli::Command::Config(args) => {
            let config_file = settings::config_file(crate::settings::env::var);
            cmd::config::run(args, config_file, out).map(|()| exit::SUCCESS)
        }
        cli::Command::Completions(args) => {
            out.write_all(&generate::completion_script(args.shell))?;
            Ok(exit::SUCCESS)
        }
        cli::Command::Man(args) => cmd::man::run(args, out).map(|()| exit::SUCCESS),
    }
}

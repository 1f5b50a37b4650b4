//! eks-kc: discover Amazon EKS clusters and authenticate kubectl to them from a local cache.
//!
//! Pure logic (token format, cache policy, exec protocol) is kept apart from the I/O edges
//! (`aws` for the network, `store` for the filesystem) so it can be tested without either.

pub mod access;
pub mod advice;
pub mod aws;
pub mod browser;
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
pub mod oauth;
pub mod paths;
pub mod problem;
pub mod recent;
pub mod regions;
pub mod secret;
pub mod settings;
pub mod shell;
pub mod signals;
pub mod signin;
pub mod source;
pub mod ssotoken;
pub mod store;
pub mod token;

use std::io::Write;

use anyhow::Result;

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

/// Runs a parsed command line, writing data to `out`; returns the exit code (see `exit`). Each
/// command resolves its own settings (flags over the config file and the environment).
pub fn run(cli: cli::Cli, out: &mut dyn Write) -> Result<u8> {
    use cli::Command as C;
    let g = &cli.global;
    let done = |r: Result<()>| r.map(|()| exit::SUCCESS);
    match &cli.command {
        C::Token(args) => cmd::token::main(args, g, out),
        C::Sync(args) => cmd::sync::main(args, g, out),
        C::List(args) => cmd::list::main(args, g, out),
        C::Use(args) => cmd::switch::run(args, out),
        C::Ns(args) => cmd::switch::run_ns(args, out),
        C::Prompt(args) => cmd::prompt::main(args, g, out),
        C::Init(args) => done(cmd::init::run(args, out)),
        C::Login(args) => cmd::login::main(args, g, out),
        C::Verify(args) => cmd::verify::main(args, g, out),
        C::Doctor(args) => cmd::doctor::main(args, g, out),
        C::Cache(args) => cmd::cache::main(args, g, out),
        C::Forget(args) => cmd::forget::run(args, out),
        C::Adopt(args) => cmd::adopt::run(args, out),
        C::Alias(args) => done(cmd::alias::run(args, out)),
        C::Config(args) => cmd::config::main(args, out),
        C::Completions(args) => {
            out.write_all(&generate::completion_script(args.shell))?;
            Ok(exit::SUCCESS)
        }
        C::Man(args) => done(cmd::man::run(args, out)),
    }
}

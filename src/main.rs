//! The eks-kc binary: parse, run, map the outcome to an exit code. Everything else is in the
//! library so it can be tested.

use std::io::{self, Write};
use std::process::ExitCode;

use eks_kc::{cli::Cli, exit};

fn main() -> ExitCode {
    // Shell completion calls back with COMPLETE set; anything else costs one env lookup.
    clap_complete::CompleteEnv::with_factory(eks_kc::generate::command)
        .var(eks_kc::generate::COMPLETE_VAR)
        .complete();
    // clap prints --help/--version itself and exits 0, or prints a usage error and exits 2.
    let cli = Cli::parse_fast();
    eks_kc::logging::init(eks_kc::verbosity(&cli));
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = eks_kc::run(cli, &mut out).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => exit::code(code),
        // `eks-kc list | head` closes the pipe early: that is the reader's choice, not a failure.
        Err(e) if is_broken_pipe(&e) => exit::code(exit::SUCCESS),
        Err(e) => {
            // One line: kubectl shows a plugin's stderr verbatim, so keep it readable.
            // Names in it may come from a kubeconfig or an AWS answer: escaped for the terminal.
            let msg = format!("{e:#}").replace('\n', " ");
            let msg = eks_kc::display::safe(&msg);
            let _ = writeln!(io::stderr(), "eks-kc: error: {msg}");
            exit::code(exit::FAILURE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

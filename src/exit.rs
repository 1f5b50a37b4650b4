//! Process exit codes, one meaning each, so scripts can branch on them.

use std::process::ExitCode;

/// Everything asked for was done.
pub const SUCCESS: u8 = 0;
/// The command failed; stderr says why and what to do.
pub const FAILURE: u8 = 1;
/// The command line was wrong (clap's own code for usage errors).
pub const USAGE: u8 = 2;
/// Part of the work was done: `sync` wrote what it could, but some targets failed or some
/// names conflicted. The summary lists them.
pub const PARTIAL: u8 = 3;

pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}

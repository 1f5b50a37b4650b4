//! Process exit codes, one meaning each, so scripts can branch on them.

use std::process::ExitCode;

/// Everything asked for was done.
pub const SUCCESS: u8 = 0;
/// The command failed, or (for `sync`) nothing could be done: stderr says why and what to do.
pub const FAILURE: u8 = 1;
/// The command line was wrong (clap's own code for usage errors).
pub const USAGE: u8 = 2;
/// Part of the work was done: `sync` wrote what it could, but some targets failed or some
/// names conflicted. The summary lists them.
pub const PARTIAL: u8 = 3;
/// The person left the picker of `use` or `ns` (Esc, Ctrl-C): nothing was changed. 128 + SIGINT,
/// as a shell reports a command stopped by Ctrl-C, and as fzf exits when it is left.
pub const CANCELLED: u8 = 130;

pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}

/// The exit code of a `sync` run, from how many (profile, region) targets were listed, whether
/// any failed, and whether any name conflicted. Nothing listed while something failed (no
/// credentials, no region, an unknown profile) is a failure: nothing could be done, and nothing
/// was written. A partial run is one that listed something but not everything.
pub fn sync_code(listed: usize, failed: usize, conflicts: usize) -> u8 {
    match (listed, failed, conflicts) {
        (0, 1.., _) => FAILURE,
        (_, 0, 0) => SUCCESS,
        _ => PARTIAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_command_line_exits_with_usage() {
        use clap::Parser;
        let err = crate::cli::Cli::try_parse_from(["eks-kc", "--no-such-flag"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(USAGE));
    }

    #[test]
    fn sync_codes_match_the_documentation() {
        // Every target failed: nothing could be done.
        assert_eq!(sync_code(0, 1, 0), FAILURE);
        assert_eq!(sync_code(0, 5, 0), FAILURE);
        // Some listed, some failed or conflicted: partial.
        assert_eq!(sync_code(1, 1, 0), PARTIAL);
        assert_eq!(sync_code(3, 0, 2), PARTIAL);
        // Everything listed and written (zero clusters is still success).
        assert_eq!(sync_code(2, 0, 0), SUCCESS);
        // Only targets in regions the account has not enabled: skipped, not failed.
        assert_eq!(sync_code(0, 0, 0), SUCCESS);
    }
}

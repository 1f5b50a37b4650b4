//! What the binary calls itself: `--version`'s text, and `eks-kc` or, run as the kubectl plugin
//! `kubectl-eks_kc`, `kubectl eks-kc` in help and usage.

/// What `--version` prints after the name: the version, the commit it was built from (`unknown`
/// when built without git, say from a source tarball) and the target it was built for, all
/// fixed at build time (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("EKS_KC_COMMIT"),
    ", ",
    env!("EKS_KC_TARGET"),
    ")"
);

/// The file name the kubectl plugin form is installed as (what krew installs):
/// `kubectl eks-kc ARGS` runs `kubectl-eks_kc ARGS`.
pub const PLUGIN_FILE_NAME: &str = "kubectl-eks_kc";

/// How this process was started, by the file name of `argv[0]`: `kubectl-eks_kc` (the kubectl
/// plugin form, possibly with an `.exe` suffix) or anything else (eks-kc itself). Both behave
/// the same; only the name in help and usage differs.
pub fn invoked_as_plugin(argv0: Option<&std::ffi::OsStr>) -> bool {
    argv0
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .is_some_and(|n| n == PLUGIN_FILE_NAME)
}

/// The command name help and usage show: `kubectl eks-kc` in the plugin form.
pub fn display_bin_name(argv0: Option<&std::ffi::OsStr>) -> &'static str {
    if invoked_as_plugin(argv0) {
        "kubectl eks-kc"
    } else {
        "eks-kc"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_form_is_told_by_argv0() {
        use std::ffi::OsStr;
        for (argv0, plugin) in [
            ("kubectl-eks_kc", true),
            ("/home/u/.krew/bin/kubectl-eks_kc", true),
            ("kubectl-eks_kc.exe", true),
            ("eks-kc", false),
            ("/usr/bin/eks-kc", false),
            ("kubectl-eks_kc2", false),
            ("", false),
        ] {
            assert_eq!(
                invoked_as_plugin(Some(OsStr::new(argv0))),
                plugin,
                "{argv0}"
            );
        }
        assert!(!invoked_as_plugin(None));
        assert_eq!(
            display_bin_name(Some(OsStr::new("kubectl-eks_kc"))),
            "kubectl eks-kc"
        );
        assert_eq!(display_bin_name(None), "eks-kc");
    }
}

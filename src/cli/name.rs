//! What the binary calls itself: `--version`'s text, and `eks-kc` or, run as the kubectl plugin
//! `kubectl-eks_kc`, `kubectl eks-kc` in help, usage and advice.

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

// The plugin form's name and how it is told live in display.rs (the bottom of the module graph),
// so every message that names an eks-kc command, wherever it is made, takes it from one place.
pub use crate::display::{PLUGIN_FILE_NAME, display_bin_name, invoked_as_plugin};

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

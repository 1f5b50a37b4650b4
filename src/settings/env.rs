//! The process environment, read here and nowhere else: every variable eks-kc looks at, its
//! own (`EKS_KC_*`, resolved into [`super::Settings`]) and those it shares with kubectl and the
//! AWS tools (`KUBECONFIG`, `KUBERNETES_EXEC_INFO`, `AWS_PROFILE`, `AWS_REGION`, the static
//! keys, `AWS_ENDPOINT_URL_STS`, `AWS_USE_FIPS_ENDPOINT`, `NO_COLOR`, `PATH`). Code that needs
//! a variable takes a lookup (`impl Fn(&str) -> Option<String>`, so tests pass their own) and
//! its caller hands it [`var`]; the AWS SDK reads the AWS variables itself as well.

use std::ffi::OsString;

/// `name`'s value; `None` when it is unset or not UTF-8.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `name`'s value as the OS has it (paths may be any bytes); `None` when unset.
pub fn var_os(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

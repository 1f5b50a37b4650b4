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

/// The local user's login name, for the role session names eks-kc starts: `USER`, else
/// `LOGNAME`, else the password database's entry for the effective user id.
pub fn local_user() -> Option<String> {
    let named = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    named("USER")
        .or_else(|| named("LOGNAME"))
        .or_else(password_entry_name)
}

/// Windows has no password database: the login name is `USERNAME`.
#[cfg(windows)]
fn password_entry_name() -> Option<String> {
    var("USERNAME").filter(|v| !v.trim().is_empty())
}

/// The name of the effective user in the password database (`getpwuid_r`).
#[cfg(unix)]
fn password_entry_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes only within `pwd`
    // and `buf` (whose length it is given) and sets `result` to `pwd` or null.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &raw mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &raw mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_str().ok().map(str::to_owned)
}

//! kubectl's credential plugin policy (kubectl >= 1.35): the `credentialPluginPolicy` and
//! `credentialPluginAllowlist` of the kuberc file kubectl reads, and whether they let kubectl
//! run a kubeconfig user's exec command. `doctor`, `sync` and `adopt` say when kubectl would
//! refuse eks-kc; nothing here ever changes the file.
//!
//! The rules, as kubectl 1.35.2 applies them (measured with the real binary, tests/it/kuberc.rs):
//! - The file: `--kuberc FILE`, else `KUBERC` (`off` disables it), else `~/.kube/kuberc`. Only a
//!   `kubectl.config.k8s.io/v1beta1` document carries the policy (v1alpha1 has no such fields).
//! - No policy and no allowlist: every plugin runs. `AllowAll`: every plugin runs. `DenyAll`:
//!   none (`plugin "eks-kc" not allowed: policy set to "DenyAll"`).
//! - `Allowlist`: the command is resolved through PATH to its path (no symlink resolution); an
//!   entry admits it when the entry is that exact path, or a bare name that PATH resolves to the
//!   same path. Otherwise `plugin path "..." is not permitted by the credential plugin allowlist`.
//! - A policy kubectl cannot apply fails every kubectl command, plugin or not: an unknown policy
//!   (case matters), `Allowlist` with no or an empty list, a list with another policy, an entry
//!   without `name` (kubectl 1.36 spells it `command:`, which 1.35 reads as an empty entry), or an
//!   entry path that is not clean (`/a/../b`).
//!
//! Pure but for [`locate`] and [`read`] (the file) and the PATH look-up passed in.

use std::path::{Component, Path, PathBuf};

use serde_yaml::Value;

/// The environment variable that names kubectl's kuberc (or `off`).
pub const KUBERC_VAR: &str = "KUBERC";

/// kubectl's policy for running credential plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    AllowAll,
    DenyAll,
    /// The entries' `name`s, in order (an entry without one is refused while parsing).
    Allowlist(Vec<String>),
}

/// What kubectl does with one exec command under a kuberc.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// kubectl runs it; the reason (the policy, or the entry that admits it).
    Admitted(String),
    /// kubectl refuses this plugin, with the reason as kubectl gives it.
    Refused(String),
    /// kubectl refuses the kuberc itself: every kubectl command fails, with this reason.
    Broken(String),
}

/// A kuberc kubectl would read, and its verdict on one command.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Judged {
    pub file: PathBuf,
    pub command: String,
    pub verdict: Verdict,
}

impl Judged {
    /// Whether kubectl would not run the command (refused, or the file itself refused).
    pub fn refuses(&self) -> bool {
        !matches!(self.verdict, Verdict::Admitted(_))
    }

    /// One line saying why kubectl would not run the command, naming the file and field.
    pub fn problem(&self) -> Option<String> {
        let file = self.file.display();
        match &self.verdict {
            Verdict::Admitted(_) => None,
            Verdict::Refused(why) => Some(format!(
                "kubectl would refuse to run `{}`: {} (credentialPluginPolicy in {file})",
                crate::display::safe(&self.command),
                crate::display::safe(why)
            )),
            Verdict::Broken(why) => Some(format!(
                "kubectl refuses its kuberc {file}, so every kubectl command fails: {why}"
            )),
        }
    }

    /// The kuberc text that admits the command: the policy and the allowlist entry, `name:`
    /// spelled (kubectl 1.35 reads only `name`; 1.36 reads it too).
    pub fn admitting_snippet(&self) -> String {
        format!(
            "# {}: keep your other entries; kubectl 1.35 reads `name:` (1.36 also `command:`)\n\
             credentialPluginPolicy: Allowlist\n\
             credentialPluginAllowlist:\n\
             - name: {}\n",
            crate::display::safe(&self.file.display().to_string()),
            crate::display::safe(&self.command)
        )
    }
}

/// The kuberc kubectl reads (without a `--kuberc` flag, which eks-kc cannot see): `KUBERC`, else
/// `~/.kube/kuberc`; `None` with `KUBERC=off`.
pub fn locate(env: impl Fn(&str) -> Option<String>, home: &Path) -> Option<PathBuf> {
    match env(KUBERC_VAR).filter(|v| !v.is_empty()) {
        Some(off) if off == "off" => None,
        Some(path) => Some(PathBuf::from(path)),
        None => Some(home.join(".kube").join("kuberc")),
    }
}

/// kubectl's verdict on running `exec_command` (a kubeconfig user's `exec.command`), from the
/// kuberc it reads in this environment, with this PATH; `None` when it reads none.
pub fn for_kubectl(exec_command: &str) -> Option<Judged> {
    let home = super::file::home_dir().ok()?;
    let file = locate(crate::settings::env::var, &home)?;
    let path = crate::settings::env::var("PATH").unwrap_or_default();
    read(&file, exec_command, |name| lookpath_in(&path, name))
}

/// Judges `command` (a kubeconfig user's `exec.command`) under the kuberc at `file`, when there
/// is one. `None`: no file (kubectl runs every plugin). `lookpath` resolves a bare name
/// through PATH as kubectl does (`exec.LookPath`).
pub fn read(
    file: &Path,
    command: &str,
    lookpath: impl Fn(&str) -> Option<PathBuf>,
) -> Option<Judged> {
    let text = match crate::store::read_text_capped(file, 1 << 20) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(Judged {
                file: file.to_owned(),
                command: command.to_owned(),
                verdict: Verdict::Broken(format!("cannot read it: {e}")),
            });
        }
    };
    let verdict = match parse(&text) {
        Ok(policy) => judge(&policy, command, lookpath),
        Err(why) => Verdict::Broken(why),
    };
    Some(Judged {
        file: file.to_owned(),
        command: command.to_owned(),
        verdict,
    })
}

/// The policy of a kuberc's text; `Err` is why kubectl refuses the file.
pub fn parse(text: &str) -> Result<Policy, String> {
    let doc = match crate::kubeconfig::yaml::from_str(text) {
        Ok(doc) => doc,
        Err(e) => return Err(format!("not YAML kubectl can read: {e}")),
    };
    // kubectl applies the first document; the policy fields exist from v1beta1 on.
    let doc = match doc {
        Value::Sequence(_) => return Err("not a Preference document".into()),
        doc => doc,
    };
    if doc.get("apiVersion").and_then(Value::as_str) != Some("kubectl.config.k8s.io/v1beta1") {
        return Ok(Policy::AllowAll);
    }
    let policy = doc.get("credentialPluginPolicy");
    let list = doc.get("credentialPluginAllowlist");
    let policy = match policy {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(format!(
                "credentialPluginPolicy is not a string ({})",
                crate::display::safe(&format!("{other:?}"))
            ));
        }
    };
    let list_given = !matches!(list, None | Some(Value::Null));
    match policy {
        "" | "AllowAll" | "DenyAll" if list_given => Err(format!(
            "credentialPluginAllowlist is set but credentialPluginPolicy is {:?}, not Allowlist",
            policy
        )),
        "" | "AllowAll" => Ok(Policy::AllowAll),
        "DenyAll" => Ok(Policy::DenyAll),
        "Allowlist" => allowlist(list).map(Policy::Allowlist),
        other => Err(format!(
            "unknown credentialPluginPolicy {:?} (AllowAll, DenyAll or Allowlist, as spelled)",
            crate::display::safe(other)
        )),
    }
}

fn allowlist(list: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(Value::Sequence(entries)) = list else {
        return Err(
            "credentialPluginPolicy is Allowlist but credentialPluginAllowlist is \
                    missing (DenyAll says that)"
                .into(),
        );
    };
    if entries.is_empty() {
        return Err(
            "credentialPluginPolicy is Allowlist but credentialPluginAllowlist is \
                    empty (DenyAll says that)"
                .into(),
        );
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let n = i + 1;
            match entry.get("name").and_then(Value::as_str) {
                Some(name) if !name.is_empty() => {
                    if name.contains('/') && !is_clean(name) {
                        return Err(format!(
                            "credentialPluginAllowlist entry #{n}: the path {:?} is not clean",
                            crate::display::safe(name)
                        ));
                    }
                    Ok(name.to_owned())
                }
                _ if entry.get("command").is_some() => Err(format!(
                    "credentialPluginAllowlist entry #{n} has `command:` (kubectl 1.36's \
                     spelling), which kubectl 1.35 reads as an empty entry: write `name:`, \
                     which both read"
                )),
                _ => Err(format!("credentialPluginAllowlist entry #{n} has no name")),
            }
        })
        .collect()
}

/// Whether a path is what Go's `filepath.Clean` would leave as it is.
fn is_clean(path: &str) -> bool {
    let rebuilt: PathBuf = Path::new(path).components().collect();
    rebuilt.as_os_str() == path
        && !Path::new(path)
            .components()
            .any(|c| matches!(c, Component::CurDir | Component::ParentDir))
}

/// What kubectl does with `command` under `policy`.
pub fn judge(
    policy: &Policy,
    command: &str,
    lookpath: impl Fn(&str) -> Option<PathBuf>,
) -> Verdict {
    let entries = match policy {
        Policy::AllowAll => return Verdict::Admitted("credentialPluginPolicy AllowAll".into()),
        Policy::DenyAll => {
            return Verdict::Refused(format!(
                "plugin {command:?} not allowed: policy set to \"DenyAll\""
            ));
        }
        Policy::Allowlist(entries) => entries,
    };
    let path = resolve(command, &lookpath);
    let Some(path) = path else {
        return Verdict::Refused(format!(
            "`{command}` is not found on PATH, so no allowlist entry can match it"
        ));
    };
    for (i, name) in entries.iter().enumerate() {
        let matches = if name.contains('/') {
            Path::new(name) == path
        } else {
            lookpath(name).is_some_and(|p| p == path)
        };
        if matches {
            return Verdict::Admitted(format!(
                "credentialPluginAllowlist entry #{} (name: {name})",
                i + 1
            ));
        }
    }
    Verdict::Refused(format!(
        "plugin path {:?} is not permitted by the credential plugin allowlist",
        path.display().to_string()
    ))
}

/// The command's path as kubectl runs it: as written when it has a `/`, else found on PATH.
fn resolve(command: &str, lookpath: &impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    if command.contains('/') {
        Some(Path::new(command).components().collect())
    } else {
        lookpath(command)
    }
}

/// `exec.LookPath` over `path_var` (PATH): the first directory holding an executable file named
/// `name`.
pub fn lookpath_in(path_var: &str, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && executable(&m)))
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n";

    fn path_with(names: &[(&str, &str)]) -> impl Fn(&str) -> Option<PathBuf> {
        let names: Vec<(String, String)> = names
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        move |n| {
            names
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| PathBuf::from(v))
        }
    }

    fn verdict(body: &str, command: &str) -> Verdict {
        let path = path_with(&[("eks-kc", "/usr/local/bin/eks-kc"), ("aws", "/usr/bin/aws")]);
        match parse(&format!("{HEAD}{body}")) {
            Ok(policy) => judge(&policy, command, path),
            Err(why) => Verdict::Broken(why),
        }
    }

    #[test]
    fn policies_as_kubectl_1_35_applies_them() {
        assert!(matches!(verdict("", "eks-kc"), Verdict::Admitted(_)));
        assert!(matches!(
            verdict("credentialPluginPolicy: AllowAll\n", "eks-kc"),
            Verdict::Admitted(_)
        ));
        let Verdict::Refused(why) = verdict("credentialPluginPolicy: DenyAll\n", "eks-kc") else {
            panic!()
        };
        assert_eq!(
            why,
            "plugin \"eks-kc\" not allowed: policy set to \"DenyAll\""
        );
        let list = |names: &str| {
            format!("credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n{names}")
        };
        // A bare name admits what PATH resolves it to; an exact path admits that path only.
        for (entries, command, admitted) in [
            ("- name: eks-kc\n", "eks-kc", true),
            ("- name: eks-kc\n", "/usr/local/bin/eks-kc", true),
            ("- name: eks-kc\n", "/opt/other/eks-kc", false),
            ("- name: /usr/local/bin/eks-kc\n", "eks-kc", true),
            (
                "- name: /usr/local/bin/eks-kc\n",
                "/usr/local/bin/eks-kc",
                true,
            ),
            ("- name: /opt/eks-kc\n", "eks-kc", false),
            ("- name: aws\n", "eks-kc", false),
            ("- name: aws\n- name: eks-kc\n", "eks-kc", true),
            ("- name: eks-kc\n", "kubectl-eks_kc", false),
        ] {
            let v = verdict(&list(entries), command);
            assert_eq!(
                matches!(v, Verdict::Admitted(_)),
                admitted,
                "{entries} {command}: {v:?}"
            );
        }
        let Verdict::Refused(why) = verdict(&list("- name: aws\n"), "eks-kc") else {
            panic!()
        };
        assert_eq!(
            why,
            "plugin path \"/usr/local/bin/eks-kc\" is not permitted by the credential plugin allowlist"
        );
    }

    #[test]
    fn a_kuberc_kubectl_refuses_is_broken_with_the_reason() {
        for (body, says) in [
            (
                "credentialPluginPolicy: denyall\n",
                "unknown credentialPluginPolicy",
            ),
            ("credentialPluginPolicy: Allowlist\n", "missing"),
            (
                "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist: []\n",
                "empty",
            ),
            ("credentialPluginAllowlist:\n- name: aws\n", "not Allowlist"),
            (
                "credentialPluginPolicy: AllowAll\ncredentialPluginAllowlist:\n- name: aws\n",
                "not Allowlist",
            ),
            (
                "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- command: eks-kc\n",
                "kubectl 1.36's spelling",
            ),
            (
                "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n- name: /a/../b\n",
                "not clean",
            ),
        ] {
            let v = verdict(body, "eks-kc");
            assert!(
                matches!(&v, Verdict::Broken(w) if w.contains(says)),
                "{body}: {v:?}"
            );
        }
        // v1alpha1 has no policy fields: kubectl ignores them.
        let old = "apiVersion: kubectl.config.k8s.io/v1alpha1\nkind: Preference\n\
                   credentialPluginPolicy: DenyAll\n";
        assert_eq!(parse(old), Ok(Policy::AllowAll));
    }

    #[test]
    fn the_file_kubectl_reads() {
        let home = Path::new("/home/me");
        let env = |v: Option<&'static str>| move |_: &str| v.map(str::to_owned);
        assert_eq!(
            locate(env(None), home),
            Some(PathBuf::from("/home/me/.kube/kuberc"))
        );
        assert_eq!(locate(env(Some("off")), home), None);
        assert_eq!(
            locate(env(Some("/etc/kuberc")), home),
            Some(PathBuf::from("/etc/kuberc"))
        );
    }
}

//! Shell code: what `eks-kc init SHELL` prints (`init.sh` for bash and zsh, `init.fish`), and
//! what `use` and `ns` print for the shell function to evaluate when they change the shell's
//! `KUBECONFIG`. Pure: values in, text out.

use std::ffi::OsString;

/// The first line of everything the shell function evaluates. Output without it (`--help`, a
/// usage error) is printed as it came.
pub const EVAL_MARK: &str = "# eks-kc eval";

/// A shell `eks-kc init` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Bash,
    Zsh,
    Fish,
}

impl Dialect {
    /// `_EKS_KC_EVAL`'s value, set by the shell function around the binary.
    pub fn parse(name: &str) -> Option<Dialect> {
        match name {
            "bash" => Some(Dialect::Bash),
            "zsh" => Some(Dialect::Zsh),
            "fish" => Some(Dialect::Fish),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Bash => "bash",
            Dialect::Zsh => "zsh",
            Dialect::Fish => "fish",
        }
    }

    /// How this shell's start-up file loads the integration.
    pub fn setup_line(self) -> &'static str {
        match self {
            Dialect::Bash => "eval \"$(eks-kc init bash)\"   # in ~/.bashrc",
            Dialect::Zsh => "eval \"$(eks-kc init zsh)\"   # in ~/.zshrc",
            Dialect::Fish => "eks-kc init fish | source   # in ~/.config/fish/config.fish",
        }
    }

    /// `value` as one word of this shell, quoted so that nothing in it is special.
    pub fn quote(self, value: &[u8]) -> Vec<u8> {
        let mut out = vec![b'\''];
        for &b in value {
            match (self, b) {
                (Dialect::Bash | Dialect::Zsh, b'\'') => out.extend_from_slice(b"'\\''"),
                (Dialect::Fish, b'\'' | b'\\') => out.extend_from_slice(&[b'\\', b]),
                _ => out.push(b),
            }
        }
        out.push(b'\'');
        out
    }
}

/// What `eks-kc init SHELL` prints. `adopt`: the shell starts inside another shell that has a
/// context of its own (its `KUBECONFIG` starts with that shell's file), so this one takes its
/// own copy of it at once instead of sharing the other's.
pub fn init(dialect: Dialect, adopt: bool) -> String {
    // bash and zsh run the same code; only the names differ.
    let mut text = match dialect {
        Dialect::Bash | Dialect::Zsh => include_str!("init.sh").replace("{shell}", dialect.name()),
        Dialect::Fish => include_str!("init.fish").to_owned(),
    };
    if adopt {
        text.push_str(
            "\n# This shell started inside one with a context of its own: keep a copy of it.\n\
             eks-kc use --shell >/dev/null 2>&1\n",
        );
    }
    text
}

/// A change of this shell's `KUBECONFIG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    Set(OsString),
    Unset,
}

/// The code the shell function evaluates: the mark, the `KUBECONFIG` change if any, then each
/// of `lines` printed on stdout.
pub fn eval(dialect: Dialect, change: Option<&EnvChange>, lines: &[String]) -> Vec<u8> {
    let mut out = format!("{EVAL_MARK}\n").into_bytes();
    match (dialect, change) {
        (_, None) => {}
        (Dialect::Fish, Some(EnvChange::Set(v))) => {
            out.extend_from_slice(b"set -gx KUBECONFIG ");
            out.extend(dialect.quote(v.as_encoded_bytes()));
            out.push(b'\n');
        }
        (Dialect::Fish, Some(EnvChange::Unset)) => out.extend_from_slice(b"set -e KUBECONFIG\n"),
        (_, Some(EnvChange::Set(v))) => {
            out.extend_from_slice(b"export KUBECONFIG=");
            out.extend(dialect.quote(v.as_encoded_bytes()));
            out.push(b'\n');
        }
        (_, Some(EnvChange::Unset)) => out.extend_from_slice(b"unset KUBECONFIG\n"),
    }
    for line in lines {
        out.extend_from_slice(b"printf '%s\\n' ");
        out.extend(dialect.quote(line.as_bytes()));
        out.push(b'\n');
    }
    out
}

/// `KUBECONFIG`'s value for `files`, joined as client-go splits it (`filepath.SplitList`: `:`,
/// `;` on Windows).
pub fn kubeconfig_value(files: &[std::path::PathBuf]) -> OsString {
    let separator = if cfg!(windows) { ";" } else { ":" };
    let mut value = OsString::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            value.push(separator);
        }
        value.push(f);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What `shell` makes of `code`: runs it and prints KUBECONFIG (or `<unset>`) last.
    fn run_in(dialect: Dialect, code: &[u8]) -> Option<String> {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("code");
        std::fs::write(&file, code).unwrap();
        let show = match dialect {
            Dialect::Fish => {
                "if set -q KUBECONFIG; printf '%s' \"$KUBECONFIG\"; else; printf '<unset>'; end"
            }
            _ => {
                "if [ -n \"${KUBECONFIG+x}\" ]; then printf '%s' \"$KUBECONFIG\"; else printf '<unset>'; fi"
            }
        };
        let out = Command::new(dialect.name())
            .args(match dialect {
                Dialect::Fish => vec!["--no-config", "-c"],
                Dialect::Zsh => vec!["-f", "-c"],
                Dialect::Bash => vec!["--norc", "-c"],
            })
            .arg(match dialect {
                Dialect::Fish => {
                    format!("set KUBECONFIG before; source {}; {show}", file.display())
                }
                _ => format!("KUBECONFIG=before; source {}; {show}", file.display()),
            })
            .env_remove("KUBECONFIG")
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    }

    #[test]
    fn eval_code_survives_any_path_and_message() {
        let awkward =
            "/tmp/it's a \"dir\"/$HOME/`x`\\n\\/shell-1-2/kubeconfig:/home/me/.kube/config";
        let lines = vec![
            "Switched to context \"a'b\" (this shell).".to_owned(),
            "$(rm -rf /)".to_owned(),
        ];
        for dialect in [Dialect::Bash, Dialect::Zsh, Dialect::Fish] {
            let code = eval(dialect, Some(&EnvChange::Set(awkward.into())), &lines);
            assert!(code.starts_with(format!("{EVAL_MARK}\n").as_bytes()));
            let Some(out) = run_in(dialect, &code) else {
                eprintln!("SKIPPED: {} is not installed", dialect.name());
                continue;
            };
            assert_eq!(
                out,
                format!("{}\n{}\n{awkward}", lines[0], lines[1]),
                "{dialect:?}"
            );
            let out = run_in(dialect, &eval(dialect, Some(&EnvChange::Unset), &[])).unwrap();
            assert_eq!(out, "<unset>", "{dialect:?}");
            let out = run_in(dialect, &eval(dialect, None, &[])).unwrap();
            assert_eq!(out, "before", "{dialect:?}");
        }
    }

    #[test]
    fn init_scripts_name_their_shell_and_adopt_only_when_asked() {
        for dialect in [Dialect::Bash, Dialect::Zsh, Dialect::Fish] {
            let plain = init(dialect, false);
            assert!(plain.contains(&format!("_EKS_KC_EVAL={}", dialect.name())));
            assert!(plain.contains(EVAL_MARK));
            assert!(!plain.contains("{shell}"));
            assert!(!plain.contains("use --shell"));
            assert!(init(dialect, true).contains("eks-kc use --shell >/dev/null 2>&1"));
        }
        assert_eq!(
            kubeconfig_value(&["/a".into(), "/b c".into()]),
            OsString::from("/a:/b c")
        );
    }
}

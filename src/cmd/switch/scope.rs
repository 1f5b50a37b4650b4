//! Where `use` and `ns` make their change: in the kubeconfig every shell reads, or in one
//! shell's own file, and what this shell's `KUBECONFIG` must become. Pure: the decision is made
//! from the flags, the `KUBECONFIG` list and the shell integration's environment.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::settings::ShellEnv;
use crate::shell;
use crate::shell::script::{self, EnvChange};

/// `--shell`, `--global`, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Shell,
    Global,
    Neither,
}

impl Flag {
    pub fn of(shell: bool, global: bool) -> Flag {
        match (shell, global) {
            (true, _) => Flag::Shell,
            (_, true) => Flag::Global,
            _ => Flag::Neither,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The kubeconfig files every shell reads, in kubectl's order.
    Global { files: Vec<PathBuf> },
    /// A shell's own file, and the files after it.
    Shell {
        file: PathBuf,
        start: Start,
        rest: Vec<PathBuf>,
    },
}

/// What a shell's file is changed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The file as it is: it is first in KUBECONFIG already.
    AsIs,
    /// Nothing: the shell follows the kubeconfig until now.
    Empty,
    /// A copy of another shell's file, which this one inherited.
    CopyOf(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub scope: Scope,
    /// What this shell's KUBECONFIG becomes (said to the shell function), if it changes.
    pub env: Option<EnvChange>,
    /// A shell file to remove once the change is made (this shell's, when it stops using it).
    pub remove: Option<PathBuf>,
    /// Said on stderr: the change is made, but this shell does not see it.
    pub note: Option<String>,
}

/// What the command is run on.
pub struct Facts<'a> {
    /// `--kubeconfig` was given: that file, and nothing per shell.
    pub explicit: bool,
    /// The files kubectl reads now (`KUBECONFIG`'s, else `~/.kube/config`).
    pub paths: &'a [PathBuf],
    pub env: ShellEnv,
    /// Where this shell's own file goes (`settings::shells_dir`).
    pub shells: &'a Path,
    /// `~/.kube/config`: the list a shell returns to by unsetting KUBECONFIG.
    pub default_file: Option<&'a Path>,
}

/// Decides where the change goes (see `eks-kc use --help` for the rules in words).
pub fn plan(flag: Flag, facts: &Facts<'_>) -> Result<Plan> {
    let global = |files: Vec<PathBuf>| Plan {
        scope: Scope::Global { files },
        env: None,
        remove: None,
        note: None,
    };
    if facts.explicit {
        return Ok(global(facts.paths.to_vec()));
    }
    let head = facts
        .paths
        .first()
        .and_then(|p| Some((p.clone(), shell::owner_of(p)?)));
    let rest: Vec<PathBuf> = match head {
        Some(_) => facts.paths[1..].to_vec(),
        None => facts.paths.to_vec(),
    };
    let this = facts.env.shell;
    let own = |start: Start| -> Result<Plan> {
        let Some(id) = this else {
            bail!(
                "this shell is not set up for contexts of its own; add the eks-kc shell \
                 integration to its start-up file ({}; {}; {}) and start a new shell",
                shell::Dialect::Bash.setup_line(),
                shell::Dialect::Zsh.setup_line(),
                shell::Dialect::Fish.setup_line()
            );
        };
        if facts.env.eval.is_none() {
            bail!(
                "giving this shell a context of its own changes its KUBECONFIG, which only the \
                 eks-kc shell function can do: run `eks-kc` itself in the shell (not `command \
                 eks-kc`, a script or another program); `eks-kc init --help` says how to set it up"
            );
        }
        let file = id.dir(facts.shells).join(shell::FILE_NAME);
        let mut list = vec![file.clone()];
        list.extend(rest.iter().cloned());
        Ok(Plan {
            scope: Scope::Shell {
                file,
                start,
                rest: rest.clone(),
            },
            env: Some(EnvChange::Set(script::kubeconfig_value(&list))),
            remove: None,
            note: None,
        })
    };
    let in_place = |file: PathBuf| Plan {
        scope: Scope::Shell {
            file,
            start: Start::AsIs,
            rest: rest.clone(),
        },
        env: None,
        remove: None,
        note: None,
    };
    match (flag, head) {
        (Flag::Global, None) => Ok(global(rest)),
        (Flag::Global, Some((file, owner))) => {
            let mut plan = global(rest.clone());
            if facts.env.eval.is_some() {
                plan.env = Some(match (rest.as_slice(), facts.default_file) {
                    ([only], Some(default)) if only == default => EnvChange::Unset,
                    _ => EnvChange::Set(script::kubeconfig_value(&rest)),
                });
                plan.remove = (this == Some(owner)).then_some(file);
            } else {
                plan.note = Some(format!(
                    "this shell keeps a context of its own ({} is first in KUBECONFIG); run \
                     `eks-kc use --global` in the shell itself to follow the kubeconfig again",
                    file.display()
                ));
            }
            Ok(plan)
        }
        (Flag::Shell, Some((file, owner))) if this == Some(owner) => Ok(in_place(file)),
        (Flag::Shell, Some((file, _))) => own(Start::CopyOf(file)),
        (Flag::Shell, None) => own(Start::Empty),
        (Flag::Neither, None) => Ok(global(rest)),
        // The shell's own file, or one this process inherited and cannot replace in its
        // parent: changed where it is, as `kubectl config use-context` would change it.
        (Flag::Neither, Some((file, owner)))
            if this.is_none_or(|t| t == owner) || facts.env.eval.is_none() =>
        {
            Ok(in_place(file))
        }
        // A shell started inside another that has its own: takes a copy, not the other's.
        (Flag::Neither, Some((file, _))) => own(Start::CopyOf(file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::{Dialect, ShellId};

    const ME: ShellId = ShellId { pid: 10, start: 1 };
    const PARENT: ShellId = ShellId { pid: 9, start: 1 };

    fn shells() -> PathBuf {
        PathBuf::from("/run/eks-kc/shells")
    }
    fn file_of(id: ShellId) -> PathBuf {
        id.dir(&shells()).join(shell::FILE_NAME)
    }
    fn home() -> PathBuf {
        PathBuf::from("/home/me/.kube/config")
    }

    fn decide(flag: Flag, paths: &[PathBuf], shell: Option<ShellId>, eval: bool) -> Result<Plan> {
        plan(
            flag,
            &Facts {
                explicit: false,
                paths,
                env: ShellEnv {
                    shell,
                    eval: eval.then_some(Dialect::Bash),
                    terminal: false,
                },
                shells: &shells(),
                default_file: Some(&home()),
            },
        )
    }

    #[test]
    fn outside_an_initialised_shell_everything_is_global() {
        let paths = [home()];
        for flag in [Flag::Neither, Flag::Global] {
            let p = decide(flag, &paths, None, false).unwrap();
            assert_eq!(
                p.scope,
                Scope::Global {
                    files: paths.to_vec()
                }
            );
            assert_eq!((p.env, p.remove, p.note), (None, None, None));
        }
        let err = decide(Flag::Shell, &paths, None, false).unwrap_err();
        assert!(err.to_string().contains("eks-kc init bash"), "{err}");
        // In an initialised shell that follows the kubeconfig, plain `use` is still global.
        let p = decide(Flag::Neither, &paths, Some(ME), true).unwrap();
        assert!(matches!(p.scope, Scope::Global { .. }));
    }

    #[test]
    fn shell_gives_this_shell_its_own_file_first_in_kubeconfig() {
        let p = decide(Flag::Shell, &[home()], Some(ME), true).unwrap();
        assert_eq!(
            p.scope,
            Scope::Shell {
                file: file_of(ME),
                start: Start::Empty,
                rest: vec![home()]
            }
        );
        let want = format!("{}:{}", file_of(ME).display(), home().display());
        assert_eq!(p.env, Some(EnvChange::Set(want.into())));
        // Without the shell function, KUBECONFIG cannot change: an error that says so.
        let err = decide(Flag::Shell, &[home()], Some(ME), false).unwrap_err();
        assert!(err.to_string().contains("shell function"), "{err}");
        // Once it has one, the file is changed in place, function or not.
        let paths = [file_of(ME), home()];
        for (flag, eval) in [
            (Flag::Shell, false),
            (Flag::Neither, true),
            (Flag::Neither, false),
        ] {
            let p = decide(flag, &paths, Some(ME), eval).unwrap();
            assert_eq!(p.env, None, "{flag:?}");
            assert!(matches!(p.scope, Scope::Shell { ref file, .. } if *file == file_of(ME)));
        }
    }

    #[test]
    fn global_leaves_the_shell_file_and_restores_kubeconfig() {
        let p = decide(Flag::Global, &[file_of(ME), home()], Some(ME), true).unwrap();
        assert_eq!(
            p.scope,
            Scope::Global {
                files: vec![home()]
            }
        );
        assert_eq!(p.env, Some(EnvChange::Unset));
        assert_eq!(p.remove, Some(file_of(ME)));
        let mine = PathBuf::from("/work/kubeconfig");
        let p = decide(Flag::Global, &[file_of(ME), mine.clone()], Some(ME), true).unwrap();
        assert_eq!(p.env, Some(EnvChange::Set(mine.into())));
        // Without the shell function: written, and the shell told it still has its own.
        let p = decide(Flag::Global, &[file_of(ME), home()], Some(ME), false).unwrap();
        assert_eq!((p.env, p.remove), (None, None));
        assert!(p.note.unwrap().contains("keeps a context of its own"));
        // Another shell's file is never removed.
        let p = decide(Flag::Global, &[file_of(PARENT), home()], Some(ME), true).unwrap();
        assert_eq!(p.remove, None);
    }

    #[test]
    fn a_shell_inside_another_takes_a_copy_and_a_script_changes_the_parents() {
        let paths = [file_of(PARENT), home()];
        for flag in [Flag::Shell, Flag::Neither] {
            let p = decide(flag, &paths, Some(ME), true).unwrap();
            assert_eq!(
                p.scope,
                Scope::Shell {
                    file: file_of(ME),
                    start: Start::CopyOf(file_of(PARENT)),
                    rest: vec![home()]
                }
            );
        }
        // A script or a shell without the integration changes the file it inherited.
        for (shell, eval) in [(None, false), (Some(PARENT), false), (Some(ME), false)] {
            let p = decide(Flag::Neither, &paths, shell, eval).unwrap();
            assert!(matches!(p.scope, Scope::Shell { ref file, .. } if *file == file_of(PARENT)));
            assert_eq!(p.env, None);
        }
    }

    #[test]
    fn an_explicit_kubeconfig_is_global_whatever_the_shell() {
        let f = PathBuf::from("/x/config");
        let p = plan(
            Flag::Neither,
            &Facts {
                explicit: true,
                paths: std::slice::from_ref(&f),
                env: ShellEnv {
                    shell: Some(ME),
                    eval: Some(Dialect::Zsh),
                    terminal: false,
                },
                shells: &shells(),
                default_file: None,
            },
        )
        .unwrap();
        assert_eq!(p.scope, Scope::Global { files: vec![f] });
    }
}

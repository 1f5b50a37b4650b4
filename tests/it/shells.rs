//! Issue 14: contexts and namespaces per shell (`eks-kc init`, `use --shell`, `ns`) in real
//! bash, zsh and fish, each interactive under a pseudo-terminal (util-linux `script`), checked
//! with the real kubectl; the global `ns` and `use -n`; and `prompt`, which must follow every
//! change at once.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::harness::*;

const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// Three contexts over two clusters, `alpha` current; `alpha` sets namespace `ga`.
const KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: 'https://one.example'}
- name: c2
  cluster: {server: 'https://two.example'}
users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: alpha
  context: {cluster: c1, user: u, namespace: ga}
- name: beta
  context: {cluster: c2, user: u}
- name: gamma
  context: {cluster: c1, user: u}
current-context: alpha
";

fn env_with_contexts() -> TestEnv {
    let mut env = TestEnv::new();
    fs::write(&env.kubeconfig, KUBECONFIG).unwrap();
    env.set("TERM", "dumb");
    env
}

/// An interactive shell on a pseudo-terminal. Each command's stdout and stderr go to files
/// (the terminal carries prompts and echo); a marker the shell prints after it (built at run
/// time, so the echoed command line never contains it) says it has finished, with its status.
struct Shell {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    output: Receiver<Vec<u8>>,
    transcript: String,
    dir: PathBuf,
    count: usize,
}

/// What a command in a [`Shell`] did.
struct Done {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Done {
    fn ok(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
    fn line(&self) -> &str {
        self.ok().stdout.trim_end()
    }
}

impl Shell {
    /// Starts `name` (bash, zsh or fish) interactively, without the user's start-up files, and
    /// sets up the eks-kc integration in it (`init` = false leaves it out).
    fn start(env: &TestEnv, name: &'static str, init: bool) -> Shell {
        let line = match name {
            "bash" => "bash --norc --noprofile -i",
            "zsh" => "zsh -f -i",
            _ => "fish --no-config -i",
        };
        let mut child = env
            .command("script")
            .args(["-qfec", line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux) runs");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let dir = tempfile::Builder::new()
            .prefix(name)
            .tempdir_in(env.root.path())
            .unwrap()
            .keep();
        let mut shell = Shell {
            name,
            child,
            stdin,
            output,
            transcript: String::new(),
            dir,
            count: 0,
        };
        if init {
            let setup = match name {
                "fish" => "eks-kc init fish | source",
                "zsh" => "eval \"$(eks-kc init zsh)\"",
                _ => "eval \"$(eks-kc init bash)\"",
            };
            shell.run(setup).ok();
        }
        shell
    }

    /// Runs `command` in the shell and waits for it (at most 30 s).
    fn run(&mut self, command: &str) -> Done {
        self.count += 1;
        let n = self.count;
        let out = self.dir.join(format!("{n}.out"));
        let err = self.dir.join(format!("{n}.err"));
        let line = match self.name {
            "fish" => format!(
                "begin; {command}; end >{} 2>{}; printf '\\n__DONE_%s_%s__\\n' {n} $status\n",
                out.display(),
                err.display()
            ),
            _ => format!(
                "{{ {command}; }} >{} 2>{}; printf '\\n__DONE_%s_%s__\\n' {n} $?\n",
                out.display(),
                err.display()
            ),
        };
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
        let marker = format!("__DONE_{n}_");
        let deadline = Instant::now() + bound(Duration::from_secs(30));
        loop {
            if let Some(at) = self.transcript.find(&marker) {
                let rest = &self.transcript[at + marker.len()..];
                if let Some(end) = rest.find("__") {
                    let status = rest[..end].parse().unwrap();
                    self.transcript = self.transcript[at + marker.len() + end..].to_owned();
                    return Done {
                        status,
                        stdout: fs::read_to_string(&out).unwrap_or_default(),
                        stderr: fs::read_to_string(&err).unwrap_or_default(),
                    };
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.transcript.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!(
                    "{}: `{command}` did not finish; the terminal showed:\n{}",
                    self.name, self.transcript
                ),
            }
        }
    }

    /// The context kubectl uses in this shell.
    fn kubectl_context(&mut self) -> String {
        self.run(&format!("{} config current-context", real_kubectl()))
            .line()
            .to_owned()
    }

    /// The namespace kubectl uses in this shell (empty: none set).
    fn kubectl_namespace(&mut self) -> String {
        self.run(&format!(
            "{} config view --minify -o jsonpath='{{..namespace}}'",
            real_kubectl()
        ))
        .ok()
        .stdout
        .trim()
        .to_owned()
    }

    /// The shell's KUBECONFIG (`<unset>` when it is not set).
    fn kubeconfig(&mut self) -> String {
        let show = match self.name {
            "fish" => "if set -q KUBECONFIG; printf '%s' $KUBECONFIG; else; printf '<unset>'; end",
            _ => {
                "if [ -n \"${KUBECONFIG+x}\" ]; then printf '%s' \"$KUBECONFIG\"; else printf '<unset>'; fi"
            }
        };
        self.run(show).ok().stdout.clone()
    }

    /// Exits the shell and waits for it to end.
    fn exit(mut self) {
        let _ = self.stdin.write_all(b"exit\n");
        let _ = self.stdin.flush();
        let deadline = Instant::now() + bound(Duration::from_secs(20));
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("{} did not exit", self.name);
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The context kubectl uses outside any shell of the test (the kubeconfig's own).
fn global_context(env: &TestEnv) -> String {
    let out = env
        .command(real_kubectl())
        .args(["config", "current-context"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The shell file at the head of a shell's KUBECONFIG.
fn head_file(kubeconfig: &str) -> PathBuf {
    PathBuf::from(kubeconfig.split(':').next().unwrap())
}

fn state_shells(env: &TestEnv) -> PathBuf {
    env.home.join(".local/state/eks-kc/shells")
}

fn shell_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn init_prints_code_each_shell_accepts() {
    let env = TestEnv::new();
    let inherited = format!(
        "/run/user/1/eks-kc/shells/shell-1-2/kubeconfig:{}",
        env.kubeconfig.display()
    );
    for shell in SHELLS {
        for kubeconfig in [env.kubeconfig.display().to_string(), inherited.clone()] {
            let code = env
                .eks_kc(&["init", shell])
                .env("KUBECONFIG", &kubeconfig)
                .output()
                .unwrap();
            let run = Run::from(code);
            run.ok();
            assert!(run.stdout.contains("EKS_KC_SHELL"), "{}", run.stdout);
            assert_eq!(
                run.stdout.contains("use --shell"),
                kubeconfig == inherited,
                "{shell}: adopts only inside a shell with its own context"
            );
            let file = env.path(&format!("init.{shell}"));
            fs::write(&file, &run.stdout).unwrap();
            let check = match shell {
                "bash" => env.command("bash").arg("-n").arg(&file).output(),
                "zsh" => env.command("zsh").arg("-n").arg(&file).output(),
                _ => env.command("fish").arg("--no-execute").arg(&file).output(),
            };
            let check = Run::from(check.unwrap());
            assert_eq!(check.code, Some(0), "{shell}: {}", check.stderr);
        }
    }
    let run = env.run(&["init", "tcsh"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("bash"), "{}", run.stderr);
}

#[test]
fn each_shell_keeps_its_own_context_and_namespace() {
    for name in SHELLS {
        let env = env_with_contexts();
        let before = fs::read(&env.kubeconfig).unwrap();
        let mut a = Shell::start(&env, name, true);
        let mut b = Shell::start(&env, name, true);
        assert_eq!(a.kubeconfig(), env.kubeconfig.display().to_string());

        let switched = a.run("eks-kc use --shell beta");
        assert_eq!(
            switched.line(),
            "Switched to context \"beta\" in this shell."
        );
        b.run("eks-kc use --shell gamma").ok();
        assert_eq!(a.kubectl_context(), "beta", "{name}");
        assert_eq!(b.kubectl_context(), "gamma", "{name}");
        assert_eq!(global_context(&env), "alpha", "{name}");
        let a_file = head_file(&a.kubeconfig());
        assert!(
            a_file.starts_with(state_shells(&env)),
            "{}",
            a_file.display()
        );
        let mode = fs::metadata(&a_file).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(
                &fs::metadata(a_file.parent().unwrap())
                    .unwrap()
                    .permissions()
            ) & 0o777,
            0o700
        );

        // Plain `use` and `use -` in a shell with its own context switch that shell only.
        a.run("eks-kc use gamma").ok();
        assert_eq!(a.kubectl_context(), "gamma", "{name}");
        a.run("eks-kc use -").ok();
        assert_eq!(a.kubectl_context(), "beta", "{name}");

        // kubectl's own switch stays in the shell it ran in.
        a.run(&format!("{} config use-context alpha", real_kubectl()))
            .ok();
        assert_eq!(a.kubectl_context(), "alpha", "{name}");
        assert_eq!(a.run("eks-kc prompt").line(), "alpha:ga", "{name}");
        assert_eq!(b.kubectl_context(), "gamma", "{name}");
        assert_eq!(global_context(&env), "alpha", "{name}");

        // A namespace of this shell's own: kubectl here sees it, the others do not.
        let ns = a.run("eks-kc ns web");
        assert_eq!(
            ns.line(),
            "Switched to namespace \"web\" of context \"alpha\" in this shell."
        );
        assert_eq!(a.kubectl_namespace(), "web", "{name}");
        assert_eq!(a.run("eks-kc ns --current").line(), "web");
        assert_eq!(a.run("eks-kc prompt").line(), "alpha:web");
        b.run("eks-kc use alpha").ok();
        assert_eq!(b.kubectl_namespace(), "ga", "{name}: B sees alpha's own");
        // The copy carries the cluster and user, so kubectl reaches the same server.
        let server = a.run(&format!(
            "{} config view --minify -o jsonpath='{{.clusters[0].cluster.server}}/{{.users[0].name}}'",
            real_kubectl()
        ));
        assert_eq!(server.line(), "https://one.example/u", "{name}");
        a.run("eks-kc ns -").ok();
        assert_eq!(a.kubectl_namespace(), "ga", "{name}");
        a.run("eks-kc use --shell beta -n team").ok();
        assert_eq!(a.run("eks-kc prompt").line(), "beta:team");
        assert_eq!(
            fs::read(&env.kubeconfig).unwrap(),
            before,
            "{name}: global untouched"
        );

        // --global: the kubeconfig switches, and this shell follows it again.
        let back = b.run("eks-kc use --global beta");
        assert!(
            back.line().contains("follows the kubeconfig"),
            "{}",
            back.stdout
        );
        assert_eq!(b.kubeconfig(), "<unset>", "{name}: back to ~/.kube/config");
        assert_eq!(b.kubectl_context(), "beta", "{name}");
        assert_eq!(global_context(&env), "beta", "{name}");
        assert_eq!(
            a.run("eks-kc prompt").line(),
            "beta:team",
            "{name}: A keeps its own"
        );
        assert_eq!(
            shell_dirs(&state_shells(&env)).len(),
            1,
            "{name}: B's file removed"
        );
        a.exit();
        b.exit();
    }
}

#[test]
fn the_files_of_shells_that_exited_are_removed() {
    for name in SHELLS {
        let env = env_with_contexts();
        let mut a = Shell::start(&env, name, true);
        a.run("eks-kc use --shell beta").ok();
        let a_dir = head_file(&a.kubeconfig()).parent().unwrap().to_path_buf();
        assert!(a_dir.exists());
        a.exit();
        // The next `use` anywhere removes it; the live shell's own stays.
        let mut b = Shell::start(&env, name, true);
        b.run("eks-kc use --shell gamma").ok();
        assert!(!a_dir.exists(), "{name}: {} left", a_dir.display());
        assert_eq!(shell_dirs(&state_shells(&env)).len(), 1);
        b.exit();
        // ... and so does the next `init`.
        let run = env.run(&["init", name]);
        run.ok();
        assert!(shell_dirs(&state_shells(&env)).is_empty(), "{name}");
    }
}

#[test]
fn shell_files_live_in_the_runtime_dir_when_there_is_one() {
    let mut env = env_with_contexts();
    let runtime = env.path("run-user");
    fs::create_dir(&runtime).unwrap();
    env.set("XDG_RUNTIME_DIR", runtime.to_str().unwrap());
    let mut a = Shell::start(&env, "bash", true);
    a.run("eks-kc use --shell gamma").ok();
    let file = head_file(&a.kubeconfig());
    assert!(
        file.starts_with(runtime.join("eks-kc/shells")),
        "{}",
        file.display()
    );
    assert_eq!(a.kubectl_context(), "gamma");
    a.exit();
}

#[test]
fn without_the_shell_function_the_shell_cannot_get_a_context_of_its_own() {
    let env = env_with_contexts();
    // Outside an initialised shell: plain `use` is global, --shell says how to set one up.
    let run = env.run(&["use", "--shell", "beta"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("eval \"$(eks-kc init bash)\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let mut a = Shell::start(&env, "bash", true);
    let direct = a.run("command eks-kc use --shell beta");
    assert_eq!(direct.status, 1);
    assert!(
        direct.stderr.contains("shell function"),
        "{}",
        direct.stderr
    );
    assert_eq!(a.kubectl_context(), "alpha");
    // Once the shell has its own file, the binary changes it in place, script or not.
    a.run("eks-kc use --shell beta").ok();
    a.run("command eks-kc use gamma").ok();
    a.run("bash -c 'eks-kc ns web'").ok();
    assert_eq!(a.kubectl_context(), "gamma");
    assert_eq!(a.kubectl_namespace(), "web");
    assert_eq!(global_context(&env), "alpha");
    // A shell without the integration at all: `use` is today's global switch.
    let mut plain = Shell::start(&env, "zsh", false);
    plain.run("eks-kc use gamma").ok();
    assert_eq!(global_context(&env), "gamma");
    assert_eq!(a.kubectl_context(), "gamma");
    a.exit();
    plain.exit();
}

#[test]
fn a_shell_started_inside_another_takes_its_own_copy() {
    for name in SHELLS {
        let env = env_with_contexts();
        let mut a = Shell::start(&env, name, true);
        a.run("eks-kc use --shell beta -n team").ok();
        let nested = match name {
            "fish" => "fish --no-config -c 'eks-kc init fish | source; eks-kc prompt; eks-kc use gamma >/dev/null; eks-kc prompt'".to_owned(),
            _ => format!(
                "{name} -c 'eval \"$(eks-kc init {name})\"; eks-kc prompt; eks-kc use gamma >/dev/null; eks-kc prompt'"
            ),
        };
        let inside = a.run(&nested);
        assert_eq!(
            inside.ok().stdout,
            "beta:team\ngamma\n",
            "{name}: {}",
            inside.stderr
        );
        assert_eq!(a.run("eks-kc prompt").line(), "beta:team", "{name}");
        a.exit();
    }
}

#[test]
fn completion_still_works_through_the_shell_function() {
    let env = env_with_contexts();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/eks-kc.bash");
    let program = format!(
        "eval \"$(eks-kc init bash)\"\nsource {}\nCOMP_WORDS=(eks-kc use be); COMP_CWORD=2; \
         COMP_LINE='eks-kc use be'; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9\n\
         _clap_complete_eks_kc eks-kc be use\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display()
    );
    let run = Run::from(env.command("bash").arg("-c").arg(program).output().unwrap());
    assert_eq!(run.ok().stdout.trim(), "beta");
}

#[test]
fn ns_and_use_namespace_change_the_file_that_defines_the_context() {
    let mut env = env_with_contexts();
    // current-context lives in first.yaml, the contexts in the kubeconfig.
    let first = env.path("first.yaml");
    fs::write(
        &first,
        "apiVersion: v1\nkind: Config\ncurrent-context: beta\n",
    )
    .unwrap();
    let list = format!("{}:{}", first.display(), env.kubeconfig.display());
    env.set("KUBECONFIG", &list);
    let view_ns = |env: &TestEnv| -> String {
        let v = kubectl_view(env, &list);
        let current = v["current-context"].as_str().unwrap().to_owned();
        let ctx = v["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == current.as_str())
            .unwrap();
        format!(
            "{current}/{}",
            ctx["context"]["namespace"].as_str().unwrap_or("")
        )
    };
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "default\n");
    let run = env.run(&["ns", "web"]);
    assert_eq!(
        run.ok().stdout,
        "Switched to namespace \"web\" of context \"beta\".\n"
    );
    assert_eq!(view_ns(&env), "beta/web");
    assert!(!fs::read_to_string(&first).unwrap().contains("web"));
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "web\n");
    env.run(&["ns", "-"]).ok();
    assert_eq!(view_ns(&env), "beta/default");
    env.run(&["ns", "-"]).ok();
    assert_eq!(view_ns(&env), "beta/web");
    // use -n: the context and its namespace; current-context in first.yaml, as kubectl would.
    let run = env.run(&["use", "alph", "-n", "ops"]);
    assert_eq!(
        run.ok().stdout,
        "Switched to context \"alpha\", namespace \"ops\".\n"
    );
    assert_eq!(view_ns(&env), "alpha/ops");
    assert!(
        fs::read_to_string(&first)
            .unwrap()
            .contains("current-context: alpha")
    );
    env.run(&["use", "alpha", "-n", "-"]).ok();
    assert_eq!(view_ns(&env), "alpha/ga");
    // Bad input: an error that says why, nothing written.
    let before = fs::read(&env.kubeconfig).unwrap();
    for bad in [
        &["ns", "Web"][..],
        &["ns", "a_b"],
        &["use", "beta", "-n", "-x-"],
    ] {
        let run = env.run(bad);
        assert_eq!(run.code, Some(1), "{bad:?}");
        assert!(
            run.stderr.contains("not a namespace name"),
            "{}",
            run.stderr
        );
    }
    let run = env.run(&["ns", "--shell", "web"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("init"), "{}", run.stderr);
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), before);
    // No current context: `ns` says so; `prompt` prints nothing and succeeds.
    fs::write(&first, "apiVersion: v1\nkind: Config\n").unwrap();
    fs::write(
        &env.kubeconfig,
        KUBECONFIG.replace("current-context: alpha", ""),
    )
    .unwrap();
    let run = env.run(&["ns"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("no current context"), "{}", run.stderr);
    let run = env.run(&["prompt"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), ""));
}

#[test]
fn prompt_follows_kubectl_and_hand_edits_at_once() {
    let env = env_with_contexts();
    assert_eq!(env.run(&["prompt"]).ok().stdout, "alpha:ga\n");
    // Same-length names, one after the other as fast as kubectl goes: never a stale answer.
    for (to, shown) in [
        ("gamma", "gamma"),
        ("alpha", "alpha:ga"),
        ("gamma", "gamma"),
    ] {
        Run::from(
            env.command(real_kubectl())
                .args(["config", "use-context", to])
                .output()
                .unwrap(),
        )
        .ok();
        assert_eq!(env.run(&["prompt"]).ok().stdout.trim(), shown);
    }
    // A hand edit of the same size, in place, within the same second.
    let text = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(text.contains("current-context: gamma"), "{text}");
    fs::write(
        &env.kubeconfig,
        text.replace("current-context: gamma", "current-context: alpha"),
    )
    .unwrap();
    assert_eq!(env.run(&["prompt"]).ok().stdout, "alpha:ga\n");
    let now = global_context(&env);
    assert_eq!(now, "alpha");
    // Formats.
    let run = env.run(&["prompt", "--format", "⎈ {context} ({namespace})"]);
    assert_eq!(run.ok().stdout, format!("⎈ {now} (ga)\n"));
    let run = env.run(&["prompt", "-f", "{context}/{namespace}", "--kubeconfig"]);
    assert_eq!(run.code, Some(2), "--kubeconfig needs a file");
    fs::write(
        env.path("other"),
        KUBECONFIG.replace("current-context: alpha", "current-context: beta"),
    )
    .unwrap();
    let other = env.path("other");
    let run = env.run(&[
        "prompt",
        "-f",
        "{context}/{namespace}",
        "--kubeconfig",
        other.to_str().unwrap(),
    ]);
    assert_eq!(run.ok().stdout, "beta/default\n");
    let run = env.run(&["prompt", "--format", "{cluster}"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("{context}"), "{}", run.stderr);
}

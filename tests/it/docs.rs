//! The documentation runs. Every fenced shell block of README.md and docs/*.md is run in a world
//! built from the docs' own examples: a temporary HOME whose AWS profiles `ops` and `dev` see
//! the clusters the examples name (prod and canary in eu-west-1 for ops; staging in eu-west-1
//! and sandbox in us-east-1 for dev) through fake EKS endpoints, each cluster served by the
//! token-checking API server, STS faked, and a kubeconfig that `eks-kc sync -p dev -p ops -r
//! eu-west-1 -r us-east-1` wrote. Nothing leaves 127.0.0.1.
//!
//! The conventions (docs/CONTRIBUTING.md says the same):
//!
//! - A block runs when its info string is `sh`, `bash` or `console` (run by bash; in `console`
//!   only the `$ ` lines are commands), `zsh` or `fish` (run by that shell). Other blocks
//!   (`yaml`, `toml`, none) are text.
//! - One command per line; a trailing `\` continues it. Lines and comments run as written, in
//!   one shell per block, so variables and the shell function of `eks-kc init` carry over
//!   within a block. Each command must exit 0.
//! - A block whose first line is `# illustrative: WHY` is not run (it needs a real AWS account,
//!   a release build, a package manager); it is only checked for syntax, and counted.
//! - Every block starts from a copy of the synced world, so blocks are independent and a block
//!   may be destructive (`forget`, `cache clear`). The info-string word `fresh` (```` ```sh
//!   fresh ````) starts it before that sync instead: AWS set up, no kubeconfig yet.
//!
//! The other tests here check what the docs say about the code and about each other:
//! ARCHITECTURE.md's module map against src/, links and anchors between the files, and the
//! README's length.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The longest a block may run before it counts as hung.
const BLOCK_LIMIT: Duration = Duration::from_secs(180);

// ---------------------------------------------------------------------------------------------
// The documents and their blocks

/// README.md, then docs/*.md by name: the files whose blocks run.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join("docs"))
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect()
        })
        .unwrap_or_default();
    docs.sort();
    docs.insert(0, Path::new(ROOT).join("README.md"));
    docs
}

/// A path as the failure messages name it: relative to the checkout.
fn shown(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn program(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }
}

/// A fenced block that runs: where it is, which shell runs it, how.
struct Block {
    file: String,
    /// The line of the opening fence (1-based).
    fence: usize,
    shell: Shell,
    console: bool,
    fresh: bool,
    lines: Vec<String>,
}

/// One command of a block: its first line in the file, and its text (continuations joined).
struct Cmd {
    line: usize,
    text: String,
}

/// Every shell block of `text`; panics on an unknown word in an info string (a typo of `fresh`
/// would otherwise change silently what a block runs in).
fn blocks_of(file: &str, text: &str) -> Vec<Block> {
    let mut blocks = vec![];
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        let body: Vec<String> = lines
            .by_ref()
            .take_while(|(_, l)| l.trim_end() != "```")
            .map(|(_, l)| l.to_owned())
            .collect();
        if let Some(inner) = body.iter().position(|l| l.starts_with("```")) {
            panic!(
                "{file}:{}: a fence inside the block that opens at line {}: is a block unclosed?",
                i + 2 + inner,
                i + 1
            );
        }
        let (shell, console) = match lang {
            "sh" | "bash" => (Shell::Bash, false),
            "console" => (Shell::Bash, true),
            "zsh" => (Shell::Zsh, false),
            "fish" => (Shell::Fish, false),
            _ => continue,
        };
        let mut fresh = false;
        for word in words {
            match word {
                "fresh" => fresh = true,
                other => panic!(
                    "{file}:{}: unknown word {other:?} in the info string (only `fresh`)",
                    i + 1
                ),
            }
        }
        blocks.push(Block {
            file: file.to_owned(),
            fence: i + 1,
            shell,
            console,
            fresh,
            lines: body,
        });
    }
    blocks
}

impl Block {
    /// `Some(why)` when the first line is `# illustrative: WHY`.
    fn illustrative(&self) -> Option<String> {
        let first = self.lines.first()?.trim();
        let why = first.strip_prefix("# illustrative")?;
        let why = why.strip_prefix(':').map(str::trim).unwrap_or("");
        assert!(
            !why.is_empty(),
            "{}:{}: say why the block is illustrative: `# illustrative: WHY`",
            self.file,
            self.fence + 1
        );
        Some(why.to_owned())
    }

    /// The commands: every line that is not blank or only a comment (in a console block, the
    /// `$ ` lines), with the lines a trailing backslash continues it onto.
    fn commands(&self) -> Vec<Cmd> {
        let mut cmds = vec![];
        let mut lines = self.lines.iter().enumerate();
        while let Some((i, line)) = lines.next() {
            let line = if self.console {
                match line.strip_prefix("$ ") {
                    Some(rest) => rest,
                    None => continue,
                }
            } else {
                line.as_str()
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut text = line.to_owned();
            while text.ends_with('\\') {
                match lines.next() {
                    Some((_, more)) => {
                        text.push('\n');
                        text.push_str(more.strip_prefix("> ").unwrap_or(more));
                    }
                    None => break,
                }
            }
            cmds.push(Cmd {
                line: self.fence + 1 + i,
                text,
            });
        }
        cmds
    }

    fn at(&self, cmd: &Cmd) -> String {
        format!("{}:{}", self.file, cmd.line)
    }

    /// The block as a script: each command as written, then a check that stops the script at
    /// the first command that failed, naming it by its index. `done` is created at the end.
    fn script(&self, cmds: &[Cmd], done: &Path) -> String {
        let done = done.display();
        let mut s = String::new();
        match self.shell {
            Shell::Bash => s.push_str("set -o pipefail\ncd \"$HOME\" || exit 99\n"),
            Shell::Zsh => s.push_str("setopt pipe_fail\ncd \"$HOME\" || exit 99\n"),
            Shell::Fish => s.push_str("cd \"$HOME\"; or exit 99\n"),
        }
        for (i, cmd) in cmds.iter().enumerate() {
            s.push_str(&cmd.text);
            s.push('\n');
            match self.shell {
                Shell::Bash | Shell::Zsh => s.push_str(&format!(
                    "__docs_status=$?; if [ \"$__docs_status\" -ne 0 ]; then echo \"DOCS-FAILED {i} $__docs_status\" >&2; exit 1; fi\n"
                )),
                Shell::Fish => s.push_str(&format!(
                    "set -l __docs_status $pipestatus; for __s in $__docs_status; if test $__s -ne 0; echo \"DOCS-FAILED {i} $__s\" >&2; exit 1; end; end\n"
                )),
            }
        }
        s.push_str(&format!("touch '{done}'\n"));
        s
    }

    /// The commands alone, for the shell's syntax check of an illustrative block.
    fn plain_script(&self, cmds: &[Cmd]) -> String {
        cmds.iter().map(|c| format!("{}\n", c.text)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The world the blocks run in

const REGION: &str = "eu-west-1";
/// profile -> [(cluster, region)]: what each profile's EKS lists.
const CLUSTERS: [(&str, &[(&str, &str)]); 2] = [
    ("ops", &[("prod", REGION), ("canary", REGION)]),
    ("dev", &[("staging", REGION), ("sandbox", "us-east-1")]),
];
/// What fake STS answers GetCallerIdentity with for the fixture keys.
const CALLER: &str = "arn:aws:iam::111122223333:user/eks-kc-test";
const ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// A context as `aws eks update-kubeconfig --name legacy --region eu-west-1 --profile ops`
/// writes it: what `eks-kc adopt` takes over.
const AWS_CLI_CONTEXT: &str = "apiVersion: v1
kind: Config
preferences: {}
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:1
  name: arn:aws:eks:eu-west-1:111122223333:cluster/legacy
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/legacy
    user: arn:aws:eks:eu-west-1:111122223333:cluster/legacy
  name: arn:aws:eks:eu-west-1:111122223333:cluster/legacy
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/legacy
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [--region, eu-west-1, eks, get-token, --cluster-name, legacy, --output, json]
      command: aws
      env:
      - name: AWS_PROFILE
        value: ops
";

struct World {
    env: TestEnv,
    path: String,
    /// HOME and the cache dir before the sync (`fresh`) and after it.
    fresh: PathBuf,
    synced: PathBuf,
    _sts: FakeSts,
    _eks: Vec<FakeEks>,
    _apis: Vec<ApiServer>,
}

impl World {
    fn build() -> World {
        let mut env = TestEnv::new();
        // Blocks start in HOME; what they make is theirs alone.
        let sts = FakeSts::start(&env);
        env.set("AWS_ENDPOINT_URL_STS", sts.url());
        env.set("AWS_PROFILE", "ops");
        env.set("EKS_KC_TIMEOUT", "10s");
        env.set("MANPAGER", "cat");
        let mut apis = vec![];
        let mut eks = vec![];
        let mut config = String::new();
        let mut credentials = String::new();
        for (profile, clusters) in CLUSTERS {
            let mut by_region = serde_json::Map::new();
            for (cluster, region) in clusters {
                let api = ApiServer::start(&env, cluster, region);
                let entry = json!({
                    "name": cluster, "endpoint": api.url(), "ca": api.ca_data(),
                    "accessEntries": [{"principalArn": CALLER, "policies": [
                        {"policyArn": ADMIN, "accessScope": {"type": "cluster"}}]}],
                });
                by_region
                    .entry(region.to_string())
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .unwrap()
                    .push(entry);
                apis.push(api);
            }
            let fake = FakeEks::start(&env, &Value::Object(by_region));
            config.push_str(&format!(
                "[profile {profile}]\nregion = {REGION}\nendpoint_url = {}\n\n",
                fake.url()
            ));
            credentials.push_str(&format!(
                "[{profile}]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n\n"
            ));
            eks.push(fake);
        }
        env.write_aws_config(&config);
        env.write_aws_credentials(&credentials);

        // kubectl itself, first on PATH: not a dispatcher that runs exec plugins for `config`.
        let bin = env.path("bin");
        fs::create_dir_all(&bin).unwrap();
        let kubectl = real_kubectl();
        if Path::new(&kubectl).is_absolute() {
            std::os::unix::fs::symlink(&kubectl, bin.join("kubectl")).unwrap();
        }
        let path = format!("{}:{}", bin.display(), child_path());

        let mut world = World {
            fresh: env.path("snapshot-fresh"),
            synced: env.path("snapshot-synced"),
            env,
            path,
            _sts: sts,
            _eks: eks,
            _apis: apis,
        };
        fs::remove_dir_all(world.env.home.join(".kube")).unwrap();
        world.save(&world.fresh.clone());
        fs::create_dir_all(world.env.home.join(".kube")).unwrap();
        fs::write(&world.env.kubeconfig, AWS_CLI_CONTEXT).unwrap();
        let sync = world.bash("eks-kc sync -p dev -p ops -r eu-west-1 -r us-east-1");
        assert_eq!(sync.code, Some(0), "the world's sync: {}", sync.stderr);
        world.save(&world.synced.clone());
        world
    }

    /// Copies HOME and the cache dir to `to`.
    fn save(&mut self, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for dir in [&self.env.home, &self.env.cache_dir] {
            if dir.exists() {
                cp_a(dir, to);
            }
        }
    }

    /// HOME and the cache dir as they were in `from`.
    fn restore(&self, from: &Path) {
        for dir in [&self.env.home, &self.env.cache_dir] {
            if dir.exists() {
                fs::remove_dir_all(dir).unwrap();
            }
            let saved = from.join(dir.file_name().unwrap());
            if saved.exists() {
                cp_a(&saved, dir.parent().unwrap());
            }
        }
    }

    fn shell(&self, program: &str) -> Command {
        let mut cmd = self.env.command(program);
        cmd.env("PATH", &self.path).current_dir(&self.env.home);
        cmd
    }

    fn bash(&self, line: &str) -> Run {
        Run::from(self.shell("bash").args(["-c", line]).output().unwrap())
    }

    /// Runs `script` with `shell` under the block limit, killing its process group when the
    /// limit passes. `None` when it did.
    fn run_script(&self, shell: Shell, script: &Path) -> Option<Run> {
        let mut child = self
            .shell(shell.program())
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let finished = Arc::new(AtomicBool::new(false));
        let timed_out = Arc::new(AtomicBool::new(false));
        let watchdog = {
            let (finished, timed_out) = (finished.clone(), timed_out.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + BLOCK_LIMIT;
                while !finished.load(Ordering::SeqCst) {
                    if Instant::now() > deadline {
                        timed_out.store(true, Ordering::SeqCst);
                        unsafe { libc::kill(-pid, libc::SIGKILL) };
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = vec![];
            stdout.read_to_end(&mut s).unwrap();
            s
        });
        let mut err = vec![];
        stderr.read_to_end(&mut err).unwrap();
        let status = child.wait().unwrap();
        finished.store(true, Ordering::SeqCst);
        watchdog.join().unwrap();
        let output = std::process::Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err,
        };
        if timed_out.load(Ordering::SeqCst) {
            None
        } else {
            Some(Run::from(output))
        }
    }
}

/// `cp -a from into/`: modes, owners and links kept, as eks-kc checks them.
fn cp_a(from: &Path, into: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(into)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        into.display()
    );
}

/// Syntax check of an illustrative block by its shell (`bash -n`, `zsh -n`, `fish -n`).
fn syntax_error(world: &World, block: &Block, cmds: &[Cmd]) -> Option<String> {
    let script = world.env.path("illustrative.sh");
    fs::write(&script, block.plain_script(cmds)).unwrap();
    let out = world
        .shell(block.shell.program())
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_shell_command_in_the_docs_runs() {
    let world = World::build();
    let (mut ran, mut ran_blocks, mut shown_only, mut shown_blocks) = (0, 0, 0, 0);
    let mut failures = vec![];
    for doc in documents() {
        let text = fs::read_to_string(&doc).unwrap();
        for block in blocks_of(&shown(&doc), &text) {
            let cmds = block.commands();
            if cmds.is_empty() {
                continue;
            }
            if let Some(why) = block.illustrative() {
                shown_blocks += 1;
                shown_only += cmds.len();
                for cmd in &cmds {
                    println!("ILLUSTRATIVE {}: {}", block.at(cmd), cmd.text);
                }
                println!("  (not run: {why})");
                if let Some(error) = syntax_error(&world, &block, &cmds) {
                    failures.push(format!(
                        "{}:{}: the illustrative block does not parse as {}:\n{error}",
                        block.file,
                        block.fence,
                        block.shell.program()
                    ));
                }
                continue;
            }
            ran_blocks += 1;
            ran += cmds.len();
            world.restore(if block.fresh {
                &world.fresh
            } else {
                &world.synced
            });
            for cmd in &cmds {
                println!("RUN {}: {}", block.at(cmd), cmd.text);
            }
            let done = world.env.path("block.done");
            let _ = fs::remove_file(&done);
            let script = world.env.path("block.script");
            fs::write(&script, block.script(&cmds, &done)).unwrap();
            let Some(run) = world.run_script(block.shell, &script) else {
                failures.push(format!(
                    "{}:{}: the block still ran after {BLOCK_LIMIT:?} and was killed",
                    block.file, block.fence
                ));
                continue;
            };
            if run.code == Some(0) && done.exists() {
                continue;
            }
            let failed = run
                .stderr
                .lines()
                .find_map(|l| l.strip_prefix("DOCS-FAILED "))
                .and_then(|rest| {
                    let mut parts = rest.split_whitespace();
                    let i: usize = parts.next()?.parse().ok()?;
                    Some((i, parts.next().unwrap_or("?").to_owned()))
                });
            let what = match failed {
                Some((i, status)) => {
                    format!("{}: `{}` exited {status}", block.at(&cmds[i]), cmds[i].text)
                }
                None => format!(
                    "{}:{}: the block stopped early (exit {:?})",
                    block.file, block.fence, run.code
                ),
            };
            println!("FAILED {what}");
            failures.push(format!(
                "{what}\n--- stdout\n{}--- stderr\n{}",
                run.stdout, run.stderr
            ));
        }
    }
    println!(
        "docs: {ran} commands run in {ran_blocks} blocks; {shown_only} illustrative in \
         {shown_blocks} blocks (syntax checked only)"
    );
    assert!(ran > 0, "no block ran: are README.md and docs/ there?");
    assert!(
        failures.is_empty(),
        "{} of the documented blocks failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// What the docs say about the code and about each other

fn read(path: &str) -> String {
    fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `src/...` path named in `text`, as written (trailing punctuation dropped).
fn src_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("src/") {
        if at > 0 {
            let before = text.as_bytes()[at - 1];
            if before.is_ascii_alphanumeric() || before == b'/' || before == b'_' {
                continue;
            }
        }
        let path: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-'))
            .collect();
        found.insert(path.trim_end_matches('.').to_owned());
    }
    found
}

/// The top-level modules of src/ (src/*.rs and src/*/, main and lib aside), as `src/x.rs` or
/// `src/x/`.
fn top_level_modules() -> BTreeSet<String> {
    fs::read_dir(Path::new(ROOT).join("src"))
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            if e.file_type().unwrap().is_dir() {
                Some(format!("src/{name}/"))
            } else if name.ends_with(".rs") && name != "main.rs" && name != "lib.rs" {
                Some(format!("src/{name}"))
            } else {
                None
            }
        })
        .collect()
}

/// The module name of `src/x.rs` or `src/x/...`.
fn module_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("src/")?;
    let first = rest.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!name.is_empty()).then(|| name.to_owned())
}

#[test]
fn architecture_names_every_module_and_only_paths_that_exist() {
    let text = read("docs/ARCHITECTURE.md");
    let missing: Vec<String> = src_paths(&text)
        .into_iter()
        .filter(|p| !Path::new(ROOT).join(p).exists())
        .collect();
    let named: BTreeSet<String> = src_paths(&text)
        .iter()
        .filter_map(|p| module_of(p))
        .collect();
    let unnamed: Vec<String> = top_level_modules()
        .into_iter()
        .filter(|m| !named.contains(&module_of(m).unwrap()))
        .collect();
    assert!(
        missing.is_empty() && unnamed.is_empty(),
        "docs/ARCHITECTURE.md is out of date:\n  paths it names that do not exist: {missing:?}\n  \
         modules of src/ it does not name: {unnamed:?}"
    );
}

/// The modules `crate::x` names in the code of one top-level module (tests left out, as
/// bench/modgraph.py does).
fn imports_of(module: &str) -> BTreeSet<String> {
    let src = Path::new(ROOT).join("src");
    let mut files = vec![];
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        files.push(file);
    }
    let mut stack = vec![src.join(module)];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs")
                && p.file_name().is_some_and(|n| n != "tests.rs")
            {
                files.push(p);
            }
        }
    }
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
            .collect()
    };
    let mut names = BTreeSet::new();
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + 7..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for part in group.split(',') {
                    names.insert(ident(part.trim()));
                }
            } else {
                names.insert(ident(rest));
            }
        }
    }
    names.retain(|n| !n.is_empty() && n != module && n != "self");
    names
}

#[test]
fn the_module_map_lists_each_module_above_the_modules_it_imports() {
    let text = read("docs/ARCHITECTURE.md");
    let start = text
        .find("```text\n")
        .expect("docs/ARCHITECTURE.md has the module map in a ```text block");
    let map = &text[start..];
    let map = &map[..map[8..].find("```").unwrap() + 8];
    let mut order: Vec<String> = vec![];
    for line in map.lines() {
        for path in src_paths(line.split_whitespace().next().unwrap_or("")) {
            if let Some(m) = module_of(&path)
                && !order.contains(&m)
            {
                order.push(m);
            }
        }
    }
    let mut wrong = vec![];
    for (i, module) in order.iter().enumerate() {
        if module == "main" || module == "lib" || module == "tests" {
            continue;
        }
        for import in imports_of(module) {
            if let Some(j) = order.iter().position(|m| *m == import)
                && j < i
            {
                wrong.push(format!("{module} imports {import}, listed above it"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/ARCHITECTURE.md: the module map is top-down (a module imports only modules \
         listed after it), but:\n  {}",
        wrong.join("\n  ")
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings (outside fenced blocks), with GitHub's `-1`,
/// `-2` for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let base = anchor(line.trim_start_matches('#'));
        let mut name = base.clone();
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        seen.insert(name);
    }
    seen
}

/// Every `](target)` of a Markdown text outside fenced blocks.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = vec![];
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push((i + 1, rest[..end].to_owned()));
            }
        }
    }
    found
}

#[test]
fn links_between_the_docs_resolve() {
    let mut broken = vec![];
    for doc in documents() {
        let text = fs::read_to_string(&doc).unwrap();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !path.exists() {
                broken.push(format!("{}:{line}: {target}: no such file", shown(&doc)));
                continue;
            }
            if let Some(fragment) = fragment {
                let there = fs::read_to_string(&path).unwrap_or_default();
                if !anchors(&there).contains(fragment) {
                    broken.push(format!("{}:{line}: {target}: no such heading", shown(&doc)));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_readme_is_at_most_300_lines() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; the rest goes to docs/"
    );
}

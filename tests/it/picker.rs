//! Issue 26: the picker of `use` and `ns` without a name, driven through a real pseudo-terminal
//! (util-linux `script`): a query, arrow keys and Enter switch as `use NAME` would (only in this
//! shell with `--shell`, through the shell function in bash); Esc and Ctrl-C exit 130 with the
//! kubeconfig byte-identical; hostile names never reach the terminal raw. Without a terminal,
//! the candidates are printed one per line. The recent contexts come first in the picker and in
//! completion.

use std::fs;
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;

const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{9b}2J";
const WIDE: &str = "ünïcödé-日本語";

/// Six contexts, `dev` current: two that a "prod" query finds, one named with terminal escape
/// sequences, a 300-character one and a non-ASCII one.
fn kubeconfig() -> String {
    let long = format!("long-{}", "x".repeat(300));
    let names = ["dev", "prod-eu", "prod-us", HOSTILE, &long, WIDE];
    let mut text = String::from(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://c.example'}\n\
         users:\n- name: u\n  user: {token: not-a-secret}\ncontexts:\n",
    );
    for name in names {
        let quoted = yaml_quoted(name);
        text.push_str(&format!(
            "- name: {quoted}\n  context: {{cluster: c, user: u}}\n"
        ));
    }
    text.push_str("current-context: dev\n");
    text
}

/// `name` as a YAML double-quoted scalar, control characters as `\u` escapes.
fn yaml_quoted(name: &str) -> String {
    let mut out = String::from('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn env_with_contexts() -> TestEnv {
    let mut env = TestEnv::new();
    fs::write(&env.kubeconfig, kubeconfig()).unwrap();
    env.set("TERM", "xterm-256color");
    env
}

fn current(env: &TestEnv) -> String {
    let text = fs::read_to_string(&env.kubeconfig).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("current-context:"))
        .unwrap();
    line["current-context:".len()..]
        .trim()
        .trim_matches('"')
        .to_owned()
}

/// A program on a pseudo-terminal of 30 rows and 120 columns.
struct Pty {
    child: Child,
    stdin: ChildStdin,
    output: Receiver<Vec<u8>>,
    seen: String,
    /// Where the next [`Pty::expect`] starts looking.
    mark: usize,
}

impl Pty {
    fn start(env: &TestEnv, line: &str) -> Pty {
        let mut child = env
            .command("script")
            .args([
                "-qfec",
                &format!("stty rows 30 cols 120; {line}"),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux) runs");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            stdin,
            output,
            seen: String::new(),
            mark: 0,
        }
    }

    /// Waits (at most 20 s) until the terminal shows `text` after the last match.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + bound(Duration::from_secs(20));
        loop {
            if let Some(at) = self.seen[self.mark..].find(text) {
                self.mark += at + text.len();
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!(
                    "the terminal never showed {text:?}; it showed:\n{}",
                    self.seen
                ),
            }
        }
    }

    /// Types `keys`, then lets the picker draw a frame.
    fn send(&mut self, keys: &str) {
        self.stdin.write_all(keys.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits (at most 20 s) for the program to exit: its status and all it showed.
    fn wait(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + bound(Duration::from_secs(20));
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(chunk) = self.output.recv_timeout(Duration::from_millis(300)) {
                    self.seen.push_str(&String::from_utf8_lossy(&chunk));
                }
                return (status.code(), std::mem::take(&mut self.seen));
            }
            assert!(Instant::now() < deadline, "still running:\n{}", self.seen);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Pty {
    /// The number the program printed after `PID ` (`sh -c 'echo PID $$; exec ...'`).
    fn pid(&mut self) -> u32 {
        self.expect("PID ");
        self.expect("\n");
        let line = self.seen[..self.mark]
            .rsplit("PID ")
            .next()
            .unwrap_or_default();
        line.trim().parse().expect("a process id")
    }

    /// What the terminal showed between the last match and `text` (which it waits for).
    fn until(&mut self, text: &str) -> String {
        let from = self.mark;
        self.expect(text);
        self.seen[from..self.mark - text.len()].to_owned()
    }
}

/// Whether process `pid` has ended (gone, or a zombie nobody has reaped yet).
fn ended(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// A line of `stty -a` says the terminal is cooked again: canonical input, echo and signals.
fn assert_cooked(stty: &str) {
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(flags.contains(&flag), "{flag} is off:\n{stty}");
        assert!(
            !flags.contains(&&*format!("-{flag}")),
            "{flag} is off:\n{stty}"
        );
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn picker(env: &TestEnv, args: &str) -> Pty {
    let mut pty = Pty::start(env, &format!("{} {args}", bin().display()));
    pty.expect("6/6");
    pty
}

#[test]
fn a_query_arrow_down_and_enter_switch_the_kubeconfig() {
    let env = env_with_contexts();
    let mut pty = picker(&env, "use");
    pty.send("prod");
    pty.expect("2/6");
    pty.send("\u{1b}[B");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("Switched to context \"prod-us\"."),
        "{screen}"
    );
    assert_eq!(current(&env), "prod-us");
    // `use -` keeps its meaning: back to the one before the pick.
    env.run(&["use", "-"]).ok();
    assert_eq!(current(&env), "dev");
}

#[test]
fn esc_and_ctrl_c_exit_130_and_change_nothing() {
    let env = env_with_contexts();
    let before = fs::read(&env.kubeconfig).unwrap();
    // `use -i prod` starts with the query typed.
    for (key, args) in [("\u{1b}", "use"), ("\u{3}", "use -i prod")] {
        let mut pty = Pty::start(&env, &format!("{} {args}", bin().display()));
        if args == "use" {
            pty.expect("6/6");
            pty.send("prod");
        }
        pty.expect("2/6");
        pty.send(key);
        let (code, screen) = pty.wait();
        assert_eq!(code, Some(130), "{key:?}: {screen}");
        assert_eq!(fs::read(&env.kubeconfig).unwrap(), before, "{key:?}");
    }
    assert!(
        !env.home
            .join(".local/state/eks-kc/recent-contexts.json")
            .exists(),
        "nothing was used, so nothing is recent"
    );
}

#[test]
fn hostile_names_are_shown_escaped_and_non_ascii_ones_can_be_picked() {
    let env = env_with_contexts();
    let mut pty = picker(&env, "use");
    pty.send("日本");
    pty.expect("1/6");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(current(&env), WIDE);
    // The title-setting OSC and the C1 CSI of the hostile name are drawn as text, never sent.
    assert!(screen.contains("evil\\x1b]0;pwned\\x07\\x9b2J"), "{screen}");
    assert!(!screen.contains("\u{1b}]0;pwned"), "{screen}");
    assert!(!screen.contains('\u{9b}'), "{screen}");
    // The long name is cut to the terminal's width, not wrapped over the screen.
    assert!(!screen.contains(&"x".repeat(200)), "{screen}");
}

#[test]
fn without_a_terminal_the_candidates_are_printed_one_per_line() {
    let env = env_with_contexts();
    let run = env.run(&["use"]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stdout);
    assert_eq!(lines[..3], ["dev", "prod-eu", "prod-us"]);
    // For a program, exact names (the hostile one raw: scripts get what kubectl would).
    assert_eq!(lines[3], HOSTILE);
    assert_eq!(lines[5], WIDE);
    assert_eq!(
        env.run(&["use", "-i", "prod"]).ok().stdout,
        "prod-eu\nprod-us\n"
    );
    assert_eq!(current(&env), "dev");
    // On a terminal without a keyboard (stdin redirected): listed, but escaped.
    let pty = Pty::start(&env, &format!("{} use </dev/null", bin().display()));
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("evil\\x1b]0;pwned\\x07"), "{screen}");
    assert!(!screen.contains("\u{1b}]0;pwned"), "{screen}");
}

#[test]
fn recent_contexts_come_first_in_the_picker_and_in_completion() {
    let env = env_with_contexts();
    for name in ["prod-us", "prod-eu", WIDE] {
        env.run(&["use", name]).ok();
    }
    // Current: WIDE; before it prod-eu, then prod-us. Enter at once picks the most recent one
    // that is not current.
    let mut pty = picker(&env, "use");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(current(&env), "prod-eu");
    let complete = |env: &TestEnv| {
        let run = env
            .eks_kc(&["--", "eks-kc", "use", ""])
            .env("COMPLETE", "bash")
            .env("_CLAP_IFS", "\n")
            .env("_CLAP_COMPLETE_INDEX", "2")
            .output()
            .unwrap();
        String::from_utf8(run.stdout).unwrap()
    };
    let offered = complete(&env);
    let first: Vec<&str> = offered.lines().take(3).collect();
    assert_eq!(first, [WIDE, "prod-us", "dev"], "{offered}");
    // A context that is gone is skipped, in the picker's list and completion's.
    let text = fs::read_to_string(&env.kubeconfig)
        .unwrap()
        .replace(WIDE, "renamed");
    fs::write(&env.kubeconfig, text).unwrap();
    let offered = complete(&env);
    assert_eq!(offered.lines().next(), Some("prod-us"), "{offered}");
}

#[test]
fn use_shell_picks_for_this_shell_only() {
    let mut env = env_with_contexts();
    env.set("PS1", "READY> ");
    let mut pty = Pty::start(&env, "bash --norc --noprofile -i");
    pty.expect("READY> ");
    pty.send("eval \"$(eks-kc init bash)\"\r");
    pty.expect("READY> ");
    pty.send("eks-kc use --shell\r");
    pty.expect("6/6");
    pty.send("prod");
    pty.expect("2/6");
    pty.send("\u{1b}[B");
    pty.send("\r");
    pty.expect("Switched to context \"prod-us\" in this shell.");
    pty.send("echo \"[$(eks-kc prompt)]\"\r");
    pty.expect("[prod-us]");
    // Esc in this shell: status 130, nothing changed.
    pty.send("eks-kc use\r");
    pty.expect("6/6");
    pty.send("\u{1b}");
    pty.send("echo \"status=$?\"\r");
    pty.expect("status=130");
    pty.send("exit\r");
    pty.wait();
    assert_eq!(
        current(&env),
        "dev",
        "the kubeconfig's context did not move"
    );
    assert_eq!(env.run(&["prompt"]).ok().stdout.trim(), "dev");
}

#[test]
fn many_contexts_come_from_the_digest_and_past_the_first_screen_too() {
    let env = env_with_contexts();
    let mut text = String::from(
        "clusters:\n- name: c\n  cluster: {server: 'https://c.example'}\n\
         users:\n- name: u\n  user: {token: not-a-secret}\ncontexts:\n",
    );
    for i in 0..300 {
        let ns = match i {
            0 => ", namespace: first",
            299 => ", namespace: last",
            _ => "",
        };
        text.push_str(&format!(
            "- name: ctx-{i:03}\n  context: {{cluster: c, user: u{ns}}}\n"
        ));
    }
    text.push_str("current-context: ctx-000\n");
    fs::write(&env.kubeconfig, text).unwrap();
    let mut pty = Pty::start(&env, &format!("{} use", bin().display()));
    // The first screen is drawn, and the rows past it follow while the picker is open.
    pty.expect("ctx-000  (current)");
    pty.expect("not an EKS context | namespace first");
    pty.expect("300/300");
    pty.send("ctx-299");
    // Past the contexts the digest judged, only the namespace is known.
    pty.expect("ctx-299");
    pty.expect("    namespace last");
    pty.expect("1/300");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(current(&env), "ctx-299");
    // A kubeconfig that large is worth a digest even without eks-kc's entries.
    let digests = fs::read_dir(&env.cache_dir).unwrap().flatten();
    let names: Vec<String> = digests
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("contexts-")),
        "{names:?}"
    );
}

/// Profile `team` signs with the fixture keys (a credential_process); context `prod` is served
/// by the fake API server, which lists namespaces default, kube-system and eks-kc-test.
fn env_with_cluster() -> (TestEnv, ApiServer) {
    env_with_namespaces(0)
}

/// [`env_with_cluster`] with `more` namespaces besides (ns-0000, ...), listed in pages.
fn env_with_namespaces(more: usize) -> (TestEnv, ApiServer) {
    let mut env = TestEnv::new();
    let (script, _) = env.counting_credential_process();
    env.write_aws_config(&format!(
        "[profile team]\ncredential_process = {}\n",
        script.display()
    ));
    env.set("TERM", "xterm-256color");
    env.set("EKS_KC_TIMEOUT", "5s");
    let server = ApiServer::builder(&env, "prod", "eu-west-1")
        .namespaces(more)
        .start();
    let text = generic_kubeconfig(&server, "prod", "eu-west-1", "team");
    fs::write(&env.kubeconfig, text).unwrap();
    (env, server)
}

#[test]
fn ns_picks_among_the_namespaces_the_api_server_lists() {
    let (env, _server) = env_with_cluster();
    let mut pty = Pty::start(&env, &format!("{} ns", bin().display()));
    pty.expect("3/3");
    pty.send("kube");
    pty.expect("1/3");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "kube-system\n");
    // Without a terminal: `ns` (and `ns -i`) print the cluster's, as kubens does piped;
    // `ns -c` the one in use.
    for args in [&["ns"][..], &["ns", "-i"]] {
        assert_eq!(
            env.run(args).ok().stdout,
            "default\nkube-system\neks-kc-test\n",
            "{args:?}"
        );
    }
    assert_eq!(env.run(&["ns", "-c"]).ok().stdout, "kube-system\n");
}

// Issue 32: `ns` refused a cluster of 2,000 namespaces (one answer of more than 1 MiB, "more
// than any API server sends here"); it reads the list in pages.
#[test]
fn ns_lists_thousands_of_namespaces_in_pages() {
    let (env, server) = env_with_namespaces(2000);
    let run = env.run(&["ns"]);
    let lines: Vec<&str> = run.ok().stdout.lines().collect();
    assert_eq!(lines.len(), 2003, "{}", run.stderr);
    assert_eq!(
        lines[..4],
        ["default", "kube-system", "eks-kc-test", "ns-0000"]
    );
    assert_eq!(lines[2002], "ns-1999");
    assert_eq!(run.stderr, "", "all were listed: no note");
    let paths: Vec<String> = server
        .decisions()
        .iter()
        .filter_map(|d| d["path"].as_str().map(str::to_owned))
        .filter(|p| p.starts_with("/api/v1/namespaces"))
        .collect();
    assert!(paths.len() >= 4, "{paths:?}");
    assert!(paths.iter().all(|p| p.contains("limit=")), "{paths:?}");
    assert!(
        paths[1..].iter().all(|p| p.contains("continue=")),
        "{paths:?}"
    );
    // And the picker offers them all.
    let mut pty = Pty::start(&env, &format!("{} ns", bin().display()));
    pty.expect("2003/2003");
    pty.send("ns-1999");
    pty.expect("1/2003");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "ns-1999\n");
}

#[test]
fn ns_says_why_it_cannot_list_and_asks_for_a_name() {
    let env = env_with_contexts();
    let mut pty = Pty::start(&env, &format!("{} ns", bin().display()));
    pty.expect("cannot list the namespaces of context 'dev'");
    pty.expect("namespace to switch to");
    pty.send("web\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "web\n");
    // Enter alone changes nothing.
    let before = fs::read(&env.kubeconfig).unwrap();
    let mut pty = Pty::start(&env, &format!("{} ns", bin().display()));
    pty.expect("namespace to switch to");
    pty.send("\r");
    let (code, _) = pty.wait();
    assert_eq!(code, Some(130));
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), before);
    // Without a terminal, `ns` (and `ns -i`) fail with the reason in one line, nothing on
    // stdout.
    for args in [&["ns"][..], &["ns", "-i"]] {
        let run = env.run(args);
        assert_eq!(run.code, Some(1), "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr
                .contains("cannot list the namespaces of context 'dev'")
                && run.stderr.contains("only with an EKS token"),
            "{}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

#[test]
fn ns_without_a_terminal_says_why_an_unreachable_cluster_cannot_list() {
    let (env, server) = env_with_cluster();
    drop(server);
    let run = env.run(&["ns"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("cannot list the namespaces of context 'prod'")
            && run.stderr.contains("the API server at https://127.0.0.1:"),
        "{}",
        run.stderr
    );
    // The namespace in use needs no cluster.
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "default\n");
}

// Issue 32: SIGTERM, SIGINT or SIGHUP while the picker was open left the terminal raw (-icanon
// -echo -isig) and on the alternate screen.
#[test]
fn a_signal_ends_the_picker_and_gives_the_terminal_back() {
    let env = env_with_contexts();
    let before = fs::read(&env.kubeconfig).unwrap();
    for (signal, status) in [
        (libc::SIGTERM, 143),
        (libc::SIGINT, 130),
        (libc::SIGHUP, 129),
    ] {
        let line = format!(
            "sh -c 'echo PID $$; exec {} use'; echo STATUS $?; stty -a; echo END",
            bin().display()
        );
        let mut pty = Pty::start(&env, &line);
        let pid = pty.pid();
        pty.expect("6/6");
        // SAFETY: kill has no memory preconditions; pid is the picker's, still running.
        assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0, "{signal}");
        let closing = pty.until("STATUS ");
        // The main screen is back (and bracketed paste off, the cursor shown).
        assert!(closing.contains("\u{1b}[?1049l"), "{signal}: {closing:?}");
        let stty = pty.until("END");
        assert!(stty.starts_with(&status.to_string()), "{signal}: {stty}");
        assert_cooked(&stty);
        let (code, screen) = pty.wait();
        assert_eq!(code, Some(0), "{signal}: {screen}");
        assert_eq!(fs::read(&env.kubeconfig).unwrap(), before, "{signal}");
    }
}

// Issue 32: a terminal that hung up while SIGHUP was ignored (`nohup`, `trap '' HUP`) left the
// picker polling it at half a core for ever.
#[test]
fn a_hung_up_terminal_ends_the_picker_even_with_sighup_ignored() {
    let env = env_with_contexts();
    let before = fs::read(&env.kubeconfig).unwrap();
    // The second runs in a session of its own: the hang-up sends it no signal at all.
    for wrap in ["", "setsid "] {
        let line = format!(
            "trap '' HUP; {wrap}sh -c 'echo PID $$; exec {} use'",
            bin().display()
        );
        let mut pty = Pty::start(&env, &line);
        let pid = pty.pid();
        pty.expect("6/6");
        // `script` holds the terminal's master side: killing it hangs the terminal up.
        pty.child.kill().unwrap();
        pty.child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ended(pid) {
            if Instant::now() > deadline {
                // SAFETY: as above; the spinning picker is ended before the test fails.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                panic!("{wrap}: the picker still ran 20 s after its terminal hung up");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(fs::read(&env.kubeconfig).unwrap(), before, "{wrap}");
    }
}

/// Three EKS contexts eks-kc manages, named to look alike: `prod`, `prod` with a zero-width
/// space, and `prod-admin` spelled backwards after a right-to-left override; the second one is
/// current, its namespace wrapped in bidi isolates.
fn look_alike_kubeconfig() -> String {
    let marker = "{managedBy: eks-kc, profile: team, region: eu-west-1, clusterName: prod}";
    let mut contexts = String::new();
    for name in ["prod", "prod\u{200b}", "\u{202e}nimda-dorp"] {
        let ns = match name {
            "prod\u{200b}" => "    namespace: \"\u{2066}web\u{2069}\"\n",
            _ => "",
        };
        contexts.push_str(&format!(
            "- name: {}\n  context:\n    cluster: prod\n    user: eks-kc\n{ns}    extensions:\n    \
             - name: eks-kc\n      extension: {marker}\n",
            yaml_quoted(name)
        ));
    }
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: \
         https://127.0.0.1:1\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      \
         extension: {{clusterName: prod, region: eu-west-1}}\n    - name: eks-kc\n      \
         extension: {marker}\ncontexts:\n{contexts}current-context: \"prod\u{200b}\"\nusers:\n\
         - name: eks-kc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      \
         command: eks-kc\n      args: [token]\n"
    )
}

// Issue 32: zero-width and bidi characters reached the terminal raw, so `prod\u{200b}` looked
// like `prod` and `\u{202e}nimda-dorp` like `prod-admin`, in the picker, list, use, prompt
// and ns's typed-namespace prompt.
#[test]
fn look_alike_names_are_shown_escaped_everywhere() {
    let mut env = TestEnv::new();
    fs::write(&env.kubeconfig, look_alike_kubeconfig()).unwrap();
    env.set("TERM", "xterm-256color");
    env.set("EKS_KC_TIMEOUT", "2s");
    let raw = |text: &str| text.contains(['\u{200b}', '\u{202e}', '\u{2066}', '\u{2069}']);
    let list = env.run(&["list"]).ok().stdout.clone();
    assert!(list.contains("prod\\u{200b}"), "{list}");
    assert!(list.contains("\\u{202e}nimda-dorp"), "{list}");
    assert!(!raw(&list), "{list}");
    let prompt = env.run(&["prompt"]).ok().stdout.clone();
    assert_eq!(prompt, "prod\\u{200b}:\\u{2066}web\\u{2069}\n");
    let used = env.run(&["use", "\u{202e}nimda-dorp"]).ok().stdout.clone();
    assert_eq!(used, "Switched to context \"\\u{202e}nimda-dorp\".\n");
    env.run(&["use", "prod\u{200b}"]).ok();
    let mut pty = picker_of(&env, "use", "3/3");
    pty.send("\u{1b}");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(130), "{screen}");
    assert!(screen.contains("prod\\u{200b}  (current)"), "{screen}");
    assert!(screen.contains("\\u{202e}nimda-dorp"), "{screen}");
    assert!(!raw(&screen), "{screen}");
    // `ns` cannot list this cluster's namespaces: the name it asks for shows the current one.
    let mut pty = Pty::start(&env, &format!("{} ns", bin().display()));
    pty.expect("namespace to switch to (now \\u{2066}web\\u{2069};");
    pty.send("\r");
    let (code, screen) = pty.wait();
    assert_eq!(code, Some(130), "{screen}");
    assert!(!raw(&screen), "{screen}");
}

fn picker_of(env: &TestEnv, args: &str, count: &str) -> Pty {
    let mut pty = Pty::start(env, &format!("{} {args}", bin().display()));
    pty.expect(count);
    pty
}

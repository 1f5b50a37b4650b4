//! Kubeconfig fidelity: after any eks-kc write, the real kubectl reads exactly what it read
//! before, except what eks-kc meant to change; the file keeps its owner, mode and links; an
//! interrupted write leaves no lock and no temporary file; odd input never panics.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::fakes::*;
use crate::harness::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const ADVERSARIAL: &str = include_str!("../fixtures/kubeconfig/adversarial.yaml");
const HAND_WRITTEN: &str = include_str!("../fixtures/kubeconfig/hand-written.yaml");

fn lock_of(path: &Path) -> PathBuf {
    let mut lock = path.as_os_str().to_owned();
    lock.push(".lock");
    PathBuf::from(lock)
}

/// Temporary files of a rewrite of `path` (`.<name>.*.tmp` beside it).
fn temps_of(path: &Path) -> Vec<String> {
    let prefix = format!(".{}.", path.file_name().unwrap().to_string_lossy());
    fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".tmp"))
        .collect()
}

fn entry<'a>(view: &'a Value, list: &str, name: &str) -> &'a Value {
    view[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name}"))
}

/// The values the issue names, read by kubectl: they must stay strings (or decoded bytes).
fn assert_named_regressions(view: &Value) {
    assert_eq!(entry(view, "contexts", "no")["context"]["namespace"], "off");
    assert_eq!(entry(view, "contexts", "0x1f")["context"]["user"], "1_000");
    let user = &entry(view, "users", "yes")["user"];
    // `!!binary bXl0b2tlbg==` is the token "mytoken" to kubectl, before and after.
    assert_eq!(user["token"], "mytoken");
    assert_eq!(user["exec"]["provideClusterInfo"], false);
    let env = user["exec"]["env"].as_array().unwrap();
    let values: Vec<&str> = env.iter().map(|e| e["value"].as_str().unwrap()).collect();
    for s in [
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "1_000",
        "0b11",
        "0x1f",
        "012",
        "1:20",
        "~",
        "null",
        "2002-12-14",
    ] {
        assert!(values.contains(&s), "env value {s:?} lost: {values:?}");
    }
    let cluster = &entry(view, "clusters", "no")["cluster"];
    assert_eq!(cluster["insecure-skip-tls-verify"], true);
    assert_eq!(cluster["tls-server-name"], "1:20");
}

#[test]
fn use_changes_only_the_current_context_of_an_adversarial_kubeconfig() {
    let env = TestEnv::new();
    fs::write(&env.kubeconfig, ADVERSARIAL).unwrap();
    let before = kubectl_view(&env, &env.kubeconfig);
    assert_named_regressions(&before);

    env.run(&["use", "0x1f"]).ok();
    let after = kubectl_view(&env, &env.kubeconfig);
    let mut expected = before.clone();
    expected["current-context"] = json!("0x1f");
    assert_eq!(after, expected);
    assert_named_regressions(&after);

    // And back: the file written by eks-kc goes through eks-kc again unchanged in meaning.
    env.run(&["use", "-"]).ok();
    assert_eq!(kubectl_view(&env, &env.kubeconfig), before);
}

#[test]
fn sync_adds_its_entries_and_changes_nothing_else_kubectl_reads() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({"eu-west-1": [
        {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
        {"name": "no", "endpoint": "https://127.0.0.1:2", "ca": "Q0E="},
    ]}));
    fs::write(&env.kubeconfig, ADVERSARIAL).unwrap();
    let before = kubectl_view(&env, &env.kubeconfig);

    let run = env.run(&["sync", "-p", "team", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.json()["added"],
        json!(["no.eu-west-1.team", "prod.eu-west-1.team"])
    );
    let after = kubectl_view(&env, &env.kubeconfig);
    assert_eq!(without_managed(after.clone()), before);
    assert_named_regressions(&after);
    assert_eq!(
        entry(&after, "clusters", "no.eu-west-1.team")["cluster"]["server"],
        "https://127.0.0.1:2"
    );

    // A re-sync writes nothing, and pruning everything leaves exactly the original meaning.
    let run = env.run(&["sync", "-p", "team", "-o", "json"]);
    assert_eq!(run.json()["unchanged"].as_array().unwrap().len(), 2);
    env.set("AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:9"); // nothing listed: nothing pruned
    let run = env.run(&["sync", "-p", "team", "--prune"]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(kubectl_view(&env, &env.kubeconfig), after);
}

/// One scalar of a generated document: a value and how it is written.
#[derive(Debug, Clone)]
enum Scalar {
    /// A plain scalar kubectl loads (its type is whatever go-yaml makes of it).
    Plain(String),
    /// A string, double-quoted.
    Quoted(String),
}

impl Scalar {
    fn yaml(&self) -> String {
        match self {
            Scalar::Plain(s) => s.clone(),
            Scalar::Quoted(s) => serde_json::to_string(s).unwrap(),
        }
    }
}

fn tricky() -> Vec<&'static str> {
    let mut all: Vec<&str> = ADVERSARIAL
        .lines()
        .filter_map(|l| l.trim().strip_prefix("p").and_then(|r| r.split_once(": ")))
        .map(|(_, v)| v)
        .collect();
    all.extend(["x", "1.5", "-7", "true", "false"]);
    all
}

fn scalar() -> impl Strategy<Value = Scalar> {
    let plain = proptest::sample::select(tricky()).prop_map(|s| Scalar::Plain(s.to_owned()));
    let plain_word = "[a-z][a-z0-9-]{0,8}".prop_map(Scalar::Plain);
    let quoted_tricky = proptest::sample::select(tricky()).prop_map(|s| Scalar::Quoted(s.into()));
    let quoted_any = "(?s)[ -~\u{e9}\u{65e5}\n\t]{0,40}".prop_map(Scalar::Quoted);
    prop_oneof![plain, plain_word, quoted_tricky, quoted_any]
}

fn document(
    namespace: &str,
    env_values: &[Scalar],
    extension: &[(Scalar, Scalar)],
    key_value: &[Scalar],
) -> String {
    let mut t = String::from(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c\n  cluster:\n    \
         server: https://c.example\n    extensions:\n    - name: gen\n      extension:\n",
    );
    t.push_str("        fixed: 1\n");
    for (i, (k, v)) in extension.iter().enumerate() {
        // Keys are made distinct by a prefix only when quoted: plain keys must stay as generated.
        let key = match k {
            Scalar::Quoted(s) => serde_json::to_string(&format!("k{i}-{s}")).unwrap(),
            Scalar::Plain(_) => format!("\"pk{i}\""),
        };
        t.push_str(&format!("        {key}: {}\n", v.yaml()));
    }
    t.push_str("contexts:\n- name: a\n  context: {cluster: c, user: u}\n");
    t.push_str(&format!(
        "- name: b\n  context:\n    cluster: c\n    user: u\n    namespace: {namespace}\n"
    ));
    t.push_str("users:\n- name: u\n  user:\n    exec:\n      apiVersion: v1\n      command: x\n");
    t.push_str("      env:\n");
    for (i, v) in env_values.iter().enumerate() {
        t.push_str(&format!(
            "      - name: E{i}\n        value: {}\n",
            v.yaml()
        ));
    }
    t.push_str("    extensions:\n    - name: gen2\n      extension:\n        list:\n");
    for v in key_value {
        t.push_str(&format!("        - {}\n", v.yaml()));
    }
    t
}

// Any document of adversarial scalars that kubectl loads: after `eks-kc use`, kubectl reads
// the same values, only current-context changed; after `eks-kc sync` on top, the same values
// plus eks-kc's own entries.
#[test]
fn use_and_sync_keep_what_kubectl_reads_of_generated_documents() {
    use proptest::test_runner::{Config, TestRunner};
    // One fake EKS for every case; each case has its own environment.
    let eks_env = TestEnv::new();
    let eks = FakeEks::start(
        &eks_env,
        &json!({"eu-west-1": [{"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}]}),
    );
    let strategy = (
        "[a-z0-9]{1,5}|\"(no|yes|0x1f|1:20|012|~|on)\"",
        proptest::collection::vec(
            scalar().prop_map(|s| match s {
                Scalar::Plain(p) => Scalar::Quoted(p),
                q => q,
            }),
            0..6,
        ),
        proptest::collection::vec((scalar(), scalar()), 0..8),
        proptest::collection::vec(scalar(), 0..6),
    );
    let mut runner = TestRunner::new(Config {
        cases: 40,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(namespace, env_values, extension, list)| {
            let mut env = TestEnv::new();
            env.write_static_profile("team");
            env.write_aws_config("[profile team]\nregion = eu-west-1\n");
            env.set("AWS_ENDPOINT_URL_EKS", eks.url());
            let text = document(&namespace, &env_values, &extension, &list);
            fs::write(&env.kubeconfig, &text).unwrap();
            let loads = env
                .command(real_kubectl())
                .args(["config", "view", "--raw", "-o", "json"])
                .output()
                .unwrap();
            // Only documents kubectl accepts are fair: a plain `yes` namespace is its own error.
            prop_assume!(loads.status.success());
            let before: Value = serde_json::from_slice(&loads.stdout).unwrap();
            let run = env.run(&["use", "b"]);
            prop_assert_eq!(run.code, Some(0), "{}\n{}", run.stderr, text);
            let mut expected = before;
            expected["current-context"] = json!("b");
            prop_assert_eq!(
                kubectl_view(&env, &env.kubeconfig),
                expected.clone(),
                "{}",
                text
            );
            let run = env.run(&["sync", "-p", "team"]);
            prop_assert_eq!(run.code, Some(0), "{}\n{}", run.stderr, text);
            let after = kubectl_view(&env, &env.kubeconfig);
            prop_assert_eq!(without_managed(after), expected, "{}", text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn names_defined_in_another_kubeconfig_file_are_conflicts_not_shadows() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({"eu-west-1": [
        {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
        {"name": "dev", "endpoint": "https://127.0.0.1:2", "ca": "Q0E="},
    ]}));
    let first = env.path("first.yaml");
    let mine = env.path("mine.yaml");
    fs::write(&first, "apiVersion: v1\nkind: Config\n").unwrap();
    // The user's live context has the name sync would give the EKS cluster `prod`, and an
    // on-prem cluster entry has the name it would give `dev`.
    fs::write(
        &mine,
        "apiVersion: v1\nkind: Config\ncurrent-context: prod.eu-west-1.team\nclusters:\n\
         - name: onprem\n  cluster: {server: 'https://onprem.example'}\n\
         - name: dev.eu-west-1.team\n  cluster: {server: 'https://onprem-dev.example'}\n\
         contexts:\n- name: prod.eu-west-1.team\n  context: {cluster: onprem, user: me}\n\
         users:\n- name: me\n  user: {token: abc}\n",
    )
    .unwrap();
    let list = format!("{}:{}", first.display(), mine.display());
    env.set("KUBECONFIG", &list);
    let before = kubectl_view(&env, &list);

    let run = env.run(&["sync", "-p", "team", "-o", "json"]);
    assert_eq!(run.code, Some(3), "conflicts are reported: {}", run.stderr);
    let conflicts = run.json()["conflicts"].clone();
    let names: Vec<&str> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev.eu-west-1.team", "prod.eu-west-1.team"]);
    assert!(
        conflicts[1]["reason"]
            .as_str()
            .unwrap()
            .contains(&mine.display().to_string()),
        "{conflicts}"
    );
    // kubectl's merged view is unchanged: the live context still reaches the on-prem cluster.
    assert_eq!(kubectl_view(&env, &list), before);
    assert!(!fs::read_to_string(&first).unwrap().contains("team"));

    // A user named eks-kc that eks-kc did not write, in another file: an error, nothing written.
    fs::write(
        &mine,
        "apiVersion: v1\nkind: Config\nusers:\n- name: eks-kc\n  user: {token: abc}\n",
    )
    .unwrap();
    let run = env.run(&["sync", "-p", "team"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("eks-kc"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&first).unwrap(),
        "apiVersion: v1\nkind: Config\n"
    );
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

const NOBODY: u32 = 65534;

/// A directory every user may enter, for files owned by `nobody`.
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn root_rewriting_another_users_kubeconfig_keeps_owner_group_and_mode() {
    if !is_root() {
        eprintln!("SKIPPED: needs root to create a file of another user");
        return;
    }
    let env = TestEnv::new();
    let dir = open_dir();
    let file = dir.path().join("config");
    fs::write(&file, HAND_WRITTEN).unwrap();
    std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let inode = fs::metadata(&file).unwrap().ino();

    let run = Run::from(
        env.eks_kc(&["use", "kind-local"])
            .env("KUBECONFIG", &file)
            .output()
            .unwrap(),
    );
    run.ok();
    let meta = fs::metadata(&file).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (NOBODY, NOBODY));
    assert_eq!(meta.mode() & 0o7777, 0o640);
    assert_ne!(meta.ino(), inode, "written atomically (a new inode)");
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("current-context: kind-local")
    );
    // The owner's kubectl reads what root wrote.
    let view = as_nobody(
        &real_kubectl(),
        &["config", "view", "-o", "jsonpath={.current-context}"],
        &file,
    );
    assert_eq!(view.code, Some(0), "{}", view.stderr);
    assert_eq!(view.stdout, "kind-local");
}

/// Runs `program args` as `nobody` with KUBECONFIG=`file`.
fn as_nobody(program: &str, args: &[&str], file: &Path) -> Run {
    Run::from(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(program)
            .args(args)
            .env_clear()
            .env("PATH", child_path())
            .env("HOME", file.parent().unwrap())
            .env("KUBECONFIG", file)
            .env("EKS_KC_STATE_DIR", file.parent().unwrap().join("state"))
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn a_read_only_kubeconfig_is_refused_exactly_when_kubectl_refuses_it() {
    if !is_root() || Command::new("setpriv").arg("--help").output().is_err() {
        eprintln!("SKIPPED: needs root and setpriv to act as another user");
        return;
    }
    let dir = open_dir();
    std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let file = dir.path().join("config");
    let write_ro = || {
        let _ = fs::set_permissions(&file, fs::Permissions::from_mode(0o644));
        fs::write(&file, HAND_WRITTEN).unwrap();
        std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
    };

    // As its (non-root) owner: kubectl refuses, and so does eks-kc, naming the file.
    write_ro();
    let kubectl = as_nobody(
        &real_kubectl(),
        &["config", "use-context", "kind-local"],
        &file,
    );
    assert_ne!(kubectl.code, Some(0), "kubectl wrote a 0444 file");
    let ours = as_nobody(bin().to_str().unwrap(), &["use", "kind-local"], &file);
    assert_eq!(ours.code, Some(1), "{}", ours.stderr);
    assert_eq!(ours.stderr_lines().len(), 1, "{}", ours.stderr);
    assert!(ours.stderr.contains("not writable"), "{}", ours.stderr);
    assert!(
        ours.stderr.contains(&file.display().to_string()),
        "{}",
        ours.stderr
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), HAND_WRITTEN);
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o7777, 0o444);
    assert!(!lock_of(&file).exists());

    // As root: kubectl writes it, and so does eks-kc; the mode stays 0444.
    let env = TestEnv::new();
    let run = Run::from(
        env.eks_kc(&["use", "kind-local"])
            .env("KUBECONFIG", &file)
            .output()
            .unwrap(),
    );
    run.ok();
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("current-context: kind-local")
    );
    assert_eq!(fs::metadata(&file).unwrap().mode() & 0o7777, 0o444);
}

#[test]
fn hard_links_are_kept_and_dangling_symlinks_are_written_through() {
    let env = TestEnv::new();
    fs::write(&env.kubeconfig, HAND_WRITTEN).unwrap();
    let other = env.path("config-hardlink");
    fs::hard_link(&env.kubeconfig, &other).unwrap();
    env.run(&["use", "kind-local"]).ok();
    // Both names still are one file, and both show the change (as after kubectl's write).
    assert_eq!(
        fs::metadata(&env.kubeconfig).unwrap().ino(),
        fs::metadata(&other).unwrap().ino()
    );
    assert_eq!(fs::metadata(&other).unwrap().nlink(), 2);
    assert!(
        fs::read_to_string(&other)
            .unwrap()
            .contains("current-context: kind-local")
    );
    assert_eq!(kubectl_view(&env, &other)["current-context"], "kind-local");

    // A dangling symlink: its target is created, the link stays a link (as kubectl does).
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({"eu-west-1": [
        {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
    ]}));
    let target = env.path("real-config");
    let link = env.path("link-config");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    env.set("KUBECONFIG", link.to_str().unwrap());
    env.run(&["sync", "-p", "team"]).ok();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(&target)
            .unwrap()
            .contains("prod.eu-west-1.team")
    );
    assert_eq!(fs::metadata(&target).unwrap().mode() & 0o777, 0o600);
    let view = kubectl_view(&env, &link);
    assert_eq!(
        entry(&view, "contexts", "prod.eu-west-1.team")["context"]["user"],
        "eks-kc"
    );
}

#[test]
fn sigint_sigterm_and_sighup_never_leave_a_lock_or_a_temporary_file() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({"eu-west-1": (0..20).map(|i| json!({
        "name": format!("c{i:02}"), "endpoint": "https://127.0.0.1:1", "ca": "Q0E="
    })).collect::<Vec<_>>()}));
    fs::write(&env.kubeconfig, HAND_WRITTEN).unwrap();
    let bin = bin().display().to_string();
    let runs = 30;
    let mut rng = Lcg(17);
    let mut died_of_signal = 0;
    for (signal, name) in [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        for i in 0..runs * 2 {
            let use_run = i % 2 == 0;
            let args: Vec<&str> = if use_run {
                let to = if i % 4 == 0 {
                    "kind-local"
                } else {
                    "onprem-admin"
                };
                vec!["use", to, "--lock-timeout", "0"]
            } else {
                // Alternate the exec command so every completed sync rewrites the file.
                let command = if i % 4 == 1 { "eks-kc" } else { bin.as_str() };
                vec![
                    "sync",
                    "-p",
                    "team",
                    "--exec-command",
                    command,
                    "--lock-timeout",
                    "0",
                ]
            };
            let mut child = env
                .eks_kc(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let delay = rng.next(if use_run { 20_000 } else { 80_000 });
            std::thread::sleep(Duration::from_micros(delay));
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, signal) };
            let status = child.wait().unwrap();
            if std::os::unix::process::ExitStatusExt::signal(&status) == Some(signal) {
                died_of_signal += 1;
            }
            assert!(
                !lock_of(&env.kubeconfig).exists(),
                "{name} run {i} ({}) left the lock",
                args[0]
            );
            assert_eq!(
                temps_of(&env.kubeconfig),
                Vec::<String>::new(),
                "{name} run {i}"
            );
            let text = fs::read_to_string(&env.kubeconfig).unwrap();
            let doc: serde_yaml::Value = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} run {i}: torn kubeconfig: {e}"));
            let contexts = doc["contexts"].as_sequence().unwrap().len();
            assert!(
                contexts == 2 || contexts == 22,
                "{name} run {i}: {contexts}"
            );
        }
    }
    // kubectl can still write the file.
    let run = Run::from(
        env.command(real_kubectl())
            .args(["config", "set-context", "after-signals", "--cluster=onprem"])
            .output()
            .unwrap(),
    );
    run.ok();
    eprintln!(
        "FIGURES signals: {} runs of use and sync sent SIGINT/SIGTERM/SIGHUP at random \
         points ({died_of_signal} died of the signal, the rest finished first): 0 locks, 0 \
         temporary files, 0 torn files",
        runs * 2 * 3
    );
}

#[test]
fn temporary_files_left_by_a_killed_writer_are_removed_by_the_next_write() {
    let env = TestEnv::new();
    fs::write(&env.kubeconfig, HAND_WRITTEN).unwrap();
    let dir = env.kubeconfig.parent().unwrap();
    let stale = dir.join(".config.a1B2c3.tmp");
    fs::write(&stale, HAND_WRITTEN).unwrap();
    let unrelated = dir.join(".other.a1B2c3.tmp");
    fs::write(&unrelated, "not ours").unwrap();
    env.run(&["use", "kind-local"]).ok();
    assert!(!stale.exists());
    assert!(unrelated.exists());
}

#[test]
fn kubeconfig_with_only_empty_entries_names_no_file() {
    let env = TestEnv::new();
    let cwd = env.path("cwd");
    fs::create_dir_all(&cwd).unwrap();
    for args in [
        vec!["use", "x"],
        vec!["sync", "-p", "team", "--region", "eu-west-1"],
    ] {
        let run = Run::from(
            env.eks_kc(&args)
                .env("KUBECONFIG", ":")
                .current_dir(&cwd)
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("lists no file"), "{}", run.stderr);
    }
    // list reads an empty view, as kubectl does.
    let run = Run::from(
        env.eks_kc(&["list", "-o", "json"])
            .env("KUBECONFIG", "::")
            .current_dir(&cwd)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(fs::read_dir(&cwd).unwrap().count(), 0, "nothing written");
}

#[test]
fn a_marker_without_a_cluster_name_is_reported_and_skipped() {
    let env = TestEnv::new();
    fs::write(
        &env.kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: copied\nclusters:\n- name: copied\n  \
         cluster:\n    server: https://x.example\n    extensions:\n    - name: eks-kc\n      \
         extension: {managedBy: eks-kc, region: eu-west-1, profile: p}\ncontexts:\n\
         - name: copied\n  context:\n    cluster: copied\n    user: eks-kc\n    extensions:\n    \
         - name: eks-kc\n      extension: {managedBy: eks-kc, region: eu-west-1, profile: p}\n",
    )
    .unwrap();
    let list = env.run(&["list"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    assert!(list.stderr.contains("'copied'"), "{}", list.stderr);
    for args in [
        vec!["verify"],
        vec!["cache", "clear", "--context", "copied"],
    ] {
        let run = env.run(&args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("without a cluster name"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn concurrent_use_calls_all_succeed() {
    let env = TestEnv::new();
    let files: Vec<PathBuf> = (0..4)
        .map(|i| {
            let f = env.path(&format!("config-{i}"));
            fs::write(&f, HAND_WRITTEN).unwrap();
            f
        })
        .collect();
    let per_thread = 100;
    let failures: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let env = &env;
                let file = &files[t % files.len()];
                s.spawn(move || {
                    let mut failed = 0;
                    for i in 0..per_thread {
                        let to = if i % 2 == 0 {
                            "kind-local"
                        } else {
                            "onprem-admin"
                        };
                        let out = env
                            .eks_kc(&["use", to])
                            .env("KUBECONFIG", file)
                            .output()
                            .unwrap();
                        if !out.status.success() {
                            failed += 1;
                            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                        }
                    }
                    failed
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(failures, 0);
    eprintln!(
        "FIGURES concurrent use: {} calls by 8 threads over 4 kubeconfigs, 0 failures",
        8 * per_thread
    );
}

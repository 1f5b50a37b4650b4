//! A newcomer's first run, on the real binary (issue 12): honest exit codes, one diagnosis of a
//! missing AWS set-up in every command, region names checked, contexts that do not flip, man
//! pages that exist, nothing written by commands that have nothing to write, and the undo.

use std::fs;
use std::path::Path;

use crate::fakes::*;
use crate::harness::*;
use serde_json::json;

const REGION: &str = "eu-west-1";

/// A machine with no AWS set-up at all: no ~/.aws, no ~/.kube, no AWS_* variables (IMDS is
/// disabled by TestEnv, as it answers nothing useful here).
fn newcomer() -> TestEnv {
    let env = TestEnv::new();
    fs::remove_dir_all(env.home.join(".aws")).unwrap();
    fs::remove_dir_all(env.home.join(".kube")).unwrap();
    env
}

/// Whatever a run wrote under HOME and the cache dir.
fn files_under(env: &TestEnv) -> Vec<String> {
    let mut found = vec![];
    for dir in [&env.home, &env.cache_dir] {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for e in rd {
                let p = e.unwrap().path();
                found.push(p.display().to_string());
                if p.is_dir() {
                    stack.push(p);
                }
            }
        }
    }
    found.sort();
    found
}

fn one_error_line(run: &Run) -> String {
    let lines = run.stderr_lines();
    let errors: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("eks-kc: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    errors[0].to_string()
}

/// A kubeconfig with one eks-kc context `prod.eu-west-1.default` (current), no profile.
fn one_managed_context() -> String {
    let marker =
        format!("{{managedBy: eks-kc, profile: default, region: {REGION}, clusterName: prod}}");
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: prod.{REGION}.default\n  cluster:\n    \
         server: https://127.0.0.1:1\n    extensions:\n    - name: client.authentication.k8s.io/exec\n      \
         extension: {{clusterName: prod, region: {REGION}}}\n    - name: eks-kc\n      extension: {marker}\n\
         contexts:\n- name: prod.{REGION}.default\n  context:\n    cluster: prod.{REGION}.default\n    \
         user: eks-kc\n    extensions:\n    - name: eks-kc\n      extension: {marker}\n\
         current-context: prod.{REGION}.default\nusers:\n- name: eks-kc\n  user:\n    exec:\n      \
         apiVersion: client.authentication.k8s.io/v1beta1\n      command: eks-kc\n      args: [token]\n      \
         provideClusterInfo: true\n    extensions:\n    - name: eks-kc\n      extension: {{managedBy: eks-kc}}\n"
    )
}

// Issue 12.1: every target failing exited 3 ("partial") although nothing was done.
#[test]
fn sync_exits_1_when_nothing_could_be_done_and_3_when_part_was() {
    let env = newcomer();
    let run = env.run(&["sync"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing could be done"),
        "{}",
        run.stderr
    );

    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({REGION: [
        {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
    ]}));
    let only_unknown = env.run(&["sync", "-p", "nope"]);
    assert_eq!(only_unknown.code, Some(1), "{}", only_unknown.stderr);
    assert!(!env.kubeconfig.exists(), "nothing was written");
    let partial = env.run(&["sync", "-p", "team", "-p", "nope", "-o", "json"]);
    assert_eq!(partial.code, Some(3), "{}", partial.stderr);
    assert_eq!(partial.json()["added"], json!(["prod.eu-west-1.team"]));
    let all = env.run(&["sync", "-p", "team"]);
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    // The documentation says the same.
    let help = env.run(&["sync", "--help"]);
    assert!(
        help.ok().stdout.contains("1 when nothing could be done"),
        "{}",
        help.stdout
    );
}

// Issue 12.2: one cause (no AWS set-up) gave three different hints, one naming a file that
// does not exist, and SDK internals ("dispatch failure", IMDS) without -v.
#[test]
fn no_aws_set_up_gets_one_diagnosis_in_every_command() {
    let env = newcomer();
    let sync = env.run(&["sync"]);
    let token = env.run(&["token", "-c", "prod"]);
    let diagnosis = one_error_line(&token);
    assert!(
        diagnosis.contains("AWS is not set up here: no credentials and no region"),
        "{diagnosis}"
    );
    for part in [
        "`aws configure`",
        "`aws configure sso`",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
    ] {
        assert!(diagnosis.contains(part), "{part}: {diagnosis}");
    }
    let words = diagnosis.trim_start_matches("eks-kc: error: ");
    assert!(sync.stderr.contains(words), "{}", sync.stderr);
    // `-` for a missing region is said in words.
    assert!(
        sync.stderr.contains("failed default: AWS is not set up"),
        "{}",
        sync.stderr
    );
    assert!(!sync.stderr.contains("default/-"), "{}", sync.stderr);

    // With a region (by variable or flag), what is missing is credentials, in the same words
    // whichever command meets it.
    let mut with_region = newcomer();
    with_region.set("AWS_REGION", REGION);
    let sync = with_region.run(&["sync"]);
    assert_eq!(sync.code, Some(1));
    let by_flag = Run::from(
        with_region
            .eks_kc(&["token", "-c", "prod", "--region", REGION])
            .env_remove("AWS_REGION")
            .output()
            .unwrap(),
    );
    let login = with_region.run(&["login"]);
    fs::create_dir_all(with_region.kubeconfig.parent().unwrap()).unwrap();
    fs::write(&with_region.kubeconfig, one_managed_context()).unwrap();
    let verify = with_region.run(&["verify"]);
    let expected = one_error_line(&by_flag);
    assert!(
        expected.contains("no AWS credentials are configured") && expected.contains("-v shows"),
        "{expected}"
    );
    for run in [&login, &verify] {
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert_eq!(one_error_line(run), expected);
    }
    let words = expected.trim_start_matches("eks-kc: error: ");
    assert!(sync.stderr.contains(words), "{}", sync.stderr);
    for run in [&sync, &by_flag, &login, &verify] {
        for internal in ["dispatch failure", "IMDS", "provider", "~/.aws/config (or"] {
            assert!(!run.stderr.contains(internal), "{internal}: {}", run.stderr);
        }
    }
    // -v shows the AWS SDK's error behind the diagnosis.
    let verbose = env.run(&["token", "-c", "prod", "--region", REGION, "-v"]);
    assert!(
        verbose.stderr.contains("could not get AWS credentials"),
        "{}",
        verbose.stderr
    );

    // Profiles but no default one: the diagnosis names them.
    let mut some = newcomer();
    fs::create_dir_all(some.home.join(".aws")).unwrap();
    some.write_aws_config("[profile dev]\nregion = eu-west-1\n[profile ops]\n");
    some.set("AWS_REGION", REGION);
    let run = some.run(&["token", "-c", "prod"]);
    let line = one_error_line(&run);
    assert!(
        line.contains("no `default` profile") && line.contains("dev, ops"),
        "{line}"
    );
}

// Issue 12.3: `--region eu-west1` was accepted and failed obscurely 2.7 s later.
#[test]
fn region_names_are_checked_with_a_suggestion_and_new_regions_still_work() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({"xx-newregion-9": [
        {"name": "edge", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
    ]}));
    for (typed, suggestion) in [("eu-west1", Some("eu-west-1")), ("not-a-region", None)] {
        // sync: a usage error (2); token, the exec plugin: one line on stderr, exit 1.
        for (cmd, code) in [
            (vec!["sync", "-p", "team", "-r", typed], 2),
            (vec!["token", "-c", "prod", "--region", typed], 1),
        ] {
            let run = env.run(&cmd);
            assert_eq!(run.code, Some(code), "{cmd:?}: {}", run.stderr);
            match suggestion {
                Some(s) => assert!(
                    run.stderr.contains(&format!("did you mean {s}?")),
                    "{}",
                    run.stderr
                ),
                None => assert!(
                    run.stderr.contains("not an AWS region name"),
                    "{}",
                    run.stderr
                ),
            }
        }
    }
    // A malformed AWS_REGION is caught too, for the target that would use it.
    env.set("AWS_REGION", "eu-west1");
    let run = env.run(&["sync", "-p", "team"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("AWS_REGION: 'eu-west1'"),
        "{}",
        run.stderr
    );
    env.env.remove("AWS_REGION");
    // Well-formed but unknown: a warning, and it is asked.
    let run = env.run(&["sync", "-p", "team", "-r", "xx-newregion-9", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: 'xx-newregion-9' is not an EKS region eks-kc knows")
    );
    assert_eq!(run.json()["added"], json!(["edge.xx-newregion-9.team"]));
}

// Issue 12.4: contexts found by both `sync` and `sync --all-profiles` flipped `profile: default`
// in their exec extension, each run reporting them updated.
#[test]
fn contexts_keep_their_identity_however_the_default_profile_was_reached() {
    let mut env = TestEnv::new();
    let eks = FakeEks::start(
        &env,
        &json!({REGION: [{"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}]}),
    );
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.write_static_profile("default");
    env.write_aws_config(&format!("[default]\nregion = {REGION}\n"));
    let first = env.run(&["sync", "-o", "json"]).ok().json();
    assert_eq!(first["added"], json!(["prod.eu-west-1.default"]));
    let written = fs::read(&env.kubeconfig).unwrap();
    for args in [
        &["sync", "--all-profiles", "-o", "json"][..],
        &["sync", "-o", "json"],
        &["sync", "-p", "default", "-o", "json"],
        &["sync", "--all-profiles", "-o", "json"],
    ] {
        let report = env.run(args).ok().json();
        assert_eq!(report["updated"], json!([]), "{args:?}");
        assert_eq!(
            report["unchanged"],
            json!(["prod.eu-west-1.default"]),
            "{args:?}"
        );
        assert_eq!(fs::read(&env.kubeconfig).unwrap(), written, "{args:?}");
    }
    // The default chain: no profile in the exec extension (what `eks-kc token` reads).
    let doc: serde_yaml::Value = serde_yaml::from_slice(&written).unwrap();
    let exec = doc["clusters"][0]["cluster"]["extensions"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "client.authentication.k8s.io/exec")
        .unwrap()["extension"]
        .clone();
    assert_eq!(exec["clusterName"], "prod");
    assert!(exec.get("profile").is_none(), "{exec:?}");
}

// Issue 12.5: `eks-kc man sync` was refused, eks-kc(1) listed eks-kc-help(1), the SYNOPSIS had
// no option values, and `cargo install` installs no man pages.
#[test]
fn every_listed_man_page_exists_and_installs() {
    let env = TestEnv::new();
    let main = env.run(&["man"]).ok().stdout.clone();
    assert!(!main.contains("eks\\-kc\\-help"), "eks-kc-help(1) listed");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for listed in main
        .lines()
        .filter_map(|l| l.strip_prefix("eks\\-kc\\-"))
        .filter_map(|l| l.strip_suffix("(1)"))
    {
        let page = env.run(&["man", listed]);
        assert!(
            page.ok().stdout.starts_with(".ie"),
            "eks-kc man {listed}: {}",
            page.stderr
        );
        let committed = fs::read_to_string(root.join(format!("eks-kc-{listed}.1"))).unwrap();
        assert_eq!(page.stdout, committed, "eks-kc man {listed}");
    }
    let clear = env.run(&["man", "cache", "clear"]);
    assert!(clear.ok().stdout.contains(".TH eks-kc-cache-clear 1"));
    let sync = env.run(&["man", "sync"]).stdout;
    assert!(
        sync.contains("\\-\\-profile PROFILE]..."),
        "SYNOPSIS: {sync}"
    );
    let unknown = env.run(&["man", "help"]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown.stderr.contains("there are pages for: "),
        "{}",
        unknown.stderr
    );

    let share = env.path("share/man");
    env.run(&["man", "--install", share.to_str().unwrap()]).ok();
    let mut installed: Vec<String> = fs::read_dir(share.join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    installed.sort();
    let mut committed: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    assert_eq!(installed, committed);
    for name in &installed {
        assert_eq!(
            fs::read(share.join("man1").join(name)).unwrap(),
            fs::read(root.join(name)).unwrap()
        );
    }
}

/// `man -w eks-kc-sync` with this HOME, PATH and MANPATH: the page man finds, or `None` (also
/// when man is not installed: then the caller says SKIPPED).
fn man_finds(env: &TestEnv, path: &str, manpath: Option<&str>) -> Option<String> {
    let mut man = env.command("man");
    man.env("PATH", path).args(["-w", "eks-kc-sync"]);
    if let Some(m) = manpath {
        man.env("MANPATH", m);
    }
    let out = man.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

// Issue 33: `eks-kc man --install` needed a directory, and its hint named MANPATH without the
// trailing `:` (which made man lose the system's pages).
#[test]
fn man_install_without_a_directory_goes_where_man_looks() {
    let env = TestEnv::new();
    let have_man = env.command("man").arg("--version").output().is_ok();
    let root = env.home.join(".local/share/man");
    let page = root.join("man1/eks-kc-sync.1");

    // ~/.local/bin not on PATH: installed anyway, and the hint says what to add to MANPATH.
    let run = env.run(&["man", "--install"]).ok().stdout.clone();
    assert!(page.is_file(), "{run}");
    let hint = format!("export MANPATH=\"{}:\"", root.display());
    assert!(run.contains(&hint), "no {hint} in: {run}");
    if have_man {
        let path = child_path();
        assert_eq!(man_finds(&env, &path, None), None);
        let manpath = format!("{}:", root.display());
        let found = man_finds(&env, &path, Some(&manpath));
        assert_eq!(found.as_deref(), Some(page.to_str().unwrap()));
    } else {
        eprintln!("SKIPPED man -w: man is not installed");
    }

    // ~/.local/bin on PATH: man finds the pages, and eks-kc says so (no MANPATH hint).
    fs::remove_dir_all(&root).unwrap();
    let local_bin = env.home.join(".local/bin");
    fs::create_dir_all(&local_bin).unwrap();
    let path = format!("{}:{}", local_bin.display(), child_path());
    let run = Run::from(
        env.eks_kc(&["man", "--install"])
            .env("PATH", &path)
            .output()
            .unwrap(),
    );
    run.ok();
    assert!(
        run.stdout.contains("`man eks-kc-sync` finds them"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("MANPATH"), "{}", run.stdout);
    if have_man {
        let found = man_finds(&env, &path, None);
        assert_eq!(found.as_deref(), Some(page.to_str().unwrap()));
    }
}

// Issue 12.6: failed commands created an empty ~/.kube, `list` wrote a digest of nothing, and
// `use` on a missing file said "no contexts" (creating its directory).
#[test]
fn commands_with_nothing_to_write_write_nothing() {
    let env = newcomer();
    for args in [
        &["sync"][..],
        &["sync", "-r", REGION],
        &["list"],
        &["list", "-o", "json"],
        &["use", "prod"],
        &["verify"],
        &["forget"],
        &["cache", "status"],
    ] {
        env.run(args);
        let written = files_under(&env);
        assert!(written.is_empty(), "{args:?} wrote {written:?}");
    }
    let missing = env.path("nowhere/config");
    let run = env.run(&["use", "--kubeconfig", missing.to_str().unwrap(), "prod"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("nowhere/config does not exist"),
        "{}",
        run.stderr
    );
    assert!(!env.path("nowhere").exists());
    let run = env.run(&["use", "prod"]);
    assert!(
        run.stderr.contains(".kube/config does not exist"),
        "{}",
        run.stderr
    );
}

// Issue 12.6: --help showed `[env: EKS_KC_CACHE_DIR=]`, and -v/--cache-dir were offered where
// they do nothing.
#[test]
fn flags_appear_only_where_they_do_something() {
    let env = TestEnv::new();
    for (cmd, cache_dir, verbose) in [
        ("token", true, true),
        ("sync", false, true),
        ("list", true, false),
        ("use", false, false),
        ("login", true, true),
        ("verify", true, true),
        ("cache", true, false),
        ("forget", false, false),
        ("completions", false, false),
        ("man", false, false),
    ] {
        let help = env.run(&[cmd, "--help"]).ok().stdout.clone();
        assert!(!help.contains("EKS_KC_CACHE_DIR="), "{cmd}: {help}");
        assert_eq!(help.contains("--cache-dir"), cache_dir, "{cmd}: {help}");
        assert_eq!(help.contains("--verbose"), verbose, "{cmd}: {help}");
        let page = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("man/eks-kc-{cmd}.1")),
        )
        .unwrap();
        assert_eq!(page.contains("cache\\-dir"), cache_dir, "{cmd}(1)");
    }
    let top = env.run(&["--help"]).ok().stdout.clone();
    assert!(
        !top.contains("--cache-dir") && !top.contains("--verbose"),
        "{top}"
    );
    // Still accepted before the subcommand, as before.
    env.run(&["-v", "--cache-dir", env.cache_dir.to_str().unwrap(), "list"])
        .ok();
}

// Issue 12.7: there was no way to remove everything eks-kc wrote.
#[test]
fn forget_removes_exactly_what_eks_kc_wrote() {
    let mut env = TestEnv::new();
    let _eks = env.team_with_fake_eks(&json!({REGION: [
        {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
        {"name": "dev", "endpoint": "https://127.0.0.1:2", "ca": "Q0E="},
    ]}));
    let fixture = include_str!("../fixtures/kubeconfig/hand-written.yaml");
    fs::write(&env.kubeconfig, fixture).unwrap();
    let before = kubectl_view(&env, &env.kubeconfig);
    env.run(&["sync", "-p", "team"]).ok();
    let synced = fs::read(&env.kubeconfig).unwrap();

    let dry = env.run(&["forget", "--dry-run"]);
    assert_eq!(
        dry.ok().stdout,
        "- dev.eu-west-1.team\n- prod.eu-west-1.team\n"
    );
    assert!(
        dry.stderr
            .contains("would remove 2 contexts, 2 clusters and the eks-kc user")
    );
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), synced);

    env.run(&["forget"]).ok();
    assert_eq!(kubectl_view(&env, &env.kubeconfig), before);
    assert!(
        !fs::read_to_string(&env.kubeconfig)
            .unwrap()
            .contains("eks-kc")
    );
    assert_no_kubeconfig_lock(&env);
    let again = env.run(&["forget"]);
    assert!(
        again.ok().stderr.contains("nothing to forget"),
        "{}",
        again.stderr
    );

    // A current context that was eks-kc's is cleared, not left dangling.
    env.run(&["sync", "-p", "team"]).ok();
    env.run(&["use", "prod.eu-west-1.team"]).ok();
    let run = env.run(&["forget"]);
    assert!(
        run.ok()
            .stderr
            .contains("current-context 'prod.eu-west-1.team' was cleared")
    );
    assert_eq!(kubectl_view(&env, &env.kubeconfig)["current-context"], "");
}

//! Faults, load and hostile files: kill -9 mid-write, hundreds of parallel cold calls, symlinks
//! planted in the cache, and secrets that must never reach stderr. Each test prints the
//! figures the README's reliability table reports.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;

const REGION: &str = "eu-west-1";

fn kill_after(mut child: std::process::Child, delay: Duration) {
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

#[test]
fn token_cache_survives_kill_9_at_random_points() {
    let env = TestEnv::new().with_env_keys();
    let mut rng = Lcg(7);
    let runs = 500;
    let clusters = 25;
    // A refresh margin as long as a token's life: every call re-signs and rewrites its entry.
    let args = |i: usize| {
        vec![
            "token".to_owned(),
            "-c".to_owned(),
            format!("k{}", i % clusters),
            "--region".to_owned(),
            REGION.to_owned(),
            "--refresh-margin".to_owned(),
            "14m".to_owned(),
        ]
    };
    for i in 0..runs {
        let child = env
            .eks_kc(&[])
            .args(args(i))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after(child, Duration::from_micros(rng.next(12_000)));
        // Whatever the kill interrupted, every entry is whole or absent.
        for f in env.cache_files() {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("token-") && name.ends_with(".json") {
                let bytes = fs::read(&f).unwrap();
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("run {i}: {name} is torn: {e}"));
            }
        }
    }
    // One more write per entry reclaims what dead writers left, and the cache still serves.
    for i in 0..clusters {
        let run = Run::from(env.eks_kc(&[]).args(args(i)).output().unwrap());
        assert!(run.ok().stderr.is_empty(), "{}", run.stderr);
    }
    let left: Vec<String> = env
        .cache_files()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|n| !n.ends_with(".tmp")),
        "temporary files left: {left:?}"
    );
    let entries = left.iter().filter(|n| n.ends_with(".json")).count();
    assert_eq!(entries, clusters);
    eprintln!(
        "FIGURES token-cache kill -9: {runs} writes killed at random, 0 torn entries, {entries} entries, 0 temporary files after one more write each"
    );
}

#[test]
fn kubeconfig_is_old_or_new_after_kill_9_and_a_dead_lock_is_reported() {
    let env = TestEnv::new();
    fs::write(
        &env.kubeconfig,
        include_str!("../fixtures/kubeconfig/hand-written.yaml"),
    )
    .unwrap();
    let mut rng = Lcg(11);
    let runs = 200;
    let mut stale_locks = 0;
    for i in 0..runs {
        let target = if i % 2 == 0 {
            "kind-local"
        } else {
            "onprem-admin"
        };
        let child = env
            .eks_kc(&["use", target, "--lock-timeout", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after(child, Duration::from_micros(rng.next(15000)));
        let text = fs::read_to_string(&env.kubeconfig).unwrap();
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("run {i}: torn kubeconfig: {e}"));
        let current = doc["current-context"].as_str().unwrap();
        assert!(current == "kind-local" || current == "onprem-admin");
        assert_eq!(doc["contexts"].as_sequence().unwrap().len(), 2, "run {i}");
        let mut lock = env.kubeconfig.clone().into_os_string();
        lock.push(".lock");
        if std::path::Path::new(&lock).exists() {
            // A writer killed while holding client-go's lock: the next run waits its timeout,
            // then names the lock file, instead of hanging.
            stale_locks += 1;
            let started = Instant::now();
            let run = env.run(&["use", "kind-local", "--lock-timeout", "0"]);
            assert_eq!(run.code, Some(1));
            assert!(run.stderr.contains(".lock"), "{}", run.stderr);
            assert!(started.elapsed() < bound(Duration::from_secs(5)));
            fs::remove_file(&lock).unwrap();
        }
    }
    eprintln!(
        "FIGURES kubeconfig kill -9: {runs} use runs killed at random, 0 torn, {stale_locks} dead locks reported by path"
    );
}

#[test]
fn two_hundred_fifty_six_parallel_cold_calls_resolve_credentials_once() {
    let env = TestEnv::new();
    let (script, counter) = env.counting_credential_process();
    env.write_aws_config(&format!(
        "[profile counted]\ncredential_process = {}\nregion = {REGION}\n",
        script.display()
    ));
    let children: Vec<_> = (0..256)
        .map(|_| {
            env.eks_kc(&["token"])
                .env("KUBERNETES_EXEC_INFO", exec_info("prod", REGION, "counted"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut failures = 0;
    let mut tokens = std::collections::BTreeSet::new();
    for c in children {
        let run = Run::from(c.wait_with_output().unwrap());
        if run.code == Some(0) {
            tokens.insert(run.token());
        } else {
            failures += 1;
        }
    }
    assert_eq!(failures, 0);
    assert_eq!(count_lines(&counter), 1);
    assert_eq!(tokens.len(), 1);
    eprintln!("FIGURES 256 parallel cold calls: 0 failures, 1 credential resolution");
}

#[test]
fn a_thousand_hits_grow_neither_files_nor_memory() {
    let env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", "prod", "--region", REGION];
    env.run(&args).ok();
    let files = env.cache_files();
    let rss = |run: &Run| -> u64 {
        run.stderr
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let timed = |env: &TestEnv| {
        Run::from(
            env.command("/usr/bin/time")
                .arg("-v")
                .arg(bin())
                .args(args)
                .output()
                .unwrap(),
        )
    };
    let first = rss(&timed(&env));
    for _ in 0..1000 {
        let out = env.eks_kc(&args).stdout(Stdio::null()).status().unwrap();
        assert!(out.success());
    }
    let last = rss(&timed(&env));
    assert_eq!(env.cache_files(), files, "hits must not create files");
    if first > 0 {
        assert!(last <= first + 512, "RSS grew from {first} to {last} KiB");
    }
    eprintln!(
        "FIGURES 1000 sequential hits: files {} -> {}, peak RSS {first} -> {last} KiB",
        files.len(),
        env.cache_files().len()
    );
}

#[test]
fn planted_symlinks_are_never_followed() {
    let env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", "prod", "--region", REGION];
    env.run(&args).ok();
    let victim = env.path("victim");
    fs::write(&victim, "do not touch").unwrap();
    for f in env.cache_files() {
        fs::remove_file(&f).unwrap();
        std::os::unix::fs::symlink(&victim, &f).unwrap();
    }
    // The planted entry and lock are refused (one warning), the token is still right, and the
    // file they point at is never read as an entry nor written.
    let run = env.run(&args);
    run.ok();
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[run.token()]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "do not touch");
    for f in env.cache_files() {
        assert!(
            fs::symlink_metadata(&f).unwrap().file_type().is_symlink(),
            "{} was replaced while its lock was not safe to take",
            f.display()
        );
    }
}

// Issue 10: EKS_KC_CACHE_DIR=/tmp (1777) was chmod'ed to 0700, locking every other user out,
// and a planted entry in a 0777 directory was served on a hit.
#[test]
fn a_shared_cache_dir_keeps_its_mode_and_secrets_go_to_a_private_subdirectory() {
    let env = TestEnv::new().with_env_keys();
    fs::create_dir_all(&env.cache_dir).unwrap();
    fs::set_permissions(&env.cache_dir, fs::Permissions::from_mode(0o1777)).unwrap();
    let args = ["token", "-c", "prod", "--region", REGION];
    let first = env.run(&args);
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(
        mode(&env.cache_dir),
        0o1777,
        "a shared directory is not ours to chmod"
    );
    let private = env.cache_dir.join(format!("eks-kc-{}", effective_uid()));
    assert_eq!(mode(&private), 0o700);
    let entries: Vec<_> = fs::read_dir(&private).unwrap().flatten().collect();
    assert!(
        entries
            .iter()
            .any(|e| e.file_name().to_string_lossy().ends_with(".json"))
    );
    // Nothing but the private subdirectory lands in the shared directory.
    assert_eq!(fs::read_dir(&env.cache_dir).unwrap().count(), 1);
    // A hit is served from the private directory; an entry planted in the shared one is never
    // read (it is checked on hits too, not only when writing).
    let stem = entries
        .iter()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".json"))
        .unwrap();
    fs::write(env.cache_dir.join(&stem), "planted").unwrap();
    let hit = env.run(&args);
    assert_eq!(hit.token(), first.token());
    assert!(hit.stderr.is_empty(), "{}", hit.stderr);
    // The private subdirectory opened up to others is refused (the token is still produced,
    // with one warning), and its mode is left as it is.
    fs::set_permissions(&private, fs::Permissions::from_mode(0o777)).unwrap();
    let run = env.run(&args);
    run.ok();
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("writable by other users"),
        "{}",
        run.stderr
    );
    assert_eq!(mode(&private), 0o777);
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

#[test]
fn no_secret_reaches_stderr_at_any_verbosity() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile ops]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\nsource_profile = base\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let mut stderr = String::new();
    let mut tokens = vec![];
    for (i, v) in ["", "-v", "-vv", "-vvv"].into_iter().enumerate() {
        let mut args = vec!["token", "-c"];
        let cluster = format!("c{i}");
        args.push(&cluster);
        args.extend(["--region", REGION, "--profile", "ops", "-o", "token"]);
        if !v.is_empty() {
            args.push(v);
        }
        // A fresh credential cache each time, so every verbosity sees an AssumeRole.
        env.run(&["cache", "clear"]).ok();
        let run = env.run(&args);
        tokens.push(run.bare_token());
        stderr.push_str(&run.stderr);
    }
    assert!(stderr.len() > 1000, "verbose runs should say something");
    let keys: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(env.keys_file()).unwrap()).unwrap();
    let mut secrets: Vec<String> = vec![SECRET.to_owned()];
    for (_, k) in keys.as_object().unwrap() {
        secrets.push(k["secret"].as_str().unwrap().to_owned());
        if let Some(t) = k["session_token"].as_str() {
            secrets.push(t.to_owned());
        }
    }
    for t in &tokens {
        secrets.push(t.clone());
        // The presigned signature alone would be enough to replay the token.
        let url = token_url(t);
        let sig = url.split("X-Amz-Signature=").nth(1).unwrap().to_owned();
        secrets.push(sig);
    }
    for s in &secrets {
        assert!(
            !stderr.contains(s.as_str()),
            "a secret reached stderr: {}…",
            &s[..8]
        );
    }
    eprintln!(
        "FIGURES secrets on stderr: 0 of {} secrets in {} bytes of -v..-vvv output",
        secrets.len(),
        stderr.len()
    );
}

#[test]
fn cache_files_and_dirs_of_another_user_are_refused() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: making a file owned by another user needs root");
        return;
    }
    let env = TestEnv::new().with_env_keys();
    let args = ["token", "-c", "prod", "--region", REGION];
    let first = env.run(&args);
    first.ok();
    // A planted entry owned by someone else is not served.
    let entry = env
        .cache_files()
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .unwrap();
    std::os::unix::fs::chown(&entry, Some(65534), Some(65534)).unwrap();
    let run = env.run(&args);
    run.ok();
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("another user"), "{}", run.stderr);
    assert_tokens_accepted("prod", REGION, &env.keys_file(), &[run.token()]);
    // A cache directory owned by someone else is not written to, nor anything under it (its
    // owner could swap a subdirectory of ours; issue 20): the token is still produced, with one
    // warning naming the directory's owner, and the foreign directory is left as it is.
    std::os::unix::fs::chown(&env.cache_dir, Some(65534), Some(65534)).unwrap();
    let run = env.run(&["token", "-c", "other", "--region", REGION]);
    run.ok();
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("belongs to uid 65534"),
        "{}",
        run.stderr
    );
    let private = env.cache_dir.join("eks-kc-0");
    assert!(!private.exists(), "nothing is created under it");
    let meta = fs::metadata(&env.cache_dir).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 65534);
    // In a shared (sticky, root's) directory, a private subdirectory planted by someone else
    // is refused.
    std::os::unix::fs::chown(&env.cache_dir, Some(0), Some(0)).unwrap();
    fs::set_permissions(&env.cache_dir, fs::Permissions::from_mode(0o1777)).unwrap();
    fs::create_dir(&private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&private, Some(65534), Some(65534)).unwrap();
    let run = env.run(&["token", "-c", "other", "--region", REGION]);
    run.ok();
    assert!(
        run.stderr.contains("belongs to uid 65534"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unwritable_kubeconfig_directory_is_an_error_and_the_file_is_intact() {
    let env = TestEnv::new();
    let original = include_str!("../fixtures/kubeconfig/hand-written.yaml");
    fs::write(&env.kubeconfig, original).unwrap();
    let dir = env.kubeconfig.parent().unwrap().to_path_buf();
    let locked = if unsafe { libc::geteuid() } == 0 {
        std::process::Command::new("chattr")
            .arg("+i")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success())
    } else {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).is_ok()
    };
    if !locked {
        eprintln!("SKIPPED: cannot make a read-only directory here");
        return;
    }
    let run = env.run(&["use", "kind-local"]);
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&dir)
        .status();
    let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o755));
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&dir.display().to_string()),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(&env.kubeconfig).unwrap(), original);
}

#[test]
fn kubeconfig_is_old_or_new_after_sync_is_killed() {
    let mut env = TestEnv::new();
    let eks = FakeEks::start(
        &env,
        &serde_json::json!({"eu-west-1": (0..20).map(|i| serde_json::json!({
            "name": format!("c{i:02}"), "endpoint": "https://127.0.0.1:1", "ca": "Q0E="
        })).collect::<Vec<_>>()}),
    );
    env.write_static_profile("team");
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    fs::write(
        &env.kubeconfig,
        include_str!("../fixtures/kubeconfig/hand-written.yaml"),
    )
    .unwrap();
    let bin = bin().display().to_string();
    let mut rng = Lcg(13);
    let runs = 100;
    let mut dead_locks = 0;
    for i in 0..runs {
        // Alternate the exec command so every completed sync rewrites the file.
        let command = if i % 2 == 0 { "eks-kc" } else { bin.as_str() };
        let child = env
            .eks_kc(&[
                "sync",
                "-p",
                "team",
                "--exec-command",
                command,
                "--lock-timeout",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_after(child, Duration::from_micros(rng.next(60_000)));
        let text = fs::read_to_string(&env.kubeconfig).unwrap();
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("run {i}: torn kubeconfig: {e}"));
        let contexts = doc["contexts"].as_sequence().unwrap().len();
        // The fixture's 2 contexts, plus all 20 clusters once a sync has completed: never a part.
        assert!(
            contexts == 2 || contexts == 22,
            "run {i}: {contexts} contexts"
        );
        assert_eq!(doc["current-context"], "onprem-admin");
        let mut lock = env.kubeconfig.clone().into_os_string();
        lock.push(".lock");
        if std::path::Path::new(&lock).exists() {
            dead_locks += 1;
            fs::remove_file(&lock).unwrap();
        }
    }
    eprintln!(
        "FIGURES sync kill -9: {runs} runs killed at random, 0 torn, {dead_locks} dead locks"
    );
}

#[test]
fn a_full_filesystem_fails_the_write_and_keeps_the_old_kubeconfig() {
    // A 64 KiB tmpfs in a private mount namespace (needs root and unshare); the kubeconfig on it
    // is about half the space, so the temporary copy of the rewrite cannot fit.
    let ok = std::process::Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: cannot mount a small tmpfs here (needs root and unshare -m)");
        return;
    }
    let env = TestEnv::new();
    let mnt = env.path("small");
    fs::create_dir_all(&mnt).unwrap();
    let mut big = String::from(include_str!("../fixtures/kubeconfig/hand-written.yaml"));
    big.push_str("x-padding: |\n");
    for _ in 0..950 {
        big.push_str("  0123456789012345678901234567890123456789\n");
    }
    let script = format!(
        "set -e; mount -t tmpfs -o size=64k tmpfs '{m}'; printf '%s' \"$KC\" > '{m}/config'; \
         KUBECONFIG='{m}/config' '{bin}' use kind-local 2>'{m}/err' && echo WROTE || echo FAILED; \
         cat '{m}/err'; printf '%s' \"$KC\" | cmp -s '{m}/config' - && echo INTACT || echo CHANGED\n",
        m = mnt.display(),
        bin = bin().display()
    );
    let out = env
        .command("unshare")
        .args(["-m", "sh", "-c", &script])
        .env("KC", &big)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("eks-kc: error:"), "{text}");
    assert!(
        text.contains("No space left") || text.contains("os error 28"),
        "{text}"
    );
    assert!(text.contains("INTACT"), "{text}");
    eprintln!("FIGURES full filesystem: write refused with ENOSPC, old kubeconfig intact");
}

// Issue 32: with a state directory another user planted, `use b` switched the context but
// exited 1 without its "Switched" line, naming EKS_KC_CACHE_DIR. It succeeds and says so, with
// a warning naming the state directory's variable, and writes nothing there.
#[test]
fn a_state_directory_of_another_user_costs_only_use_minus() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: making a directory owned by another user needs root");
        return;
    }
    let mut env = TestEnv::new();
    let names = "- name: a\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: c, user: u}\n";
    fs::write(
        &env.kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://c.example'}}\n\
             users:\n- name: u\n  user: {{token: t}}\ncontexts:\n{names}current-context: a\n"
        ),
    )
    .unwrap();
    // A shared directory (sticky, root's) where someone else made eks-kc's subdirectory first.
    let shared = env.path("shared-state");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let planted = shared.join("eks-kc-0");
    fs::create_dir(&planted).unwrap();
    fs::set_permissions(&planted, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
    env.set("EKS_KC_STATE_DIR", shared.to_str().unwrap());
    let run = env.run(&["use", "b"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "Switched to context \"b\".\n");
    assert!(
        run.stderr.contains("belongs to uid 65534"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("EKS_KC_STATE_DIR"), "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .all(|l| l.starts_with("eks-kc: warning: ")),
        "{}",
        run.stderr
    );
    let text = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(text.contains("current-context: b"), "{text}");
    assert_eq!(
        fs::read_dir(&planted).unwrap().count(),
        0,
        "nothing written there"
    );
    // `ns` too: the namespace is set, and only `-` is lost.
    let run = env.run(&["ns", "web"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("EKS_KC_STATE_DIR"), "{}", run.stderr);
    assert_eq!(env.run(&["ns", "--current"]).ok().stdout, "web\n");
    assert_eq!(
        fs::read_dir(&planted).unwrap().count(),
        0,
        "nothing written there"
    );
}

//! The everyday surface: list, use, cache, verify and shell completion, on the real binary.

use std::fs;
use std::path::Path;

use crate::fakes::*;
use crate::harness::*;
use serde_json::json;

const REGION: &str = "eu-west-1";

/// A kubeconfig synced from a fake EKS with three clusters, plus the hand-written fixture's
/// entries; static keys in profile `team`.
fn synced_env() -> (TestEnv, FakeEks) {
    let mut env = TestEnv::new();
    let eks = env.team_with_fake_eks(&json!({
            "eu-west-1": [
                {"name": "prod", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="},
                {"name": "prod-canary", "endpoint": "https://127.0.0.1:2", "ca": "Q0E="},
                {"name": "dev", "endpoint": "https://127.0.0.1:3", "ca": "Q0E="},
            ]
    }));
    fs::write(
        &env.kubeconfig,
        include_str!("../fixtures/kubeconfig/hand-written.yaml"),
    )
    .unwrap();
    env.run(&["sync", "-p", "team"]).ok();
    (env, eks)
}

fn current_context(env: &TestEnv) -> String {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&env.kubeconfig).unwrap()).unwrap();
    doc["current-context"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn list_shows_managed_contexts_current_and_token_state() {
    let (env, _eks) = synced_env();
    env.run(&["use", "dev.eu-west-1.team"]).ok();
    // kubectl fetching a token for prod fills the cache.
    Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", exec_info("prod", REGION, "team"))
            .output()
            .unwrap(),
    )
    .ok();

    let rows = env.run(&["list", "-o", "json"]).ok().json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "only managed contexts: {rows:?}");
    let by_name = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap().clone();
    let prod = by_name("prod.eu-west-1.team");
    assert_eq!(prod["token"], "fresh");
    assert!(prod["tokenSecondsLeft"].as_i64().unwrap() > 13 * 60);
    assert_eq!(prod["cluster"], "prod");
    assert_eq!(prod["region"], REGION);
    assert_eq!(prod["profile"], "team");
    assert_eq!(by_name("dev.eu-west-1.team")["current"], true);
    assert_eq!(by_name("dev.eu-west-1.team")["token"], "none");

    let table = env.run(&["list"]);
    let lines: Vec<&str> = table.ok().stdout.lines().collect();
    assert!(lines[0].starts_with("CURRENT"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('*') && l.contains("dev.eu-west-1.team"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("prod.eu-west-1.team") && l.contains("fresh ("))
    );
    // No AWS call: list works with the EKS endpoint and credentials gone.
    let mut offline = TestEnv::new();
    offline.kubeconfig = env.kubeconfig.clone();
    offline.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    assert_eq!(
        offline
            .run(&["list", "-o", "json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn use_takes_exact_prefix_or_substring_and_refuses_ambiguity() {
    let (env, _eks) = synced_env();
    let start = current_context(&env);
    assert_eq!(start, "onprem-admin");

    env.run(&["use", "prod.eu-west-1.team"]).ok();
    assert_eq!(current_context(&env), "prod.eu-west-1.team");
    env.run(&["use", "dev"]).ok();
    assert_eq!(current_context(&env), "dev.eu-west-1.team");
    env.run(&["use", "canary"]).ok();
    assert_eq!(current_context(&env), "prod-canary.eu-west-1.team");

    let ambiguous = env.run(&["use", "prod"]);
    assert_eq!(ambiguous.code, Some(1));
    assert!(
        ambiguous.stderr.contains("ambiguous"),
        "{}",
        ambiguous.stderr
    );
    assert!(ambiguous.stderr.contains("prod.eu-west-1.team"));
    assert!(ambiguous.stderr.contains("prod-canary.eu-west-1.team"));
    let unknown = env.run(&["use", "staging"]);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("no context named 'staging'"));
    assert!(unknown.stderr.contains("kind-local"));
    assert_eq!(current_context(&env), "prod-canary.eu-west-1.team");

    // `use -` goes back, and back again.
    env.run(&["use", "kind-local"]).ok();
    env.run(&["use", "-"]).ok();
    assert_eq!(current_context(&env), "prod-canary.eu-west-1.team");
    env.run(&["use", "-"]).ok();
    assert_eq!(current_context(&env), "kind-local");

    // Nothing but current-context changed.
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&env.kubeconfig).unwrap()).unwrap();
    let fixture: serde_yaml::Value =
        serde_yaml::from_str(include_str!("../fixtures/kubeconfig/hand-written.yaml")).unwrap();
    assert_eq!(doc["preferences"], fixture["preferences"]);
    assert_eq!(doc["x-team-notes"], fixture["x-team-notes"]);
}

#[test]
fn use_and_kubectl_set_context_in_parallel_lose_nothing() {
    let (env, _eks) = synced_env();
    let written = std::thread::scope(|s| {
        let switcher = s.spawn(|| {
            for i in 0..30 {
                let target = if i % 2 == 0 { "dev" } else { "canary" };
                let run = env.run(&["use", target]);
                assert_eq!(run.code, Some(0), "{}", run.stderr);
            }
        });
        let written = kubectl_set_contexts(&env, 40);
        switcher.join().unwrap();
        written
    });
    let names = Run::from(
        env.command("kubectl")
            .args(["config", "get-contexts", "-o", "name"])
            .output()
            .unwrap(),
    );
    for w in &written {
        assert!(
            names.ok().stdout.lines().any(|l| l == w),
            "kubectl's {w} was lost"
        );
    }
    // The current context is one of the two `use` switched between. Not always the last one:
    // `kubectl config set-context` loads the kubeconfig before it takes the lock, and client-go's
    // ModifyConfig then writes back a current-context that differs from the file's, so a
    // set-context that started before the last `use` restores the context it had read (kubectl's
    // own race; it showed up once in CI).
    let current = current_context(&env);
    assert!(
        ["prod-canary.eu-west-1.team", "dev.eu-west-1.team"].contains(&current.as_str()),
        "{current}"
    );
    assert_no_kubeconfig_lock(&env);
}

#[test]
fn cache_status_and_clear() {
    let (env, _eks) = synced_env();
    for cluster in ["prod", "dev"] {
        Run::from(
            env.eks_kc(&["token"])
                .env("KUBERNETES_EXEC_INFO", exec_info(cluster, REGION, "team"))
                .output()
                .unwrap(),
        )
        .ok();
    }
    let status = env.run(&["cache", "status", "-o", "json"]).ok().json();
    assert_eq!(status["location"], env.cache_dir.display().to_string());
    let entries = status["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|e| e["secondsLeft"].as_i64().unwrap() > 13 * 60)
    );
    assert!(entries.iter().all(|e| e["profile"] == "team"));
    let table = env.run(&["cache", "status"]).ok().stdout.clone();
    assert!(
        table.contains("profile team") && table.contains("prod"),
        "{table}"
    );

    env.run(&["cache", "clear", "--context", "prod.eu-west-1.team"])
        .ok();
    let left = env.run(&["cache", "status", "-o", "json"]).ok().json();
    let left = left["entries"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["cluster"], "dev");
    env.run(&["cache", "clear"]).ok();
    let none = env.run(&["cache", "status", "-o", "json"]).ok().json();
    assert!(none["entries"].as_array().unwrap().is_empty());
    let bad = env.run(&["cache", "clear", "--context", "kind-local"]);
    assert_eq!(bad.code, Some(1));
}

#[test]
fn verify_passes_a_valid_token_and_names_each_broken_rule() {
    let (env, _eks) = synced_env();
    env.run(&["use", "prod.eu-west-1.team"]).ok();
    // Without TOKEN: minted for the current context.
    let run = env.run(&["verify", "-o", "json"]);
    let report = run.ok().json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["cluster"], "prod");
    assert_eq!(report["region"], REGION);

    let token = env
        .run(&[
            "token",
            "-c",
            "prod",
            "--region",
            REGION,
            "--profile",
            "team",
            "-o",
            "token",
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let text = env.run(&["verify", &token]);
    assert!(text.ok().stdout.contains("valid"), "{}", text.stdout);

    let url = token_url(&token);
    let encode = |u: &str| {
        use base64::Engine;
        format!(
            "k8s-aws-v1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(u)
        )
    };
    for (rule, tampered) in [
        (
            "host",
            encode(&url.replace("sts.eu-west-1.amazonaws.com", "sts.example.com")),
        ),
        (
            "query keys",
            encode(&format!("{url}&X-Amz-Date=20260101T000000Z")),
        ),
        ("query keys", encode(&format!("{url}&Extra=1"))),
        (
            "signed headers",
            encode(&url.replace("host%3Bx-k8s-aws-id", "host")),
        ),
        (
            "X-Amz-Expires",
            encode(&url.replace("X-Amz-Expires=60", "X-Amz-Expires=901")),
        ),
        ("size", encode(&format!("{url}{}", "0".repeat(4000)))),
    ] {
        let run = env.run(&["verify", &tampered, "-o", "json"]);
        assert_eq!(run.code, Some(1), "{rule}");
        let report = run.json();
        let failed: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .map(|c| c["rule"].as_str().unwrap())
            .collect();
        assert!(failed.contains(&rule), "{rule}: {failed:?}");
    }
    // A 16-minute-old token: re-date it (the signature no longer matters offline).
    let old = (chrono::Utc::now() - chrono::Duration::minutes(16))
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    let start = url.find("X-Amz-Date=").unwrap() + "X-Amz-Date=".len();
    let aged = format!("{}{}{}", &url[..start], old, &url[start + 16..]);
    let run = env.run(&["verify", &encode(&aged)]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("FAIL  age"), "{}", run.stdout);
    // From stdin.
    let mut child = env
        .eks_kc(&["verify", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

#[test]
fn verify_online_asks_sts_who_the_token_is() {
    let moto = Moto::start();
    let mut env = TestEnv::new();
    env.write_static_profile("base");
    env.set("AWS_ENDPOINT_URL_STS", moto.url());
    let token = env
        .run(&[
            "token",
            "-c",
            "prod",
            "--region",
            REGION,
            "--profile",
            "base",
            "--role-arn",
            "arn:aws:iam::123456789012:role/eks-admin",
            "-o",
            "token",
        ])
        .ok()
        .stdout
        .trim()
        .to_owned();
    // The replay goes through the shim (moto routes presigned GETs to S3 otherwise).
    let shim = PresignShim::start(&moto);
    env.set("AWS_ENDPOINT_URL_STS", shim.url());
    let run = env.run(&[
        "verify",
        &token,
        "--cluster-name",
        "prod",
        "--online",
        "-o",
        "json",
    ]);
    let report = run.ok().json();
    let online = &report["online"];
    assert_eq!(online["ok"], true, "{report}");
    let caller = online["callerArn"].as_str().unwrap();
    assert!(
        caller.starts_with("arn:aws:sts::123456789012:assumed-role/eks-admin/"),
        "{caller}"
    );
    assert_eq!(
        online["mappedArn"],
        "arn:aws:iam::123456789012:role/eks-admin"
    );
    let text = env.run(&["verify", &token, "-c", "prod", "--online"]);
    assert!(
        text.ok()
            .stdout
            .contains("maps access for arn:aws:iam::123456789012:role/eks-admin"),
        "{}",
        text.stdout
    );
    let missing = env.run(&["verify", &token, "--online"]);
    assert_eq!(missing.code, Some(1));
    assert!(missing.stderr.contains("--cluster-name"));
}

/// Completion candidates as real shells get them, from the committed scripts.
mod completion {
    use super::*;

    fn env_with_files() -> TestEnv {
        let env = TestEnv::new();
        fs::write(
            &env.kubeconfig,
            include_str!("../fixtures/kubeconfig/hand-written.yaml").replace(
                "current-context:",
                "- name: kind-remote\n  context: {cluster: onprem, user: oidc}\ncurrent-context:",
            ),
        )
        .unwrap();
        env.write_aws_config(
            "[profile alpha]\nregion = eu-west-1\n[profile alps]\n[profile beta]\n",
        );
        env
    }

    fn script(shell: &str) -> String {
        let file = match shell {
            "bash" => "eks-kc.bash",
            "zsh" => "_eks-kc",
            _ => "eks-kc.fish",
        };
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file)
            .display()
            .to_string()
    }

    fn shell_or_skip(shell: &str) -> bool {
        let found = std::process::Command::new(shell)
            .arg("-c")
            .arg("exit 0")
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            eprintln!("SKIPPED: {shell} is not installed (.ci/run installs it)");
        }
        found
    }

    fn lines(run: Run) -> Vec<String> {
        let mut v: Vec<String> = run
            .ok()
            .stdout
            .lines()
            .map(|l| l.split(['\t', ':']).next().unwrap().trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        v.sort();
        v
    }

    fn bash(env: &TestEnv, words: &[&str]) -> Vec<String> {
        let line = words.join(" ");
        let program = format!(
            "source {}\nCOMP_WORDS=({line}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9\n\
             _clap_complete_eks_kc eks-kc '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            script("bash"),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        lines(Run::from(
            env.command("bash").arg("-c").arg(program).output().unwrap(),
        ))
    }

    fn zsh(env: &TestEnv, words: &[&str]) -> Vec<String> {
        // The real script in real zsh; compdef and _describe (completion-system functions that
        // need an interactive line editor) are replaced by stubs that print the candidates.
        let program = format!(
            "compdef() {{ : }}\n_describe() {{ local arr=$3; print -l -- ${{(P)arr}} }}\n\
             source {}\nwords=({}); CURRENT={}\n_clap_dynamic_completer_eks_kc\n",
            script("zsh"),
            words.join(" "),
            words.len(),
        );
        lines(Run::from(
            env.command("zsh")
                .arg("-f")
                .arg("-c")
                .arg(program)
                .output()
                .unwrap(),
        ))
    }

    fn fish(env: &TestEnv, words: &[&str]) -> Vec<String> {
        let program = format!(
            "source {}; complete -C '{}'",
            script("fish"),
            words.join(" ")
        );
        lines(Run::from(
            env.command("fish")
                .arg("--no-config")
                .arg("-c")
                .arg(program)
                .output()
                .unwrap(),
        ))
    }

    #[test]
    fn bash_zsh_and_fish_complete_contexts_and_profiles() {
        let env = env_with_files();
        type Complete = fn(&TestEnv, &[&str]) -> Vec<String>;
        for (shell, complete) in [("bash", bash as Complete), ("zsh", zsh), ("fish", fish)] {
            if !shell_or_skip(shell) {
                continue;
            }
            assert_eq!(
                complete(&env, &["eks-kc", "use", "kind"]),
                ["kind-local", "kind-remote"],
                "{shell}: use"
            );
            assert_eq!(
                complete(&env, &["eks-kc", "use", "onp"]),
                ["onprem-admin"],
                "{shell}: use"
            );
            assert_eq!(
                complete(&env, &["eks-kc", "sync", "--profile", "al"]),
                ["alpha", "alps"],
                "{shell}: sync --profile"
            );
            assert!(
                complete(&env, &["eks-kc", "sy"]).contains(&"sync".to_owned()),
                "{shell}: subcommands"
            );
            // Issue 12: region names complete; flags that do nothing are not offered.
            assert_eq!(
                complete(&env, &["eks-kc", "sync", "--region", "eu-west-"]),
                ["eu-west-1", "eu-west-2", "eu-west-3"],
                "{shell}: sync --region"
            );
            let use_flags = complete(&env, &["eks-kc", "use", "--"]);
            assert!(
                use_flags.contains(&"--kubeconfig".to_owned()),
                "{shell}: {use_flags:?}"
            );
            for idle in ["--cache-dir", "--verbose"] {
                assert!(
                    !use_flags.contains(&idle.to_owned()),
                    "{shell}: {use_flags:?}"
                );
            }
        }
    }
}

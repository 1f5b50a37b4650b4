//! Issue 26, points 3 and 4, on the real binary. Aliases: `eks-kc alias set|rm|list` in the
//! config file, taken wherever eks-kc takes a context (use, doctor, cache clear --context,
//! token --context, completion), the kubeconfig keeping the real name. Large kubeconfigs: `use`
//! rewrites only the `current-context` line where that is provably what the full rewrite (and
//! kubectl) would write, falls back to the full rewrite for every other form, and keeps the
//! digests `list`, completion and `prompt` read current.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

/// A kubeconfig synced from a fake EKS (prod, prod-canary, dev in eu-west-1, profile `team`,
/// static keys) beside the hand-written fixture's entries (kind-local, onprem-admin).
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

/// Where eks-kc keeps its config file in the tests' environment.
fn config_file(env: &TestEnv) -> PathBuf {
    env.home.join(".config/eks-kc/config.yaml")
}

fn current(env: &TestEnv) -> Value {
    kubectl_view(env, &env.kubeconfig)["current-context"].clone()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

mod aliases {
    use super::*;

    #[test]
    fn set_list_use_and_rm_keep_the_real_name_in_the_kubeconfig() {
        let (env, _eks) = synced_env();
        let run = env.run(&["alias", "set", "p", "prod.eu-west-1.team"]);
        assert_eq!(
            run.ok().stdout,
            "Alias \"p\" now stands for \"prod.eu-west-1.team\".\n"
        );
        // A prefix or substring is resolved now and the full name saved.
        env.run(&["alias", "set", "d", "dev"]).ok();
        env.run(&["alias", "set", "k", "kind"]).ok();
        let config = config_file(&env);
        assert_eq!(mode(&config), 0o600);
        let text = fs::read_to_string(&config).unwrap();
        assert!(
            text.contains(
                "aliases:\n  d: dev.eu-west-1.team\n  k: kind-local\n  p: prod.eu-west-1.team\n"
            ),
            "{text}"
        );

        env.run(&["use", "p"]).ok();
        assert_eq!(current(&env), "prod.eu-west-1.team");
        env.run(&["use", "k", "-n", "web"]).ok();
        assert_eq!(current(&env), "kind-local");
        env.run(&["use", "-"]).ok();
        assert_eq!(current(&env), "prod.eu-west-1.team");
        assert_eq!(env.run(&["prompt"]).ok().stdout, "prod.eu-west-1.team\n");

        let listing = env.run(&["alias", "list", "-o", "json"]).ok().json();
        assert_eq!(listing["path"], config.display().to_string());
        assert_eq!(
            listing["aliases"],
            json!([
                {"alias": "d", "context": "dev.eu-west-1.team", "state": "ok"},
                {"alias": "k", "context": "kind-local", "state": "ok"},
                {"alias": "p", "context": "prod.eu-west-1.team", "state": "ok"},
            ])
        );
        let table = env.run(&["alias", "list"]).ok().stdout.clone();
        assert!(table.starts_with("ALIAS   CONTEXT"), "{table}");
        assert!(
            table.contains("\np       prod.eu-west-1.team   ok\n"),
            "{table}"
        );

        // Re-pointing says what it was; rm takes several.
        let run = env.run(&["alias", "set", "p", "prod-canary"]);
        assert!(run.ok().stdout.contains("(was \"prod.eu-west-1.team\")"));
        env.run(&["alias", "rm", "d", "k"]).ok();
        let listing = env.run(&["alias", "list", "-o", "json"]).ok().json();
        assert_eq!(listing["aliases"].as_array().unwrap().len(), 1);
        env.run(&["alias", "rm", "p"]).ok();
        let empty = env.run(&["alias", "list"]);
        assert_eq!(empty.ok().stdout, "");
        assert!(empty.stderr.contains("no aliases"), "{}", empty.stderr);
    }

    #[test]
    fn the_rest_of_the_config_file_is_kept_and_sync_still_reads_it() {
        let (env, _eks) = synced_env();
        let config = config_file(&env);
        fs::create_dir_all(config.parent().unwrap()).unwrap();
        let mine = "# my settings\nsync:\n  profiles: [team]   # the only one\n";
        fs::write(&config, mine).unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).unwrap();
        env.run(&["alias", "set", "p", "prod.eu-west-1.team"]).ok();
        let text = fs::read_to_string(&config).unwrap();
        assert_eq!(text, format!("{mine}aliases:\n  p: prod.eu-west-1.team\n"));
        assert_eq!(mode(&config), 0o640, "the mode is kept");
        // sync and config accept the section, and --save keeps it byte for byte.
        env.run(&["config", "show"]).ok();
        env.run(&["sync", "--prune", "--save"]).ok();
        let saved = fs::read_to_string(&config).unwrap();
        assert!(
            saved.ends_with("aliases:\n  p: prod.eu-west-1.team\n"),
            "{saved}"
        );
        assert!(saved.contains("prune: true"), "{saved}");
        env.run(&["alias", "rm", "p"]).ok();
        assert!(!fs::read_to_string(&config).unwrap().contains("aliases"));
    }

    #[test]
    fn mistakes_are_refused_saying_what_to_do() {
        let (env, _eks) = synced_env();
        let refused = |args: &[&str], says: &str| {
            let run = env.run(args);
            assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
            assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
            assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
        };
        refused(
            &["alias", "set", "p", "staging"],
            "no context named 'staging'",
        );
        refused(&["alias", "set", "p", "prod"], "ambiguous");
        refused(
            &["alias", "set", "kind-local", "dev"],
            "is the name of a context already",
        );
        for bad in ["a b", "p/q", "p:q", ".p", "\u{1b}[31m"] {
            refused(&["alias", "set", bad, "dev"], "is not a valid alias");
        }
        assert!(!config_file(&env).exists(), "nothing written");
        env.run(&["alias", "set", "p", "prod.eu-west-1.team"]).ok();
        refused(&["alias", "rm", "p", "zz"], "no alias 'zz'");
        assert!(
            fs::read_to_string(config_file(&env))
                .unwrap()
                .contains("p: prod"),
            "a failed rm removes nothing"
        );
        // An alias whose context went away (sync --prune, a hand edit).
        let config = config_file(&env);
        fs::write(&config, "aliases:\n  gone: old.eu-west-1.team\n").unwrap();
        refused(&["use", "gone"], "`eks-kc alias rm gone` removes it");
        let listing = env.run(&["alias", "list", "-o", "json"]).ok().json();
        assert_eq!(listing["aliases"][0]["state"], "missing");
        // A broken section is reported with its line, and only what needs aliases stops.
        fs::write(
            &config,
            "aliases:\n  p: prod.eu-west-1.team\n  'a b': dev\n",
        )
        .unwrap();
        refused(
            &["use", "p"],
            "config.yaml:3: 'aliases': 'a b' is not a valid alias",
        );
        env.run(&["use", "dev.eu-west-1.team"]).ok();
        // A context that later takes an alias's name wins over the alias, and list says so.
        fs::write(&config, "aliases:\n  kind-local: dev.eu-west-1.team\n").unwrap();
        env.run(&["use", "kind-local"]).ok();
        assert_eq!(current(&env), "kind-local");
        let listing = env.run(&["alias", "list", "-o", "json"]).ok().json();
        assert_eq!(listing["aliases"][0]["state"], "shadowed");
    }

    // Issue 32: with two `aliases:` sections, `use s` took the first one's alias (and switched)
    // while `config show` refused the same file.
    #[test]
    fn a_key_written_twice_is_refused_by_every_reader_naming_its_line() {
        let (env, _eks) = synced_env();
        let config = config_file(&env);
        fs::create_dir_all(config.parent().unwrap()).unwrap();
        fs::write(
            &config,
            "aliases:\n  s: dev.eu-west-1.team\nsync:\n  prune: true\naliases:\n  \
             s: prod.eu-west-1.team\n",
        )
        .unwrap();
        let before = current(&env);
        let says = "config.yaml:5: duplicate key 'aliases' (also on line 1)";
        for args in [&["use", "s"][..], &["config", "show"], &["alias", "list"]] {
            let run = env.run(args);
            assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
            assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
            assert_eq!(run.stdout, "", "{args:?}");
        }
        assert_eq!(current(&env), before, "nothing switched");
        // Twice in one section, too.
        fs::write(
            &config,
            "aliases:\n  s: dev.eu-west-1.team\n  s: prod.eu-west-1.team\n",
        )
        .unwrap();
        let run = env.run(&["use", "s"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("config.yaml:3: duplicate key 'aliases.s' (also on line 2)"),
            "{}",
            run.stderr
        );
    }

    #[test]
    fn token_cache_clear_and_doctor_take_an_alias() {
        let (env, _eks) = synced_env();
        env.run(&["alias", "set", "p", "prod.eu-west-1.team"]).ok();
        env.run(&["alias", "set", "k", "kind-local"]).ok();
        // The token of the alias's context is the one kubectl gets for it (the same cache
        // entry as the flags that name its cluster, region and profile).
        let by_alias = env
            .run(&["token", "--context", "p", "-o", "token"])
            .bare_token();
        let by_flags = env
            .run(&[
                "token",
                "-c",
                "prod",
                "--region",
                "eu-west-1",
                "--profile",
                "team",
                "-o",
                "token",
            ])
            .bare_token();
        assert_eq!(by_alias, by_flags);
        let cred = env
            .run(&["token", "--context", "prod.eu-west-1.team"])
            .json();
        assert_eq!(cred["status"]["token"], by_alias.as_str());
        let conflict = env.run(&["token", "--context", "p", "-c", "prod"]);
        assert_eq!(conflict.code, Some(2), "{}", conflict.stderr);
        let status = || env.run(&["cache", "status", "-o", "json"]).ok().json()["entries"].clone();
        assert_eq!(status().as_array().unwrap().len(), 1);
        env.run(&["cache", "clear", "--context", "p"]).ok();
        assert_eq!(status(), json!([]));
        // doctor judges the alias's context (one eks-kc cannot sign for: said by its name).
        let doctor = env.run(&["doctor", "k"]);
        assert_eq!(doctor.code, Some(1));
        assert!(doctor.stderr.contains("kind-local"), "{}", doctor.stderr);
    }

    #[test]
    fn token_c_takes_an_alias_unless_a_cluster_has_its_name() {
        let (mut env, _eks) = synced_env();
        env.set("AWS_PROFILE", "team");
        env.set("AWS_REGION", "us-east-1");
        env.run(&["alias", "set", "p", "prod.eu-west-1.team"]).ok();
        env.run(&["alias", "set", "dev", "prod.eu-west-1.team"])
            .ok();
        // The cluster and region of each cached token.
        let signed = |env: &TestEnv| -> Vec<(String, String)> {
            let status = env.run(&["cache", "status", "-o", "json"]).ok().json();
            let mut v: Vec<(String, String)> = (status["entries"].as_array().unwrap().iter())
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap().to_owned();
                    (text("cluster"), text("region"))
                })
                .collect();
            v.sort();
            v
        };
        let pair = |c: &str, r: &str| (c.to_owned(), r.to_owned());
        // `-c ALIAS` alone: the alias's context (cluster prod in eu-west-1, not the
        // environment's region), the very token `--context ALIAS` gets.
        let by_c = env.run(&["token", "-c", "p", "-o", "token"]).bare_token();
        let by_context = env
            .run(&["token", "--context", "p", "-o", "token"])
            .bare_token();
        assert_eq!(by_c, by_context);
        assert_eq!(signed(&env), [pair("prod", "eu-west-1")]);
        // A cluster's name wins over an alias: `dev` is a cluster of the kubeconfig.
        env.run(&["token", "-c", "dev"]).ok();
        assert!(signed(&env).contains(&pair("dev", "us-east-1")));
        // With --region (the per-context user's form), -c is the cluster, alias or not.
        env.run(&["token", "-c", "p", "--region", "eu-west-1"]).ok();
        assert!(signed(&env).contains(&pair("p", "eu-west-1")));
        // Run by kubectl (exec info): the cluster, alias or not.
        let info = r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}"#;
        let run = Run::from(
            env.eks_kc(&["token", "-c", "p"])
                .env("KUBERNETES_EXEC_INFO", info)
                .output()
                .unwrap(),
        );
        run.ok();
        assert!(signed(&env).contains(&pair("p", "us-east-1")));
        // Neither an alias nor a context's cluster: the cluster as typed.
        env.run(&["token", "-c", "other"]).ok();
        assert!(signed(&env).contains(&pair("other", "us-east-1")));
        assert_eq!(signed(&env).len(), 5);
    }

    /// The candidates `eks-kc` offers bash for the last of `words`.
    fn complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
        let run = Run::from(
            env.eks_kc(&["--"])
                .args(words)
                .env("COMPLETE", "bash")
                .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
                .env("_CLAP_COMPLETE_COMP_TYPE", "9")
                .env("_CLAP_COMPLETE_SPACE", "true")
                .env("_CLAP_IFS", "\n")
                .output()
                .unwrap(),
        );
        let mut lines: Vec<String> = run.ok().stdout.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    }

    #[test]
    fn completion_offers_aliases_beside_context_names() {
        let (env, _eks) = synced_env();
        env.run(&["alias", "set", "pp", "prod.eu-west-1.team"]).ok();
        env.run(&["alias", "set", "px", "prod-canary"]).ok();
        assert_eq!(
            complete(&env, &["eks-kc", "use", "p"]),
            [
                "pp",
                "prod-canary.eu-west-1.team",
                "prod.eu-west-1.team",
                "px"
            ]
        );
        assert_eq!(complete(&env, &["eks-kc", "doctor", "pp"]), ["pp"]);
        assert_eq!(
            complete(&env, &["eks-kc", "alias", "rm", "p"]),
            ["pp", "px"]
        );
        assert_eq!(
            complete(&env, &["eks-kc", "token", "--context", "px"]),
            ["px"]
        );
    }
}

mod one_line {
    use super::*;

    /// `eks-kc -v use NAME` on `file` (the debug log says which rewrite it made).
    fn switch(env: &TestEnv, file: &Path, name: &str) -> Run {
        let run = Run::from(
            env.eks_kc(&["-v", "use", name])
                .env("KUBECONFIG", file)
                .output()
                .unwrap(),
        );
        run.ok();
        run
    }

    fn in_place(run: &Run) -> bool {
        run.stderr.contains("rewrote the current-context line")
    }

    fn kubectl_use(env: &TestEnv, file: &Path, name: &str) {
        let out = env
            .command(real_kubectl())
            .env("KUBECONFIG", file)
            .args(["config", "use-context", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn it_writes_what_the_full_rewrite_writes_and_kubectl_reads_what_it_would_write() {
        let (env, _eks) = synced_env();
        // Three copies of the file sync wrote.
        let (a, b, k) = (env.path("a"), env.path("b"), env.path("k"));
        for f in [&a, &b, &k] {
            fs::copy(&env.kubeconfig, f).unwrap();
        }
        // a: with the digest list keeps, one line in place.
        Run::from(
            env.eks_kc(&["list"])
                .env("KUBECONFIG", &a)
                .output()
                .unwrap(),
        )
        .ok();
        let run = switch(&env, &a, "dev.eu-west-1.team");
        assert!(in_place(&run), "{}", run.stderr);
        // b: no digest (another cache dir): parsed and rewritten whole.
        let mut fresh = TestEnv::new();
        fresh.home = env.home.clone();
        fresh.env = env.env.clone();
        let run = switch(&fresh, &b, "dev.eu-west-1.team");
        assert!(
            !in_place(&run) && run.stderr.contains("no digest"),
            "{}",
            run.stderr
        );
        assert_eq!(
            fs::read(&a).unwrap(),
            fs::read(&b).unwrap(),
            "byte for byte"
        );
        // k: kubectl's own switch reads the same.
        kubectl_use(&env, &k, "dev.eu-west-1.team");
        assert_eq!(kubectl_view(&env, &a), kubectl_view(&env, &k));
        // The full rewrite kept the digests: the next switch of b is in place too, and the
        // two stay byte for byte the same, back and forth.
        for name in [
            "prod-canary.eu-west-1.team",
            "kind-local",
            "prod.eu-west-1.team",
        ] {
            assert!(in_place(&switch(&env, &a, name)));
            assert!(in_place(&switch(&fresh, &b, name)));
            kubectl_use(&env, &k, name);
            assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap(), "{name}");
            assert_eq!(kubectl_view(&env, &a), kubectl_view(&env, &k), "{name}");
        }
    }

    /// The file sync wrote, switched to prod, changed by `edit`; then with a digest that
    /// vouches for it (`list`), switched to dev by eks-kc and, on a copy, by kubectl.
    fn odd_form(edit: impl Fn(&str) -> String) -> (TestEnv, FakeEks, Run, Value, Value) {
        let (env, eks) = synced_env();
        env.run(&["use", "prod.eu-west-1.team"]).ok();
        let text = edit(&fs::read_to_string(&env.kubeconfig).unwrap());
        fs::write(&env.kubeconfig, &text).unwrap();
        let copy = env.path("kubectl");
        fs::write(&copy, &text).unwrap();
        env.run(&["list"]).ok();
        let run = switch(&env, &env.kubeconfig, "dev.eu-west-1.team");
        kubectl_use(&env, &copy, "dev.eu-west-1.team");
        let ours = kubectl_view(&env, &env.kubeconfig);
        let theirs = kubectl_view(&env, &copy);
        (env, eks, run, ours, theirs)
    }

    #[test]
    fn every_other_form_is_rewritten_whole_and_agrees_with_kubectl() {
        let line = "current-context: prod.eu-west-1.team\n";
        type Edit = Box<dyn Fn(&str) -> String>;
        let with = |new: &'static str| -> Edit { Box::new(move |t: &str| t.replace(line, new)) };
        let cases: Vec<(&str, Edit)> = vec![
            (
                "a quoted value",
                with("current-context: 'prod.eu-west-1.team'\n"),
            ),
            (
                "a double-quoted value",
                with("current-context: \"prod.eu-west-1.team\"\n"),
            ),
            (
                "a comment on the line",
                with("current-context: prod.eu-west-1.team # mine\n"),
            ),
            ("no current-context line", with("")),
            (
                "CRLF line ends",
                Box::new(|t: &str| t.replace('\n', "\r\n")),
            ),
            ("a document start", Box::new(|t: &str| format!("---\n{t}"))),
            (
                "a backslash",
                Box::new(|t: &str| format!("{t}x-note: \"a\\tb\"\n")),
            ),
            (
                "the key's bytes elsewhere",
                Box::new(|t: &str| format!("{t}x-note: keep current-context as it is\n")),
            ),
            (
                "flow style (kubectl's JSON)",
                Box::new(|t: &str| {
                    let v: serde_yaml::Value = serde_yaml::from_str(t).unwrap();
                    serde_json::to_string_pretty(&v).unwrap()
                }),
            ),
        ];
        for (what, edit) in cases {
            let (_env, _eks, run, ours, theirs) = odd_form(edit);
            assert!(!in_place(&run), "{what}: {}", run.stderr);
            assert!(run.stderr.contains("use: "), "{what}: {}", run.stderr);
            assert_eq!(ours, theirs, "{what}");
            assert_eq!(ours["current-context"], "dev.eu-west-1.team", "{what}");
        }
        // Comments and hand-made indentation elsewhere are no reason to rewrite it all, and
        // they are kept.
        let (env, _eks, run, ours, theirs) = odd_form(|t| {
            format!(
                "# mine\n{}",
                t.replace("kind: Config\n", "kind: Config   # v1\n")
            )
        });
        assert!(in_place(&run), "{}", run.stderr);
        assert_eq!(ours, theirs);
        let text = fs::read_to_string(&env.kubeconfig).unwrap();
        assert!(text.starts_with("# mine\n") && text.contains("kind: Config   # v1\n"));
    }

    #[test]
    fn prompt_list_and_use_minus_follow_every_switch_whoever_made_it() {
        let (env, _eks) = synced_env();
        env.run(&["use", "kind-local"]).ok();
        env.run(&["list"]).ok();
        assert!(in_place(&switch(
            &env,
            &env.kubeconfig,
            "dev.eu-west-1.team"
        )));
        // At once (the file has not settled: the digests' fingerprints vouch for it).
        assert_eq!(env.run(&["prompt"]).ok().stdout, "dev.eu-west-1.team\n");
        let rows = env.run(&["list", "-o", "json"]).ok().json();
        let cur: Vec<&Value> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["current"] == true)
            .collect();
        assert_eq!(cur.len(), 1);
        assert_eq!(cur[0]["name"], "dev.eu-west-1.team");
        // The namespace of the new context shows too.
        assert!(in_place(&switch(&env, &env.kubeconfig, "kind-local")));
        assert_eq!(env.run(&["prompt"]).ok().stdout, "kind-local:dev\n");
        // kubectl switching after it (its own rewrite of the whole file), then eks-kc back to
        // the context before the last eks-kc switch.
        kubectl_use(&env, &env.kubeconfig, "onprem-admin");
        assert_eq!(env.run(&["prompt"]).ok().stdout, "onprem-admin\n");
        env.run(&["list"]).ok();
        assert!(in_place(&switch(&env, &env.kubeconfig, "-")));
        assert_eq!(current(&env), "dev.eu-west-1.team");
        assert_eq!(env.run(&["prompt"]).ok().stdout, "dev.eu-west-1.team\n");
        // A hand edit right after eks-kc's write is seen. (One of the same size that also
        // leaves the stamp as it was cannot be made from here: digest.rs tests that one.)
        let text = fs::read_to_string(&env.kubeconfig).unwrap();
        let edited = text.replace(
            "current-context: dev.eu-west-1.team",
            "current-context: kind-local",
        );
        fs::write(&env.kubeconfig, edited).unwrap();
        assert_eq!(env.run(&["prompt"]).ok().stdout, "kind-local:dev\n");
    }

    #[test]
    fn mode_links_and_the_lock_are_kept() {
        let (env, _eks) = synced_env();
        env.run(&["list"]).ok();
        // A symlinked kubeconfig stays a link; the target keeps its mode.
        let real = env.path("real-config");
        fs::rename(&env.kubeconfig, &real).unwrap();
        std::os::unix::fs::symlink(&real, &env.kubeconfig).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        env.run(&["list"]).ok();
        assert!(in_place(&switch(
            &env,
            &env.kubeconfig,
            "dev.eu-west-1.team"
        )));
        assert!(
            fs::symlink_metadata(&env.kubeconfig)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(mode(&real), 0o640);
        assert_eq!(current(&env), "dev.eu-west-1.team");
        // A hard link: both names see the change (one inode, written in place as kubectl does).
        let other = env.path("other-name");
        fs::hard_link(&real, &other).unwrap();
        env.run(&["list"]).ok();
        assert!(in_place(&switch(
            &env,
            &env.kubeconfig,
            "prod.eu-west-1.team"
        )));
        assert_eq!(
            fs::metadata(&real).unwrap().ino(),
            fs::metadata(&other).unwrap().ino()
        );
        assert_eq!(fs::read(&real).unwrap(), fs::read(&other).unwrap());
        // client-go's lock is taken: a held one makes `use` wait, then fail naming it.
        let lock = env.path("real-config.lock");
        let lock_of_link = PathBuf::from(format!("{}.lock", env.kubeconfig.display()));
        fs::write(&lock_of_link, "").unwrap();
        let before = fs::read(&real).unwrap();
        let run = env.run(&["use", "--lock-timeout", "1", "dev.eu-west-1.team"]);
        assert_eq!(run.code, Some(1));
        assert!(run.stderr.contains("config.lock"), "{}", run.stderr);
        assert_eq!(fs::read(&real).unwrap(), before, "untouched");
        assert!(!lock.exists());
        fs::remove_file(&lock_of_link).unwrap();
        assert_no_kubeconfig_lock(&env);
    }
}

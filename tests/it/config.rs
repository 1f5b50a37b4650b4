//! The config file (issue 14.1): saved sync targets and options run by a bare `eks-kc sync`,
//! replaced by flags, written by `--save`, found through EKS_KC_CONFIG; its errors name file,
//! line and key. The real binary against the fake EKS API (tests/support/fake_eks.py).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

/// Profiles `team` and `ops` (the same static keys; region eu-west-1) and a fake EKS serving
/// one cluster in each of eu-west-1 and us-east-1.
fn setup() -> (TestEnv, FakeEks) {
    let mut env = TestEnv::new();
    let eks = env.team_with_fake_eks(&json!({
        "eu-west-1": [{"name": "west", "endpoint": "https://127.0.0.1:1", "ca": "Q0E="}],
        "us-east-1": [{"name": "east", "endpoint": "https://127.0.0.1:2", "ca": "Q0E="}],
    }));
    env.write_aws_credentials(&format!(
        "[team]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n\
         [ops]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    ));
    env.write_aws_config("[profile team]\nregion = eu-west-1\n[profile ops]\nregion = eu-west-1\n");
    (env, eks)
}

/// Where eks-kc looks without EKS_KC_CONFIG: $HOME/.config/eks-kc/config.yaml (the tests'
/// environment has no XDG_CONFIG_HOME).
fn default_config(env: &TestEnv) -> PathBuf {
    env.home.join(".config/eks-kc/config.yaml")
}

fn write_config(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// (profile, region) of each target of a JSON report.
fn targets(report: &Value) -> Vec<(String, String)> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["profile"].as_str().unwrap().to_owned(),
                t["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_bare_sync_runs_the_saved_targets_and_options() {
    let (env, _eks) = setup();
    let config = default_config(&env);
    write_config(
        &config,
        "sync:\n  profiles: [team, ops]\n  regions: [us-east-1]\n  name-template: '{profile}-{cluster}'\n",
    );
    let run = env.run(&["sync", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        targets(&report),
        pairs(&[("team", "us-east-1"), ("ops", "us-east-1")])
    );
    assert_eq!(report["added"], json!(["ops-east", "team-east"]));
    // Saved settings in use are said once, with the file they come from.
    assert!(
        run.stderr.contains(&format!(
            "eks-kc: using the saved profiles, regions, name-template of {} (flags replace them)",
            config.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn flags_on_the_command_line_replace_the_saved_ones_for_that_run() {
    let (env, _eks) = setup();
    let config = default_config(&env);
    let text = "sync:\n  profiles: [team]\n  regions: [us-east-1]\n  prune: true\n";
    write_config(&config, text);
    // A region replaces the saved regions; the saved profiles stay.
    let run = env.run(&["sync", "-r", "eu-west-1", "-n", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(targets(&run.json()), pairs(&[("team", "eu-west-1")]));
    // A profile replaces the saved profiles; the saved regions stay.
    let run = env.run(&["sync", "-p", "ops", "-n", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(targets(&run.json()), pairs(&[("ops", "us-east-1")]));
    // --all-regions replaces the saved list too.
    let run = env.run(&["sync", "--all-regions", "-n", "-o", "json"]);
    assert!(targets(&run.json()).len() > 10, "{}", run.stderr);
    // Nothing of this was saved.
    assert_eq!(fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn save_stores_the_run_and_a_bare_sync_repeats_it() {
    let (env, _eks) = setup();
    let config = default_config(&env);
    let run = env.run(&[
        "sync",
        "-p",
        "ops",
        "-r",
        "us-east-1",
        "-r",
        "eu-west-1",
        "--prune",
        "--concurrency",
        "4",
        "--save",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        "# eks-kc's config file: `eks-kc sync --help` lists its keys.\nsync:\n  profiles:\n  \
         - ops\n  regions:\n  - us-east-1\n  - eu-west-1\n  prune: true\n  concurrency: 4\n"
    );
    // A new file is 0600 in a directory created 0700; what was saved is printed.
    assert_eq!(mode(&config), 0o600);
    assert_eq!(mode(config.parent().unwrap()), 0o700);
    assert!(
        run.stderr.contains(&format!(
            "eks-kc: saved in {}:\n  sync:\n    profiles:\n    - ops\n",
            config.display()
        )),
        "{}",
        run.stderr
    );
    let bare = env.run(&["sync", "-n", "-o", "json"]);
    assert_eq!(bare.code, Some(0), "{}", bare.stderr);
    assert_eq!(
        targets(&bare.json()),
        pairs(&[("ops", "us-east-1"), ("ops", "eu-west-1")])
    );
    // Saving the same again changes nothing, and says so.
    let again = env.run(&["sync", "--save"]);
    assert!(
        again.stderr.contains("already holds these settings"),
        "{}",
        again.stderr
    );
}

#[test]
fn save_keeps_the_rest_of_the_file_its_mode_and_its_link() {
    let (env, _eks) = setup();
    // A dotfiles set-up: the config file is a link into another directory.
    let real = env.path("dotfiles/eks-kc.yaml");
    write_config(
        &real,
        "# my eks-kc settings\n\nsync:\n  profiles: [team]   # the old one\n\n# the end\n",
    );
    fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
    let config = default_config(&env);
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &config).unwrap();

    // --dry-run saves nothing: it shows what would be saved.
    let dry = env.run(&["sync", "-p", "ops", "-n", "--save"]);
    assert!(
        dry.stderr.contains("--dry-run: would save in"),
        "{}",
        dry.stderr
    );
    assert!(dry.stderr.contains("    - ops\n"), "{}", dry.stderr);
    assert!(fs::read_to_string(&real).unwrap().contains("[team]"));

    let run = env.run(&["sync", "-p", "ops", "--save"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        fs::symlink_metadata(&config)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        "# my eks-kc settings\n\nsync:\n  profiles:\n  - ops\n\n# the end\n"
    );
    assert_eq!(mode(&real), 0o644);
}

#[test]
fn eks_kc_config_names_another_file() {
    let (mut env, _eks) = setup();
    let other = env.path("elsewhere/eks-kc.yaml");
    env.set("EKS_KC_CONFIG", other.to_str().unwrap());
    write_config(&default_config(&env), "sync:\n  profiles: [team]\n");
    write_config(&other, "sync:\n  profiles: [ops]\n  regions: [us-east-1]\n");

    let path = env.run(&["config", "path"]);
    assert_eq!(path.ok().stdout, format!("{}\n", other.display()));
    let run = env.run(&["sync", "-n", "-o", "json"]);
    assert_eq!(targets(&run.json()), pairs(&[("ops", "us-east-1")]));
    env.run(&["sync", "-r", "eu-west-1", "-n", "--save"]);
    env.run(&["sync", "-r", "eu-west-1", "--save"]).ok();
    assert!(fs::read_to_string(&other).unwrap().contains("eu-west-1"));
    assert_eq!(
        fs::read_to_string(default_config(&env)).unwrap(),
        "sync:\n  profiles: [team]\n"
    );
}

#[test]
fn no_file_means_today_s_defaults() {
    let (mut env, _eks) = setup();
    env.set("AWS_PROFILE", "team");
    let run = env.run(&["sync", "-n", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(targets(&run.json()), pairs(&[("team", "eu-west-1")]));
    assert!(!run.stderr.contains("saved"), "{}", run.stderr);
    let show = env.run(&["config", "show"]);
    assert!(
        show.ok().stdout.starts_with(&format!(
            "config file: {} (does not exist)\nno saved settings",
            default_config(&env).display()
        )),
        "{}",
        show.stdout
    );
    assert!(!default_config(&env).exists());
    // The saved profiles win over AWS_PROFILE (the default when nothing is saved).
    write_config(&default_config(&env), "sync:\n  profiles: [ops]\n");
    let run = env.run(&["sync", "-n", "-o", "json"]);
    assert_eq!(targets(&run.json()), pairs(&[("ops", "eu-west-1")]));
}

#[test]
fn a_bad_file_is_an_error_naming_file_line_and_key() {
    let (env, _eks) = setup();
    let config = default_config(&env);
    let cases = [
        (
            "sync:\n  profiles: [team]\n  regoins: [eu-west-1]\n",
            "3: unknown key 'sync.regoins'; did you mean 'regions'?",
        ),
        (
            "sync:\n  exec-style: per_context\n",
            "2: 'sync.exec-style': expected shared or per-context, got 'per_context'; did you mean 'per-context'?",
        ),
        (
            "sync:\n  concurrency: 0\n",
            "2: 'sync.concurrency': expected a number from 1 to 1024, got '0'",
        ),
        (
            "sync:\n  regions: [eu-west1]\n",
            "2: 'sync.regions': 'eu-west1' is not an AWS region name; did you mean eu-west-1?",
        ),
        (
            "sync:\n  name-template: '{profile}'\n",
            "2: 'sync.name-template': the name template '{profile}' must contain {cluster}",
        ),
        (
            "sync:\n  all-profiles: true\n  profiles: [team]\n",
            "3: 'sync.profiles' and 'sync.all-profiles' (line 2) exclude each other; keep one",
        ),
        (
            "sync:\n  prune: maybe\n",
            "2: 'sync.prune': expected true or false, got 'maybe'",
        ),
        ("sync: [\n", "1: not valid YAML: unclosed bracket '['"),
    ];
    for (text, want) in cases {
        write_config(&config, text);
        for args in [
            &["sync"][..],
            &["sync", "-p", "team", "--save"],
            &["config", "show"],
        ] {
            let run = env.run(args);
            assert_eq!(run.code, Some(1), "{args:?} {text:?}: {}", run.stderr);
            assert_eq!(
                run.stderr,
                format!("eks-kc: error: {}:{want}\n", config.display()),
                "{args:?}"
            );
        }
        // Nothing was synced, and --save did not overwrite what it could not read.
        assert!(
            !env.kubeconfig.exists() || fs::read_to_string(&env.kubeconfig).unwrap().is_empty()
        );
        assert_eq!(fs::read_to_string(&config).unwrap(), text);
    }
}

#[test]
fn config_show_prints_the_saved_settings_with_their_lines() {
    let (env, _eks) = setup();
    let config = default_config(&env);
    write_config(
        &config,
        "# mine\nsync:\n  profiles: [team, ops]\n  sso:\n    - session: corp\n      roles: [ReadOnly]\n      accounts: [012345678901]\n  prune: yes\n",
    );
    let show = env.run(&["config", "show"]);
    assert_eq!(
        show.ok().stdout,
        format!(
            "config file: {}\n\
             KEY       VALUE                                                LINE\n\
             profiles  team, ops                                            3\n\
             sso[0]    session corp; roles ReadOnly; accounts 012345678901  4\n\
             prune     true                                                 8\n",
            config.display()
        )
    );
    let json = env.run(&["config", "show", "-o", "json"]).json();
    assert_eq!(json["exists"], true);
    assert_eq!(json["lines"], json!({"profiles": 3, "sso": 4, "prune": 8}));
    assert_eq!(
        json["sync"]["sso"],
        json!([{"session": "corp", "roles": ["ReadOnly"], "accounts": ["012345678901"]}])
    );
}

#[test]
fn save_stores_iam_identity_center_logins_each_with_its_filters() {
    // Discovery through IAM Identity Center is not part of this test (or of every build): only
    // what --save makes of the SSO flags, and that a saved login reads back.
    let (env, _eks) = setup();
    let config = default_config(&env);
    let run = env.run(&[
        "sync",
        "--sso-session",
        "corp",
        "--sso-role",
        "ReadOnly",
        "--account",
        "prod-*",
        "-r",
        "eu-west-1",
        "--save",
        "--dry-run",
    ]);
    assert!(
        run.stderr.contains(
            "  sync:\n    regions:\n    - eu-west-1\n    sso:\n    - session: corp\n      roles:\n      - ReadOnly\n      accounts:\n      - prod-*\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!config.exists());
    write_config(
        &config,
        "sync:\n  sso:\n    - session: corp\n      roles: [ReadOnly]\n    - start-url: https://x.awsapps.com/start\n      sso-region: us-east-1\n      accounts: ['1111*']\n",
    );
    let json = env.run(&["config", "show", "-o", "json"]).json();
    assert_eq!(
        json["sync"]["sso"],
        json!([
            {"session": "corp", "roles": ["ReadOnly"]},
            {"start-url": "https://x.awsapps.com/start", "sso-region": "us-east-1", "accounts": ["1111*"]},
        ])
    );
}

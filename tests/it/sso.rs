//! IAM Identity Center discovery (issue 13), through the real binary against
//! tests/support/fake_sso.py: the portal (ListAccounts, ListAccountRoles, GetRoleCredentials
//! with the bearer-token header, paged, throttled), its OIDC service (device authorization and
//! refresh) and EKS per account, with the login files the AWS CLI reads and writes. Tokens are
//! judged by the token-checking API server (tests/support/fake_apiserver.py); kubeconfigs are
//! read back with the real kubectl.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::fakes::*;
use crate::harness::*;
use chrono::Utc;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const PROD: &str = "111122223333";
const DEV: &str = "222233334444";
const EXEC_EXT: &str = "client.authentication.k8s.io/exec";

/// prod (ReadOnly) has clusters a and b in eu-west-1; dev (Admin) has x in eu-west-1 and y in
/// us-east-1; sandbox (ReadOnly) has none.
fn world() -> Value {
    json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a", "b"]}},
        {"id": DEV, "name": "dev", "roles": ["Admin"],
         "clusters": {"eu-west-1": ["x"], "us-east-1": ["y"]}},
        {"id": "333344445555", "name": "sandbox", "roles": ["ReadOnly"], "clusters": {}},
    ]})
}

/// A test environment logged in to `[sso-session corp]`, and the fake serving `world`.
fn logged_in(world: Value) -> (TestEnv, FakeSso) {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world).token(SSO_TOKEN).start();
    env.sso_logged_in(&sso);
    (env, sso)
}

/// `eks-kc sync --sso-session corp -r eu-west-1` and `extra`.
fn sync(env: &TestEnv, extra: &[&str]) -> Run {
    let mut args = vec!["sync", "--sso-session", SSO_SESSION, "-r", REGION];
    args.extend_from_slice(extra);
    env.run(&args)
}

fn view(env: &TestEnv) -> Value {
    kubectl_view(env, &env.kubeconfig)
}

fn context_names(view: &Value) -> BTreeSet<String> {
    view["contexts"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn context<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no context {name}: {view}"))
}

/// The exec extension of the cluster context `name` points at.
fn exec_extension(view: &Value, name: &str) -> Value {
    let cluster = context(view, name)["context"]["cluster"].clone();
    let entry = view["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == cluster)
        .unwrap_or_else(|| panic!("no cluster {cluster}"));
    entry["cluster"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == EXEC_EXT)
        .unwrap_or_else(|| panic!("no exec extension on {cluster}: {entry}"))["extension"]
        .clone()
}

/// The user stanza of context `name`.
fn user_of(view: &Value, name: &str) -> Value {
    let user = context(view, name)["context"]["user"].clone();
    view["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == user)
        .unwrap_or_else(|| panic!("no user {user}"))["user"]
        .clone()
}

/// The report's SSO target for (account, role, region).
fn target<'a>(report: &'a Value, account: &str, role: &str, region: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["accountId"] == account && t["roleName"] == role && t["region"] == region)
        .unwrap_or_else(|| panic!("no target {account}/{role}/{region}: {report}"))
}

fn account<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["accounts"]
        .as_array()
        .unwrap_or_else(|| panic!("no accounts in the report: {report}"))
        .iter()
        .find(|a| a["accountId"] == id)
        .unwrap_or_else(|| panic!("no account {id}: {report}"))
}

/// "ACCOUNT/ROLE" of every GetRoleCredentials the fake answered, with repeats.
fn credential_calls(sso: &FakeSso) -> Vec<String> {
    sso.answered("GetRoleCredentials")
        .iter()
        .map(|r| {
            format!(
                "{}/{}",
                r["account"].as_str().unwrap(),
                r["role"].as_str().unwrap()
            )
        })
        .collect()
}

/// A kubeconfig with one context `name` for an SSO role, as `sync --sso-session` writes it,
/// pointing at `server` (TLS not verified: for tests where no server is reached).
fn sso_kubeconfig(name: &str, cluster: &str, account: &str, role: &str, server: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
    extensions:
    - name: client.authentication.k8s.io/exec
      extension:
        clusterName: {cluster}
        region: {REGION}
        ssoSession: {SSO_SESSION}
        accountId: "{account}"
        roleName: {role}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: eks-kc
current-context: {name}
users:
- name: eks-kc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: eks-kc
      args: [token]
      provideClusterInfo: true
      interactiveMode: IfAvailable
"#
    )
}

fn kubectl(env: &TestEnv, args: &[&str]) -> Run {
    Run::from(env.command("kubectl").args(args).output().unwrap())
}

/// `eks-kc token` for `cluster` in eu-west-1 as prod's ReadOnly role of `[sso-session corp]`.
fn sso_token_args(cluster: &str) -> Vec<&str> {
    vec![
        "token",
        "--cluster-name",
        cluster,
        "--region",
        REGION,
        "--sso-session",
        SSO_SESSION,
        "--account-id",
        PROD,
        "--role-name",
        "ReadOnly",
    ]
}

/// Each (context, role): the context's exec extension names that role.
fn assert_roles(view: &Value, expected: &[(&str, &str)]) {
    for (context, role) in expected {
        assert_eq!(
            exec_extension(view, context)["roleName"],
            *role,
            "{context}"
        );
    }
}

fn assert_says_login(stderr: &str) {
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&format!("eks-kc login --sso-session {SSO_SESSION}"))),
        "no line names `eks-kc login --sso-session {SSO_SESSION}`:\n{stderr}"
    );
}

#[test]
fn sync_writes_a_context_per_cluster_carrying_the_sso_role_and_no_profile() {
    let mut env = TestEnv::new();
    // One account per ListAccounts page: the listing must follow nextToken.
    let sso = FakeSso::builder(&env, world())
        .token(SSO_TOKEN)
        .page_size(1)
        .start();
    env.sso_logged_in(&sso);
    let run = sync(&env, &["-r", "us-east-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let view = view(&env);
    assert_eq!(
        context_names(&view),
        names(&[
            "a.eu-west-1.prod",
            "b.eu-west-1.prod",
            "x.eu-west-1.dev",
            "y.us-east-1.dev"
        ])
    );
    let ext = exec_extension(&view, "a.eu-west-1.prod");
    assert_eq!(ext["clusterName"], "a");
    assert_eq!(ext["region"], REGION);
    assert_eq!(ext["ssoSession"], SSO_SESSION);
    assert_eq!(ext["accountId"], PROD);
    assert_eq!(ext["roleName"], "ReadOnly");
    for absent in ["profile", "ssoStartUrl", "ssoRegion", "roleArn"] {
        assert!(ext.get(absent).is_none(), "{absent} in {ext}");
    }
    let ext = exec_extension(&view, "y.us-east-1.dev");
    assert_eq!(
        (&ext["accountId"], &ext["roleName"]),
        (&json!(DEV), &json!("Admin"))
    );
    // Every context shares the one generic user.
    for name in context_names(&view) {
        assert_eq!(context(&view, &name)["context"]["user"], "eks-kc");
    }
    let user = user_of(&view, "a.eu-west-1.prod");
    assert_eq!(user["exec"]["args"], json!(["token"]));
    assert_eq!(user["exec"]["provideClusterInfo"], true);

    assert!(sso.calls("ListAccounts") >= 3, "{}", sso.stats());
    // One GetRoleCredentials per (account, role), whatever the number of regions and clusters.
    let mut calls = credential_calls(&sso);
    calls.sort();
    assert_eq!(
        calls,
        [
            format!("{PROD}/ReadOnly"),
            format!("{DEV}/Admin"),
            "333344445555/ReadOnly".into()
        ]
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // The kubeconfig is private, and a second run changes nothing.
    let mode = fs::metadata(&env.kubeconfig).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = fs::read(&env.kubeconfig).unwrap();
    sync(&env, &["-r", "us-east-1"]).ok();
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), before);
}

#[test]
fn the_json_report_shows_accounts_roles_and_targets() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world())
        .token(SSO_TOKEN)
        .disabled_regions("af-south-1")
        .start();
    env.sso_logged_in(&sso);

    // A dry run reports the same and writes nothing.
    let dry = sync(&env, &["-r", "af-south-1", "--dry-run", "-o", "json"]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(!env.kubeconfig.exists(), "a dry run wrote the kubeconfig");
    let run = sync(&env, &["-r", "af-south-1", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.json();
    assert_eq!(dry.json()["added"], report["added"]);
    assert_eq!(
        report["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        names(&["a.eu-west-1.prod", "b.eu-west-1.prod", "x.eu-west-1.dev"])
    );
    for key in ["updated", "unchanged", "pruned", "conflicts"] {
        assert_eq!(report[key], json!([]), "{key}: {report}");
    }

    let t = target(&report, PROD, "ReadOnly", REGION);
    assert_eq!(t["ssoSession"], SSO_SESSION);
    assert_eq!(t["accountName"], "prod");
    assert_eq!(t["status"], "listed");
    assert_eq!(t["clusters"], 2);
    assert!(t.get("profile").is_none_or(Value::is_null), "{t}");
    assert_eq!(target(&report, DEV, "Admin", REGION)["clusters"], 1);
    assert_eq!(
        target(&report, "333344445555", "ReadOnly", REGION)["clusters"],
        0
    );
    let off = target(&report, PROD, "ReadOnly", "af-south-1");
    assert_eq!(off["status"], "not-enabled", "{off}");
    // 3 accounts x 1 role x 2 regions.
    assert_eq!(report["targets"].as_array().unwrap().len(), 6, "{report}");

    let prod = account(&report, PROD);
    assert_eq!(prod["ssoSession"], SSO_SESSION);
    assert_eq!(prod["accountName"], "prod");
    assert_eq!(prod["roles"], json!(["ReadOnly"]));
    assert_eq!(prod["status"], "listed");
    assert!(prod.get("error").is_none_or(Value::is_null));
    assert_eq!(account(&report, DEV)["roles"], json!(["Admin"]));
    assert_eq!(report["accounts"].as_array().unwrap().len(), 3);
}

#[test]
fn an_account_with_two_roles_synced_gets_the_role_in_its_context_names() {
    let (env, sso) = logged_in(json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["Admin", "ReadOnly"], "clusters": {"eu-west-1": ["a"]}},
        {"id": DEV, "name": "dev", "roles": ["Admin"], "clusters": {"eu-west-1": ["x"]}},
    ]}));
    let run = sync(&env, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let view = view(&env);
    assert_eq!(
        context_names(&view),
        names(&[
            "a.eu-west-1.prod.Admin",
            "a.eu-west-1.prod.ReadOnly",
            "x.eu-west-1.dev"
        ])
    );
    assert_roles(
        &view,
        &[
            ("a.eu-west-1.prod.Admin", "Admin"),
            ("a.eu-west-1.prod.ReadOnly", "ReadOnly"),
        ],
    );
    // Both roles' credentials (role lists come one role a page: paged too).
    let calls: BTreeSet<String> = credential_calls(&sso).into_iter().collect();
    assert!(calls.contains(&format!("{PROD}/Admin")), "{calls:?}");
    assert!(calls.contains(&format!("{PROD}/ReadOnly")), "{calls:?}");
}

#[test]
fn sso_role_preference_takes_the_first_role_each_account_has() {
    let (env, sso) = logged_in(json!({"accounts": [
        {"id": PROD, "name": "both", "roles": ["Admin", "ReadOnly"], "clusters": {"eu-west-1": ["a"]}},
        {"id": DEV, "name": "ops", "roles": ["Admin", "Billing"], "clusters": {"eu-west-1": ["o"]}},
        {"id": "333344445555", "name": "billing", "roles": ["Billing"], "clusters": {"eu-west-1": ["z"]}},
    ]}));
    let run = sync(
        &env,
        &[
            "--sso-role",
            "ReadOnly",
            "--sso-role",
            "Admin",
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let view = view(&env);
    // One role per account: no role suffix.
    assert_eq!(
        context_names(&view),
        names(&["a.eu-west-1.both", "o.eu-west-1.ops"])
    );
    assert_roles(
        &view,
        &[
            ("a.eu-west-1.both", "ReadOnly"),
            ("o.eu-west-1.ops", "Admin"),
        ],
    );
    let calls: BTreeSet<String> = credential_calls(&sso).into_iter().collect();
    assert_eq!(
        calls,
        [format!("{PROD}/ReadOnly"), format!("{DEV}/Admin")]
            .into_iter()
            .collect(),
        "credentials only for the chosen roles"
    );
    let report = run.json();
    assert_eq!(account(&report, PROD)["roles"], json!(["ReadOnly"]));
    assert_eq!(account(&report, DEV)["roles"], json!(["Admin"]));
    // The account with none of the roles is skipped, and the report says so.
    assert_eq!(account(&report, "333344445555")["roles"], json!([]));
}

#[test]
fn accounts_are_chosen_by_name_glob_and_by_id() {
    let (env, sso) = logged_in(json!({"accounts": [
        {"id": "100000000001", "name": "prod-eu", "roles": ["Admin"], "clusters": {"eu-west-1": ["p1"]}},
        {"id": "100000000002", "name": "prod-us", "roles": ["Admin"], "clusters": {"eu-west-1": ["p2"]}},
        {"id": "100000000003", "name": "dev", "roles": ["Admin"], "clusters": {"eu-west-1": ["d"]}},
        {"id": "100000000004", "name": "staging", "roles": ["Admin"], "clusters": {"eu-west-1": ["s"]}},
    ]}));
    sync(&env, &["--account", "prod-*"]).ok();
    assert_eq!(
        context_names(&view(&env)),
        names(&["p1.eu-west-1.prod-eu", "p2.eu-west-1.prod-us"])
    );
    sync(&env, &["--account", "prod-*", "--account", "100000000003"]).ok();
    assert_eq!(
        context_names(&view(&env)),
        names(&[
            "p1.eu-west-1.prod-eu",
            "p2.eu-west-1.prod-us",
            "d.eu-west-1.dev"
        ])
    );
    assert!(
        !credential_calls(&sso)
            .iter()
            .any(|c| c.starts_with("100000000004/")),
        "no credentials for an account not chosen"
    );
}

#[test]
fn per_context_users_pass_the_sso_role_as_flags() {
    let (env, _sso) = logged_in(world());
    sync(&env, &["--exec-style", "per-context"]).ok();
    let view = view(&env);
    let user = user_of(&view, "a.eu-west-1.prod");
    assert_eq!(user["exec"]["args"], json!(sso_token_args("a")));
    let args = user["exec"]["args"].to_string();
    assert!(!args.contains("--profile"), "{args}");
}

#[test]
fn a_start_url_without_a_section_uses_the_legacy_login_file() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).token(SSO_TOKEN).start();
    sso.serve(&mut env);
    // No AWS config at all; the login file is named after the start URL.
    sso_token_file(
        &env.home,
        START_URL,
        SSO_TOKEN,
        Utc::now() + chrono::Duration::hours(8),
        None,
    );
    let run = env.run(&[
        "sync",
        "--sso-start-url",
        START_URL,
        "--sso-region",
        SSO_REGION,
        "-r",
        REGION,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let view = view(&env);
    assert!(context_names(&view).contains("a.eu-west-1.prod"), "{view}");
    let ext = exec_extension(&view, "a.eu-west-1.prod");
    assert_eq!(ext["ssoStartUrl"], START_URL);
    assert_eq!(ext["ssoRegion"], SSO_REGION);
    assert!(ext.get("ssoSession").is_none(), "{ext}");
    assert!(ext.get("profile").is_none(), "{ext}");

    let run = env.run(&[
        "token",
        "--cluster-name",
        "a",
        "--region",
        REGION,
        "--sso-start-url",
        START_URL,
        "--sso-region",
        SSO_REGION,
        "--account-id",
        PROD,
        "--role-name",
        "ReadOnly",
    ]);
    let token = run.ok().token();
    assert_tokens_accepted("a", REGION, &env.keys_file(), std::slice::from_ref(&token));
    assert_eq!(signer(&token), sso_access_key(PROD, 0));
}

#[test]
fn an_expired_login_fails_sync_at_once_naming_the_fix_and_writes_nothing() {
    // Without a refresh token, then with one the OIDC service refuses.
    for refresh in [false, true] {
        let mut env = TestEnv::new();
        let sso = FakeSso::builder(&env, world())
            .token(SSO_TOKEN)
            .known_client()
            .start();
        env.write_sso_config("");
        sso.serve(&mut env);
        let revoked = Refresh {
            refresh_token: "aorFAKErevoked",
            ..Refresh::known()
        };
        sso_token_file(
            &env.home,
            SSO_SESSION,
            "aoaFAKEexpired-token",
            Utc::now() - chrono::Duration::hours(1),
            refresh.then_some(&revoked),
        );
        let original =
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n# mine\n";
        fs::write(&env.kubeconfig, original).unwrap();

        let started = Instant::now();
        let run = sync(&env, &[]);
        assert!(
            started.elapsed() < bound(Duration::from_secs(5)),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            run.code,
            Some(1),
            "refresh={refresh}: {}{}",
            run.stdout,
            run.stderr
        );
        assert_says_login(&run.stderr);
        assert_eq!(
            fs::read_to_string(&env.kubeconfig).unwrap(),
            original,
            "kubeconfig touched"
        );
        assert_eq!(sso.calls("GetRoleCredentials"), 0);
        if refresh {
            assert_eq!(sso.stats()["refreshes"], 0);
            assert_eq!(
                sso.calls("CreateToken"),
                1,
                "one refresh attempt: {}",
                sso.stats()
            );
        }

        // On a terminal too: no prompt, no wait.
        let run = in_pty_within(
            &env,
            &format!("sync --sso-session {SSO_SESSION} -r {REGION}"),
            "",
            Duration::from_secs(10),
        )
        .expect("sync on a terminal with an expired login is still running after 10 s");
        assert_ne!(run.code, Some(0));
        assert_says_login(&run.stdout);
        assert_eq!(fs::read_to_string(&env.kubeconfig).unwrap(), original);
    }
}

#[test]
fn an_expired_login_fails_token_and_kubectl_at_once_naming_the_fix() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).token(SSO_TOKEN).start();
    env.write_sso_config("");
    sso.serve(&mut env);
    sso_token_file(
        &env.home,
        SSO_SESSION,
        SSO_TOKEN,
        Utc::now() - chrono::Duration::minutes(1),
        None,
    );
    let server = format!("https://127.0.0.1:{}", free_port());
    fs::write(
        &env.kubeconfig,
        sso_kubeconfig("a", "a", PROD, "ReadOnly", &server),
    )
    .unwrap();

    let args = sso_token_args("a");
    let started = Instant::now();
    let run = env.run(&args);
    assert!(
        started.elapsed() < bound(Duration::from_secs(3)),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert_says_login(&run.stderr);

    let started = Instant::now();
    let run = kubectl(&env, &["--context", "a", "get", "ns"]);
    assert!(
        started.elapsed() < bound(Duration::from_secs(10)),
        "{:?}",
        started.elapsed()
    );
    assert_ne!(run.code, Some(0));
    assert_says_login(&run.stderr);

    assert_eq!(sso.calls("GetRoleCredentials"), 0, "{}", sso.stats());

    // On a terminal a person is there: it signs in (no browser here: with a device code, which
    // the fake approves) and signs the token (issue 25, tests/signin_storm.rs).
    let run = in_pty_within(&env, &args.join(" "), "", Duration::from_secs(20))
        .expect("eks-kc token on a terminal with an expired login is still running after 20 s");
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert!(run.stdout.contains("confirm the code"), "{}", run.stdout);
    assert!(sso.stats()["device_polls"].as_u64().unwrap() >= 1);
}

#[test]
fn a_login_near_expiry_is_refreshed_once_and_saved_where_the_cli_reads_it() {
    // Expired a minute ago; then still valid but within the 5-minute refresh window.
    for offset in [-60, 120] {
        let mut env = TestEnv::new();
        let sso = FakeSso::builder(&env, world())
            .known_refresh_token()
            .start();
        env.write_sso_config("");
        sso.serve(&mut env);
        sso_token_file(
            &env.home,
            SSO_SESSION,
            "aoaFAKEstale-token-unknown-to-the-portal",
            Utc::now() + chrono::Duration::seconds(offset),
            Some(&Refresh::known()),
        );
        if offset > 0 {
            // QA: a symlinked login (dotfiles managers do that) is followed, and a refresh
            // leaves the file 0600 whatever it was.
            let file = sso_cache_file(&env.home, SSO_SESSION);
            let real = env.home.join("login.json");
            fs::rename(&file, &real).unwrap();
            std::os::unix::fs::symlink(&real, &file).unwrap();
            fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
        }

        let run = sync(&env, &[]);
        assert_eq!(run.code, Some(0), "offset {offset}: {}", run.stderr);
        assert!(context_names(&view(&env)).contains("a.eu-west-1.prod"));
        assert_eq!(sso.stats()["refreshes"], 1, "{}", sso.stats());

        let saved = assert_cli_login_file(&env.home);
        assert_ne!(
            saved["accessToken"],
            "aoaFAKEstale-token-unknown-to-the-portal"
        );
        assert!(
            saved["accessToken"]
                .as_str()
                .unwrap()
                .starts_with("aoaFAKE")
        );
        // The OIDC service rotates refresh tokens: the new one must be kept.
        assert_ne!(saved["refreshToken"], REFRESH_TOKEN);
        assert_eq!(saved["clientId"], CLIENT_ID);
        assert_eq!(saved["clientSecret"], CLIENT_SECRET);
        let expires = chrono::DateTime::parse_from_rfc3339(saved["expiresAt"].as_str().unwrap())
            .expect("expiresAt in the CLI's RFC 3339 form");
        assert!(
            expires > Utc::now() + chrono::Duration::minutes(50),
            "{saved}"
        );
        // The AWS CLI (botocore) uses the saved login as it is: no second refresh.
        env.write_sso_config(&format!(
            "\n[profile p]\nsso_session = {SSO_SESSION}\nsso_account_id = {PROD}\n\
             sso_role_name = ReadOnly\nregion = {REGION}\n"
        ));
        let cli = Run::from(
            env.command("aws")
                .args(["eks", "list-clusters", "--profile", "p", "--output", "json"])
                .output()
                .expect("the AWS CLI (scripts/install-test-deps.sh installs it)"),
        );
        assert_eq!(cli.code, Some(0), "{}", cli.stderr);
        assert_eq!(cli.json()["clusters"], json!(["a", "b"]));
        assert_eq!(
            sso.stats()["refreshes"],
            1,
            "the CLI refreshed again: {}",
            sso.stats()
        );
    }
}

#[test]
fn a_throttled_portal_slows_the_sync_down_but_fails_nothing() {
    let mut env = TestEnv::new();
    // 25 accounts at 8 GetRoleCredentials a second (no burst): at least 3 s; EKS is throttled
    // too. (The listings are not, so that the credentials' throttle is what bites.)
    let sso = FakeSso::generated(&env, "25:1:eu-west-1:1")
        .token(SSO_TOKEN)
        .page_size(10)
        .throttle_rps(8.0)
        .throttle_eks_rps(20.0)
        .start();
    env.sso_logged_in(&sso);
    let started = Instant::now();
    let run = sync(&env, &["-o", "json"]);
    let took = started.elapsed();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        took > Duration::from_secs(3),
        "the throttle was not honoured: {took:?}"
    );
    assert!(took < bound(Duration::from_secs(30)), "{took:?}");
    let report = run.json();
    let accounts = report["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 25);
    assert!(accounts.iter().all(|a| a["status"] == "listed"), "{report}");
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "listed"),
        "{report}"
    );
    assert_eq!(context_names(&view(&env)).len(), 25);
    let stats = sso.stats();
    assert!(
        stats["throttled"]["GetRoleCredentials"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "the throttle never bit: {stats}"
    );
    eprintln!("FIGURES throttled sync of 25 accounts: {took:?}, {stats}");
}

#[test]
fn a_failing_account_fails_alone_and_prune_spares_its_contexts() {
    let ok_world = json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a", "b"]}},
        {"id": DEV, "name": "dev", "roles": ["Admin"], "clusters": {"eu-west-1": ["x"]}},
        {"id": "333344445555", "name": "ops", "roles": ["Admin"], "clusters": {"eu-west-1": ["o"]}},
    ]});
    let (mut env, sso) = logged_in(ok_world);
    sync(&env, &["--prune"]).ok();
    assert_eq!(context_names(&view(&env)).len(), 4);
    drop(sso);

    // Now b is gone, dev refuses GetRoleCredentials and ops' role listing breaks.
    let sso = FakeSso::builder(&env, json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a"]}},
        {"id": DEV, "name": "dev", "roles": ["Admin"], "clusters": {"eu-west-1": ["x"]},
         "fail": "GetRoleCredentials"},
        {"id": "333344445555", "name": "ops", "roles": ["Admin"], "clusters": {"eu-west-1": ["o"]},
         "fail": "ListAccountRoles", "fail_status": 500},
    ]}))
    .token(SSO_TOKEN)
    .start();
    sso.serve(&mut env);
    let run = sync(&env, &["--prune", "-o", "json"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["pruned"], json!(["b.eu-west-1.prod"]), "{report}");
    assert_eq!(
        context_names(&view(&env)),
        names(&["a.eu-west-1.prod", "x.eu-west-1.dev", "o.eu-west-1.ops"])
    );
    assert_eq!(account(&report, PROD)["status"], "listed");
    // Each failed account says why: on itself (its roles could not be listed) or on its
    // targets (a role's credentials could not be had).
    let says_why = |v: &Value| v["error"].as_str().is_some_and(|e| !e.is_empty());
    for id in [DEV, "333344445555"] {
        let a = account(&report, id);
        assert_eq!(a["status"], "failed", "{a}");
        let targets: Vec<&Value> = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["accountId"] == id)
            .collect();
        assert!(
            says_why(a)
                || (!targets.is_empty()
                    && targets
                        .iter()
                        .all(|t| t["status"] == "failed" && says_why(t))),
            "{a} {targets:?}"
        );
    }
}

// QA: contexts of accounts and roles no longer assigned were never pruned.
#[test]
fn prune_removes_accounts_and_roles_no_longer_assigned_but_not_unchosen_ones() {
    let (mut env, sso) = logged_in(json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["Admin", "ReadOnly"], "clusters": {"eu-west-1": ["a"]}},
        {"id": DEV, "name": "dev", "roles": ["Admin"], "clusters": {"eu-west-1": ["x"]}},
        {"id": "333344445555", "name": "ops", "roles": ["Admin"], "clusters": {"eu-west-1": ["o"]}},
    ]}));
    sync(&env, &[]).ok();
    assert_eq!(context_names(&view(&env)).len(), 4);
    drop(sso);

    // prod loses ReadOnly, dev leaves the organisation; ops stays.
    let sso = FakeSso::builder(&env, json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["Admin"], "clusters": {"eu-west-1": ["a"]}},
        {"id": "333344445555", "name": "ops", "roles": ["Admin"], "clusters": {"eu-west-1": ["o"]}},
    ]}))
    .token(SSO_TOKEN)
    .start();
    sso.serve(&mut env);
    // Filters choose what may be pruned: ops is not chosen, so nothing of it goes.
    let run = sync(
        &env,
        &[
            "--prune",
            "--account",
            "prod",
            "--account",
            DEV,
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["pruned"],
        json!(["a.eu-west-1.prod.ReadOnly", "x.eu-west-1.dev"]),
        "{report}"
    );
    assert_eq!(
        context_names(&view(&env)),
        names(&["a.eu-west-1.prod.Admin", "o.eu-west-1.ops"])
    );
    // Without --prune, nothing goes.
    let again = sync(&env, &["-o", "json"]).json();
    assert_eq!(again["pruned"], json!([]), "{again}");
}

#[test]
fn a_role_replaced_by_another_takes_over_its_name_in_one_pruning_run() {
    let (mut env, sso) = logged_in(json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["Admin"], "clusters": {"eu-west-1": ["a"]}},
    ]}));
    sync(&env, &[]).ok();
    drop(sso);
    let sso = FakeSso::builder(
        &env,
        json!({"accounts": [
            {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": ["a"]}},
        ]}),
    )
    .token(SSO_TOKEN)
    .start();
    sso.serve(&mut env);
    let run = sync(&env, &["--prune", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["pruned"], json!(["a.eu-west-1.prod"]), "{report}");
    assert_eq!(report["added"], json!(["a.eu-west-1.prod"]), "{report}");
    // Read back by kubectl: the name now stands for the new role.
    let v = view(&env);
    let cluster = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "a.eu-west-1.prod")
        .unwrap();
    let ext = cluster["cluster"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "client.authentication.k8s.io/exec")
        .unwrap();
    assert_eq!(ext["extension"]["roleName"], "ReadOnly", "{cluster}");
}

#[test]
fn an_unknown_session_is_an_error_and_json_output_says_so() {
    let (env, _sso) = logged_in(world());
    let run = env.run(&["sync", "--sso-session", "nope", "-o", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("no [sso-session nope] section"),
        "{}",
        run.stderr
    );
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert!(
        v["error"].as_str().unwrap().contains("[sso-session nope]"),
        "{v}"
    );
}

#[test]
fn a_filter_that_chooses_nothing_is_a_warning() {
    let (env, _sso) = logged_in(world());
    let run = sync(&env, &["--account", "prdo-*"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no account of corp matches --account prdo-*"),
        "{}",
        run.stderr
    );
    let run = sync(&env, &["--sso-role", "ReadOnyl"]);
    assert!(
        run.stderr.contains("has any of the roles ReadOnyl"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_hand_written_context_with_the_same_name_is_reported_and_kept() {
    let (env, _sso) = logged_in(world());
    let hand = "apiVersion: v1\nkind: Config\nclusters:\n- name: onprem\n  cluster:\n    server: https://10.0.0.1\n\
                contexts:\n- name: a.eu-west-1.prod\n  context:\n    cluster: onprem\n    user: me\n\
                users:\n- name: me\n  user:\n    token: abc\n";
    fs::write(&env.kubeconfig, hand).unwrap();
    let run = sync(&env, &["-o", "json"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let report = run.json();
    assert!(
        report["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "a.eu-west-1.prod"),
        "{report}"
    );
    let view = view(&env);
    assert_eq!(
        context(&view, "a.eu-west-1.prod")["context"]["cluster"],
        "onprem"
    );
    assert!(
        context_names(&view).contains("b.eu-west-1.prod"),
        "the rest is still written"
    );
}

#[test]
fn the_same_names_under_two_sessions_conflict_and_nothing_is_overwritten() {
    let (env, _sso) = logged_in(world());
    let other = "https://other.awsapps.com/start";
    env.write_sso_config(&format!("\n{}", sso_session_section("corp2", other)));
    sso_token_file(
        &env.home,
        "corp2",
        SSO_TOKEN,
        Utc::now() + chrono::Duration::hours(8),
        None,
    );
    let run = sync(&env, &["--sso-session", "corp2", "-o", "json"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    let report = run.json();
    let conflicts = report["conflicts"].as_array().unwrap();
    assert!(
        conflicts.iter().any(|c| c["name"] == "a.eu-west-1.prod"),
        "{report}"
    );
    // Whichever was written stays as it is: a second run writes nothing.
    let before = fs::read(&env.kubeconfig).unwrap();
    let again = sync(&env, &["--sso-session", "corp2"]);
    assert_eq!(again.code, Some(3), "{}", again.stderr);
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), before);
}

#[test]
fn kubectl_works_through_an_sso_context_with_one_role_credential_per_account_and_role() {
    let mut env = TestEnv::new();
    let api_a = ApiServer::start(&env, "a", REGION);
    let api_b = ApiServer::start(&env, "b", REGION);
    let sso = FakeSso::builder(
        &env,
        json!({"accounts": [
            {"id": PROD, "name": "prod", "roles": ["ReadOnly"], "clusters": {"eu-west-1": [
                {"name": "a", "endpoint": api_a.url(), "ca": api_a.ca_data()},
                {"name": "b", "endpoint": api_b.url(), "ca": api_b.ca_data()},
            ]}},
        ]}),
    )
    .token(SSO_TOKEN)
    .start();
    env.sso_logged_in(&sso);
    sync(&env, &[]).ok();
    let after_sync = credential_calls(&sso).len();

    for (context, server) in [("a.eu-west-1.prod", &api_a), ("b.eu-west-1.prod", &api_b)] {
        let run = kubectl(&env, &["--context", context, "get", "ns"]);
        assert_eq!(run.code, Some(0), "{context}: {}", run.stderr);
        let decisions = server.decisions();
        assert!(!decisions.is_empty());
        assert!(decisions.iter().all(|d| d["ok"] == true), "{decisions:?}");
        assert_eq!(decisions[0]["access_key"], sso_access_key(PROD, 0));
    }
    assert!(
        credential_calls(&sso).len() - after_sync <= 1,
        "two clusters of one account and role: one GetRoleCredentials at most: {:?}",
        credential_calls(&sso)
    );
    // A second kubectl call uses the cached token: no IAM Identity Center call at all.
    let before = sso.sso_calls();
    kubectl(&env, &["--context", "a.eu-west-1.prod", "get", "ns"]).ok();
    assert_eq!(sso.sso_calls(), before, "{}", sso.stats());
}

#[test]
fn token_for_an_sso_role_is_accepted_and_its_credentials_are_shared() {
    let (env, sso) = logged_in(json!({"accounts": [
        {"id": PROD, "name": "prod", "roles": ["Admin", "ReadOnly"], "clusters": {"eu-west-1": ["a", "b"]}},
    ]}));
    for cluster in ["a", "b"] {
        let run = env.run(&sso_token_args(cluster));
        let token = run.ok().token();
        assert_tokens_accepted(
            cluster,
            REGION,
            &env.keys_file(),
            std::slice::from_ref(&token),
        );
        assert_eq!(signer(&token), sso_access_key(PROD, 1), "ReadOnly's key");
    }
    assert_eq!(credential_calls(&sso), vec![format!("{PROD}/ReadOnly")]);
}

#[test]
fn login_runs_the_device_flow_and_saves_the_login_where_the_cli_does() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).start();
    env.write_sso_config("");
    sso.serve(&mut env);
    let started = Instant::now();
    let run = env.run(&["login", "--sso-session", SSO_SESSION, "--use-device-code"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < bound(Duration::from_secs(15)),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.stderr
            .contains("https://device.sso.us-east-1.amazonaws.com/"),
        "{}",
        run.stderr
    );
    let has_code = run
        .stderr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|w| {
            w.len() == 9
                && w.as_bytes()[4] == b'-'
                && w.chars()
                    .filter(|&c| c != '-')
                    .all(|c| c.is_ascii_hexdigit())
        });
    assert!(has_code, "no user code on stderr: {}", run.stderr);
    let stats = sso.stats();
    assert_eq!(stats["registrations"], 1, "{stats}");
    assert!(stats["device_polls"].as_u64().unwrap() >= 2, "{stats}");

    assert_cli_login_file(&env.home);

    let run = sync(&env, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(context_names(&view(&env)).contains("a.eu-west-1.prod"));
}

#[test]
fn a_refused_device_login_fails_and_saves_nothing() {
    let mut env = TestEnv::new();
    let sso = FakeSso::builder(&env, world()).deny_device().start();
    env.write_sso_config("");
    sso.serve(&mut env);
    let started = Instant::now();
    let run = env.run(&["login", "--sso-session", SSO_SESSION, "--use-device-code"]);
    assert!(
        started.elapsed() < bound(Duration::from_secs(15)),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(!sso_cache_file(&env.home, SSO_SESSION).exists());
}

/// Profile `mfa` assumes a role with MFA on top of `base` (static keys) through the fake STS,
/// and discovers through a fake EKS with cluster c1 in eu-west-1.
fn mfa_env(env: &mut TestEnv, sts: &FakeSts) -> FakeEks {
    let eks = FakeEks::start(
        env,
        &json!({"eu-west-1": [{"name": "c1", "endpoint": "https://127.0.0.1:6443", "ca": "Q0E="}]}),
    );
    env.write_static_profile("base");
    env.write_aws_config(
        "[profile mfa]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:role/eks-admin\n\
         source_profile = base\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\n",
    );
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    eks
}

#[test]
fn sync_uses_the_credentials_login_cached_for_an_mfa_profile() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    let _eks = mfa_env(&mut env, &sts);
    let run = in_pty_within(
        &env,
        "login --profile mfa",
        "654321\n",
        Duration::from_secs(20),
    )
    .expect("login finishes");
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(sts.calls("AssumeRole").len(), 1);

    let started = Instant::now();
    let run = env.run(&["sync", "-p", "mfa", "-r", REGION]);
    assert!(started.elapsed() < bound(Duration::from_secs(10)));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("MFA code"), "{}", run.stderr);
    assert_eq!(sts.calls("AssumeRole").len(), 1, "sync called STS again");
    assert!(context_names(&view(&env)).contains("c1.eu-west-1.mfa"));
}

#[test]
fn sync_of_a_cold_mfa_profile_without_a_terminal_names_login() {
    let mut env = TestEnv::new();
    let sts = FakeSts::start(&env);
    let _eks = mfa_env(&mut env, &sts);
    let started = Instant::now();
    let run = env.run(&["sync", "-p", "mfa", "-r", REGION]);
    assert!(
        started.elapsed() < bound(Duration::from_secs(5)),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("eks-kc login -p mfa")
            || run.stderr.contains("eks-kc login --profile mfa"),
        "{}",
        run.stderr
    );
    assert!(sts.calls("AssumeRole").is_empty());
    assert!(!env.kubeconfig.exists());
}

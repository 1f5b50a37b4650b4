//! Every Kubernetes client: the two exec styles `sync` writes, tried with real clients (every
//! kubectl on the machine, Python kubernetes new and 33, kubernetes_asyncio, lightkube, kr8s,
//! JavaScript client-node) against the token-checking API server; plus what makes a first run
//! and a GUI client work (current-context, an absolute exec command) and the plugin's handling
//! of clients that pass the cluster differently or not at all.
//!
//! The clients live in .clients/ (scripts/install-client-deps.sh, run by scripts/test).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const CONTEXT: &str = "prod.eu-west-1.team";

fn clients_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".clients");
    assert!(
        dir.join("py-new/.pins").exists()
            && dir.join("py-33/.pins").exists()
            && dir.join("node/.pins").exists(),
        "the client matrix needs {}: run scripts/install-client-deps.sh (scripts/test does)",
        dir.display()
    );
    dir
}

/// Profile `team` (credential_process with the fake's keys) discovering cluster `prod`, whose
/// endpoint is the token-checking API server.
fn setup() -> (TestEnv, ApiServer, FakeEks) {
    let mut env = TestEnv::new();
    let (script, _) = env.counting_credential_process();
    env.write_aws_config(&format!(
        "[profile team]\nregion = {REGION}\ncredential_process = {}\n",
        script.display()
    ));
    let server = ApiServer::start(&env, "prod", REGION);
    let eks = FakeEks::start(
        &env,
        &json!({REGION: [{"name": "prod", "endpoint": server.url(), "ca": server.ca_data()}]}),
    );
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    (env, server, eks)
}

fn sync(env: &TestEnv, style: &str) -> Value {
    let run = env.run(&["sync", "-p", "team", "--exec-style", style, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.json()
}

fn kubectls() -> Vec<String> {
    let mut all: Vec<String> = fs::read_dir("/usr/lib/google-cloud-sdk/bin")
        .map(|d| {
            d.flatten()
                .map(|e| e.path().display().to_string())
                .filter(|p| p.contains("/kubectl.1."))
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    if all.is_empty() {
        all.push("kubectl".into());
    }
    all
}

/// Lists namespaces with `client`; the names on success, the error text otherwise.
fn list_namespaces(env: &TestEnv, client: &str) -> Result<Vec<String>, String> {
    let clients = clients_dir();
    let kubeconfig = env.kubeconfig.display().to_string();
    let mut cmd = match client {
        "client-node" => {
            let mut c = env.command("node");
            c.env("NODE_PATH", clients.join("node/node_modules"))
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/list_namespaces.js"))
                .args([&kubeconfig, CONTEXT]);
            c
        }
        c if c.starts_with("kubectl") || c.starts_with('/') => {
            let mut cmd = env.command(c);
            cmd.args(["--context", CONTEXT, "get", "ns", "-o", "name"]);
            cmd
        }
        python => {
            let (venv, module) = match python {
                "kubernetes-33" => ("py-33", "kubernetes"),
                other => ("py-new", other),
            };
            let mut c = env.command(clients.join(venv).join("bin/python"));
            c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/list_namespaces.py"))
                .args([module, &kubeconfig, CONTEXT]);
            c
        }
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() && stdout.contains("eks-kc-test") {
        Ok(stdout.lines().map(str::to_owned).collect())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.lines().last().unwrap_or("").chars().take(160).collect())
    }
}

#[test]
fn client_matrix_for_both_exec_styles() {
    let (env, server, _eks) = setup();
    let others = [
        "kubernetes",
        "kubernetes-33",
        "kubernetes_asyncio",
        "lightkube",
        "kr8s",
        "client-node",
    ];
    let kubectls = kubectls();
    let clients: Vec<&str> = kubectls.iter().map(String::as_str).chain(others).collect();
    let mut table: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for (i, style) in ["shared", "per-context"].into_iter().enumerate() {
        sync(&env, style);
        for client in &clients {
            let result = list_namespaces(&env, client);
            if let Err(e) = &result {
                eprintln!("{style} {client}: {e}");
            }
            table.entry(client).or_default()[i] = result.is_ok();
        }
    }
    eprintln!("FIGURES client matrix (client: shared, per-context):");
    for (client, [shared, per_context]) in &table {
        let short = client.rsplit('/').next().unwrap_or(client);
        eprintln!("FIGURES   {short}: {shared}, {per_context}");
    }
    // per-context works for every client; shared for client-go and the Python clients that
    // pass the cluster (kubernetes 34.1+, and 33 through its raw extensions).
    for (client, [shared, per_context]) in &table {
        assert!(per_context, "{client} fails with per-context users");
        if client.contains("kubectl") || ["kubernetes", "kubernetes-33"].contains(client) {
            assert!(shared, "{client} fails with the shared user");
        }
    }
    // Every request carried a token the server accepted for its own cluster.
    assert!(server.decisions().iter().all(|d| d["ok"] == true));
}

fn doc(env: &TestEnv) -> serde_yaml::Value {
    serde_yaml::from_str(&fs::read_to_string(&env.kubeconfig).unwrap()).unwrap()
}

fn user_names(env: &TestEnv) -> Vec<String> {
    doc(env)["users"]
        .as_sequence()
        .map(|u| {
            u.iter()
                .map(|u| u["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn switching_exec_style_rewrites_contexts_and_removes_unused_users() {
    let (env, _server, _eks) = setup();
    sync(&env, "shared");
    assert_eq!(user_names(&env), ["eks-kc"]);

    let report = sync(&env, "per-context");
    assert_eq!(report["updated"], json!([CONTEXT]));
    assert_eq!(user_names(&env), [format!("eks-kc@{CONTEXT}")]);
    let d = doc(&env);
    let user = &d["users"][0]["user"]["exec"];
    let args: Vec<&str> = user["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "token",
            "--cluster-name",
            "prod",
            "--region",
            REGION,
            "--profile",
            "team"
        ]
    );
    assert_eq!(user["provideClusterInfo"], true);
    assert_eq!(
        d["contexts"][0]["context"]["user"],
        format!("eks-kc@{CONTEXT}")
    );
    // The cluster extension stays, so list/verify/cache work the same.
    let list = env.run(&["list", "-o", "json"]);
    assert_eq!(list.json()[0]["cluster"], "prod");

    // Without --exec-style, a later sync keeps the style the file uses.
    let report = sync_default(&env);
    assert_eq!(report["unchanged"], json!([CONTEXT]));
    assert_eq!(user_names(&env), [format!("eks-kc@{CONTEXT}")]);

    // Back to shared: the per-context user goes.
    sync(&env, "shared");
    assert_eq!(user_names(&env), ["eks-kc"]);

    // A user of the per-context name that eks-kc did not write is a conflict, not overwritten.
    let mut text = fs::read_to_string(&env.kubeconfig).unwrap();
    text = text.replace(
        "users:\n",
        &format!("users:\n- name: eks-kc@{CONTEXT}\n  user:\n    token: mine\n"),
    );
    fs::write(&env.kubeconfig, &text).unwrap();
    let run = env.run(&[
        "sync",
        "-p",
        "team",
        "--exec-style",
        "per-context",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(run.json()["conflicts"][0]["name"], CONTEXT);
    assert!(
        fs::read_to_string(&env.kubeconfig)
            .unwrap()
            .contains("token: mine")
    );
}

fn sync_default(env: &TestEnv) -> Value {
    let run = env.run(&["sync", "-p", "team", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.json()
}

#[test]
fn a_first_sync_sets_the_current_context_and_never_changes_a_set_one() {
    let (env, _server, _eks) = setup();
    let run = env.run(&["sync", "-p", "team"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains(CONTEXT), "{}", run.stderr);
    assert_eq!(doc(&env)["current-context"], CONTEXT);
    // kubectl right after the first sync reaches the cluster, with no --context.
    let get = Run::from(
        env.command(real_kubectl())
            .args(["get", "ns", "-o", "name"])
            .output()
            .unwrap(),
    );
    assert!(get.ok().stdout.contains("eks-kc-test"));

    // A current context that is set is never changed.
    let mut text = fs::read_to_string(&env.kubeconfig).unwrap();
    text = text.replace(
        &format!("current-context: {CONTEXT}"),
        "current-context: elsewhere",
    );
    fs::write(&env.kubeconfig, &text).unwrap();
    sync_default(&env);
    assert_eq!(doc(&env)["current-context"], "elsewhere");

    // Nor one set by another file of KUBECONFIG.
    let (mut env, _server, _eks) = setup();
    let other = env.path("other.yaml");
    fs::write(
        &other,
        "apiVersion: v1\nkind: Config\ncurrent-context: theirs\n",
    )
    .unwrap();
    let list = format!("{}:{}", env.kubeconfig.display(), other.display());
    env.set("KUBECONFIG", &list);
    let report = sync_default(&env);
    assert!(report.get("current_context_set").is_none(), "{report}");
    assert_eq!(doc(&env)["current-context"].as_str().unwrap_or(""), "");
}

#[test]
fn the_exec_command_is_the_absolute_path_path_finds_links_kept() {
    let (mut env, _server, _eks) = setup();
    // A package manager's stable link to the binary, first on PATH.
    let links = env.path("links");
    fs::create_dir_all(&links).unwrap();
    std::os::unix::fs::symlink(bin(), links.join("eks-kc")).unwrap();
    env.set("PATH", format!("{}:{}", links.display(), child_path()));
    sync_default(&env);
    assert_eq!(
        doc(&env)["users"][0]["user"]["exec"]["command"],
        links.join("eks-kc").display().to_string().as_str()
    );
    // A GUI client without the shell's PATH still runs the plugin.
    let get = Run::from(
        env.command(real_kubectl())
            .env("PATH", "/usr/bin:/bin")
            .args(["get", "ns", "-o", "name"])
            .output()
            .unwrap(),
    );
    assert!(get.ok().stdout.contains("eks-kc-test"));
}

#[test]
fn token_reads_raw_extensions_and_names_the_fix_when_no_cluster_is_passed() {
    let env = TestEnv::new().with_env_keys();
    // What Python kubernetes 32 and 33 pass: the raw cluster with its extension list.
    let info = json!({
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "spec": {"interactive": false, "cluster": {
            "server": "https://x.example",
            "extensions": [
                {"name": "other", "extension": {"clusterName": "wrong"}},
                {"name": "client.authentication.k8s.io/exec",
                 "extension": {"clusterName": "prod", "region": REGION}},
            ]
        }}
    });
    let run = Run::from(
        env.eks_kc(&["token", "-o", "token"])
            .env("KUBERNETES_EXEC_INFO", info.to_string())
            .output()
            .unwrap(),
    );
    let token = run.bare_token();
    assert!(token_url(&token).contains(".eu-west-1."), "{token}");

    // Exec info without a cluster (kubernetes_asyncio, lightkube, kr8s): the fix is named.
    let info = json!({"apiVersion": "client.authentication.k8s.io/v1beta1",
                      "kind": "ExecCredential", "spec": {"interactive": false}});
    let run = Run::from(
        env.eks_kc(&["token"])
            .env("KUBERNETES_EXEC_INFO", info.to_string())
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("passed no cluster") && run.stderr.contains("--exec-style per-context"),
        "{}",
        run.stderr
    );
    // No exec info at all (client-node): the same fix.
    let run = env.run(&["token"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("--exec-style per-context"),
        "{}",
        run.stderr
    );
}

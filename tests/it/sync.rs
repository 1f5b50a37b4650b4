//! `eks-kc sync` against moto (the AWS API) and a fake EKS endpoint, with real kubectl.

use std::fs;
use std::path::Path;

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGIONS: [&str; 3] = ["eu-west-1", "us-east-1", "ap-south-1"];

/// Two profiles against moto: `static` with keys, `assumer` assuming a role through moto STS.
fn moto_env(moto: &Moto) -> TestEnv {
    let env = TestEnv::new();
    env.write_static_profile("static");
    write_profiles(&env, &moto.url(), &moto.url());
    env
}

fn write_profiles(env: &TestEnv, static_endpoint: &str, assumer_endpoint: &str) {
    env.write_aws_config(&format!(
        "[profile static]\nregion = eu-west-1\nendpoint_url = {static_endpoint}\n\n\
         [profile assumer]\nregion = eu-west-1\nendpoint_url = {assumer_endpoint}\n\
         role_arn = arn:aws:iam::123456789012:role/discovery\nsource_profile = static\n"
    ));
}

fn sync_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["sync", "-p", "static", "-p", "assumer"];
    for r in REGIONS {
        args.extend(["-r", r]);
    }
    args.extend(extra);
    args
}

fn contexts(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    doc["contexts"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn discovers_every_profile_and_region_including_paged_listings() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha", "beta"]);
    moto.create_many("us-east-1", "fleet", 120); // two ListClusters pages
    let env = moto_env(&moto);

    let run = env.run(&sync_args(&["-o", "json"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["added"].as_array().unwrap().len(), 2 * 122);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 6);
    assert!(
        targets.iter().all(|t| t["status"] == "listed"),
        "{targets:?}"
    );

    let names = contexts(&env.kubeconfig);
    for profile in ["static", "assumer"] {
        for name in [
            "alpha.eu-west-1",
            "beta.eu-west-1",
            "fleet0000.us-east-1",
            "fleet0119.us-east-1",
        ] {
            let ctx = format!("{name}.{profile}");
            assert!(names.contains(&ctx), "{ctx} missing");
        }
    }
    // The exec extension carries what `eks-kc token` needs; the user is the generic one.
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&env.kubeconfig).unwrap()).unwrap();
    let alpha = doc["clusters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "alpha.eu-west-1.assumer")
        .unwrap();
    let ext = alpha["cluster"]["extensions"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "client.authentication.k8s.io/exec")
        .unwrap();
    assert_eq!(ext["extension"]["clusterName"], "alpha");
    assert_eq!(ext["extension"]["region"], "eu-west-1");
    assert_eq!(ext["extension"]["profile"], "assumer");
    let users = doc["users"].as_sequence().unwrap();
    assert_eq!(users.len(), 1);
    // The absolute path of the eks-kc PATH finds (tests put the binary's directory first), so
    // GUI clients without the shell's PATH find it too.
    assert_eq!(
        users[0]["user"]["exec"]["command"],
        bin().display().to_string().as_str()
    );
    assert_eq!(users[0]["user"]["exec"]["args"][0], "token");
    assert_eq!(users[0]["user"]["exec"]["provideClusterInfo"], true);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &fs::metadata(&env.kubeconfig).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // Syncing again finds the same and writes nothing.
    let before = fs::read(&env.kubeconfig).unwrap();
    let again = env.run(&sync_args(&["-o", "json"]));
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert_eq!(again.json()["unchanged"].as_array().unwrap().len(), 244);
    assert_eq!(fs::read(&env.kubeconfig).unwrap(), before);
}

#[test]
fn a_failing_target_is_reported_and_nothing_of_it_is_pruned() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha", "beta"]);
    moto.create("us-east-1", &["gamma"]);
    let env = moto_env(&moto);
    env.run(&sync_args(&[])).ok();
    let before = contexts(&env.kubeconfig);
    assert_eq!(before.len(), 6);

    // beta is deleted; the assumer profile now points at a closed port.
    moto.delete("eu-west-1", &["beta"]);
    write_profiles(
        &env,
        &moto.url(),
        &format!("http://127.0.0.1:{}", free_port()),
    );
    let run = env.run(&sync_args(&["--prune"]));
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    for region in REGIONS {
        assert!(
            run.stderr.contains(&format!("failed assumer/{region}")),
            "{}",
            run.stderr
        );
    }
    let after = contexts(&env.kubeconfig);
    assert!(!after.contains(&"beta.eu-west-1.static".to_owned()));
    assert!(
        after.contains(&"beta.eu-west-1.assumer".to_owned()),
        "not pruned: target failed"
    );
    assert!(after.contains(&"alpha.eu-west-1.static".to_owned()));
    assert!(after.contains(&"gamma.us-east-1.assumer".to_owned()));
    assert_eq!(after.len(), 5);
}

#[test]
fn prune_removes_exactly_the_deleted_cluster() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha", "beta"]);
    let env = moto_env(&moto);
    env.run(&sync_args(&[])).ok();
    moto.delete("eu-west-1", &["alpha"]);
    let run = env.run(&sync_args(&["--prune", "-o", "json"]));
    run.ok();
    let mut pruned: Vec<String> = run.json()["pruned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    pruned.sort();
    assert_eq!(
        pruned,
        ["alpha.eu-west-1.assumer", "alpha.eu-west-1.static"]
    );
    let mut left = contexts(&env.kubeconfig);
    left.sort();
    assert_eq!(left, ["beta.eu-west-1.assumer", "beta.eu-west-1.static"]);
}

#[test]
fn dry_run_prints_the_change_set_and_writes_nothing() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    let env = moto_env(&moto);
    let original = include_str!("../fixtures/kubeconfig/hand-written.yaml");
    fs::write(&env.kubeconfig, original).unwrap();
    let run = env.run(&sync_args(&["--dry-run"]));
    run.ok();
    assert!(
        run.stdout.contains("+ alpha.eu-west-1.static"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+ alpha.eu-west-1.assumer"),
        "{}",
        run.stdout
    );
    assert_eq!(fs::read_to_string(&env.kubeconfig).unwrap(), original);
    assert!(!env.kubeconfig.with_extension("lock").exists());
}

#[test]
fn foreign_entries_and_the_current_context_survive_a_sync() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    let env = moto_env(&moto);
    let original = include_str!("../fixtures/kubeconfig/hand-written.yaml");
    fs::write(&env.kubeconfig, original).unwrap();
    let before = kubectl_view(&env, &env.kubeconfig);
    env.run(&sync_args(&[])).ok();
    // What kubectl reads of everything eks-kc does not own is unchanged, current-context too.
    let after = kubectl_view(&env, &env.kubeconfig);
    assert_eq!(without_managed(after.clone()), before);
    assert_ne!(after, before);
    let text = fs::read_to_string(&env.kubeconfig).unwrap();
    assert!(text.contains("x-team-notes: keep this key"), "{text}");
    // kubectl still reads the result.
    let run = Run::from(
        env.command("kubectl")
            .args(["config", "get-contexts", "-o", "name"])
            .output()
            .unwrap(),
    );
    assert!(run.ok().stdout.contains("alpha.eu-west-1.static"));
    assert!(run.stdout.contains("onprem-admin"));
}

#[test]
fn a_malformed_kubeconfig_is_an_error_and_left_untouched() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    let env = moto_env(&moto);
    let broken = "apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [unclosed\n";
    fs::write(&env.kubeconfig, broken).unwrap();
    let run = env.run(&sync_args(&[]));
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(&env.kubeconfig.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&env.kubeconfig).unwrap(), broken);
    assert_no_kubeconfig_lock(&env);
}

#[test]
fn a_name_collision_is_reported_not_overwritten() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["kind-local"]);
    let env = moto_env(&moto);
    let original = include_str!("../fixtures/kubeconfig/hand-written.yaml");
    fs::write(&env.kubeconfig, original).unwrap();
    let run = env.run(&["sync", "-p", "static", "--name-template", "{cluster}"]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("conflict kind-local"), "{}", run.stderr);
    let after: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(&env.kubeconfig).unwrap()).unwrap();
    let before: serde_yaml::Value = serde_yaml::from_str(original).unwrap();
    assert_eq!(after["clusters"], before["clusters"]);
    assert_eq!(after["contexts"], before["contexts"]);
}

#[test]
fn sync_and_kubectl_set_context_in_parallel_lose_nothing() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha", "beta"]);
    let env = moto_env(&moto);
    env.run(&["sync", "-p", "static"]).ok();
    let bin = bin().display().to_string();

    let syncs = std::thread::scope(|s| {
        let sync_loop = s.spawn(|| {
            let mut ok = 0;
            for i in 0..12 {
                // Alternate the exec command so every sync really rewrites the file.
                let command = if i % 2 == 0 { "eks-kc" } else { bin.as_str() };
                let run = env.run(&["sync", "-p", "static", "--exec-command", command]);
                assert_eq!(run.code, Some(0), "{}", run.stderr);
                ok += 1;
            }
            ok
        });
        let written = kubectl_set_contexts(&env, 60);
        let syncs = sync_loop.join().unwrap();
        let names = contexts(&env.kubeconfig);
        for w in &written {
            assert!(names.contains(w), "kubectl's {w} was lost");
        }
        syncs
    });
    assert_eq!(syncs, 12);
    let names = contexts(&env.kubeconfig);
    assert!(names.contains(&"alpha.eu-west-1.static".to_owned()));
    assert!(names.contains(&"beta.eu-west-1.static".to_owned()));
    assert_no_kubeconfig_lock(&env);
}

#[test]
fn synced_contexts_work_with_kubectl_end_to_end() {
    let mut env = TestEnv::new();
    let server = ApiServer::start(&env, "prod", "eu-west-1");
    let eks = FakeEks::start(
        &env,
        &json!({
            "eu-west-1": [{"name": "prod", "endpoint": server.url(), "ca": server.ca_data()}]
        }),
    );
    env.write_aws_credentials(&format!(
        "[team]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\nregion = eu-west-1\n"
    ));
    env.write_aws_config("[profile team]\nregion = eu-west-1\n");
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.run(&["sync", "-p", "team"]).ok();

    let run = Run::from(
        env.command("kubectl")
            .args(["--context", "prod.eu-west-1.team", "get", "ns"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("eks-kc-test"), "{}", run.stdout);
    let decisions: Vec<Value> = server.decisions();
    assert!(!decisions.is_empty());
    assert!(decisions.iter().all(|d| d["ok"] == true), "{decisions:?}");
}

#[test]
fn credentials_are_resolved_once_per_profile_across_regions() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    moto.create("us-east-1", &["beta"]);
    let env = TestEnv::new();
    let (script, counter) = env.counting_credential_process();
    env.write_aws_config(&format!(
        "[profile counted]\nregion = eu-west-1\nendpoint_url = {}\ncredential_process = {}\n",
        moto.url(),
        script.display()
    ));
    let mut args = vec!["sync", "-p", "counted"];
    for r in REGIONS {
        args.extend(["-r", r]);
    }
    env.run(&args).ok();
    assert_eq!(
        count_lines(&counter),
        1,
        "one credential resolution for three regions"
    );
    assert_eq!(contexts(&env.kubeconfig).len(), 2);
}

/// Issue 35: the AWS European Sovereign Cloud (aws-eusc) is synced like China and GovCloud, and
/// `--all-regions` stays within the partition of the profile's region.
#[test]
fn every_partition_syncs_and_all_regions_stays_in_its_partition() {
    let moto = Moto::start();
    let partitions = ["cn-north-1", "us-gov-west-1", "eusc-de-east-1"];
    for region in partitions {
        moto.create(region, &["edge"]);
    }
    let env = moto_env(&moto);
    let mut args = vec!["sync", "-p", "static", "-o", "json"];
    for region in partitions {
        args.extend(["-r", region]);
    }
    let run = env.run(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut names = contexts(&env.kubeconfig);
    names.sort();
    assert_eq!(
        names,
        [
            "edge.cn-north-1.static",
            "edge.eusc-de-east-1.static",
            "edge.us-gov-west-1.static"
        ]
    );

    // The profile's region in the sovereign cloud: --all-regions asks its regions only.
    env.write_aws_config(&format!(
        "[profile static]\nregion = eusc-de-east-1\nendpoint_url = {}\n",
        moto.url()
    ));
    let run = env.run(&[
        "sync",
        "-p",
        "static",
        "--all-regions",
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let targets: Vec<String> = run.json()["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["region"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(targets, ["eusc-de-east-1"]);
}

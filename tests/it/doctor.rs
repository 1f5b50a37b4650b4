//! `eks-kc doctor`: one test per verdict, against a fake EKS (access entries), a fake STS
//! (GetCallerIdentity, AssumeRole) and the token-checking API server (SelfSubjectReview), all on
//! 127.0.0.1. The context is written by `eks-kc sync` itself, as a user would have it.

use std::fs;

use crate::fakes::*;
use crate::harness::*;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const CONTEXT: &str = "prod.eu-west-1.team";
const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
const ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// The peers of one scenario; dropped (killed) with it.
struct Setup {
    env: TestEnv,
    _sts: FakeSts,
    _eks: FakeEks,
    api: ApiServer,
}

/// Profile `team` assumes role Admin (through fake STS) with the fixture keys of profile
/// `base`; cluster `prod` is served by the API server (mapping `users`, see
/// `ApiServerBuilder::users`) and described by fake EKS with `spec`'s extra fields; the
/// kubeconfig comes from `eks-kc sync -p team`.
fn setup(spec: Value, users: Value) -> Setup {
    setup_with(spec, users, |_| {})
}

fn setup_with(spec: Value, users: Value, tweak: impl FnOnce(&mut TestEnv)) -> Setup {
    let mut env = TestEnv::new();
    env.write_aws_credentials(&format!(
        "[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
    ));
    env.write_aws_config(&format!(
        "[profile team]\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = alice\n\
         region = {REGION}\n"
    ));
    tweak(&mut env);
    let sts = FakeSts::start(&env);
    env.set("AWS_ENDPOINT_URL_STS", sts.url());
    let api = ApiServer::builder(&env, "prod", REGION)
        .users(&users)
        .start();
    let mut cluster = json!({"name": "prod", "endpoint": api.url(), "ca": api.ca_data()});
    if let (Some(c), Some(extra)) = (cluster.as_object_mut(), spec.as_object()) {
        c.extend(extra.clone());
    }
    let eks = FakeEks::start(&env, &json!({ REGION: [cluster] }));
    env.set("AWS_ENDPOINT_URL_EKS", eks.url());
    env.set("EKS_KC_TIMEOUT", "5s");
    env.run(&["sync", "-p", "team"]).ok();
    Setup {
        env,
        _sts: sts,
        _eks: eks,
        api,
    }
}

fn admin_entry() -> Value {
    json!({"principalArn": ROLE, "policies": [{"policyArn": ADMIN, "accessScope": {"type": "cluster"}}]})
}

fn mapped() -> Value {
    json!({ ROLE: {"username": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
                   "groups": ["system:authenticated"]} })
}

impl Setup {
    /// `eks-kc doctor -o json [args]`: the report, after checking no secret reached stdout.
    fn doctor_json(&self, args: &[&str]) -> (Option<i32>, Value) {
        let run = self.doctor(&[&["-o", "json"], args].concat());
        (run.code, run.json())
    }

    fn doctor(&self, args: &[&str]) -> Run {
        let run = self.env.run(&[&["doctor"], args].concat());
        let keys: Value =
            serde_json::from_str(&fs::read_to_string(self.env.keys_file()).unwrap()).unwrap();
        let mut secrets = vec![
            SECRET.to_owned(),
            "FQoG".to_owned(),
            "k8s-aws-v1.".to_owned(),
            "X-Amz-Signature=".to_owned(),
        ];
        for key in keys.as_object().unwrap().values() {
            for field in ["secret", "session_token"] {
                if let Some(s) = key[field].as_str() {
                    secrets.push(s.to_owned());
                }
            }
        }
        for s in &secrets {
            assert!(
                !run.stdout.contains(s.as_str()),
                "a secret reached stdout:\n{}",
                run.stdout
            );
        }
        run
    }
}

fn statuses(report: &Value) -> Vec<String> {
    report["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap().to_owned())
        .collect()
}

fn commands(report: &Value) -> Vec<String> {
    report["verdict"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_healthy_cluster_is_ok_on_every_link() {
    let s = setup(json!({"accessEntries": [admin_entry()]}), mapped());
    let run = s.doctor(&[]);
    run.ok();
    let out = &run.stdout;
    assert!(out.contains(&format!("context {CONTEXT}")), "{out}");
    assert!(
        out.contains("caller arn:aws:sts::111122223333:assumed-role/Admin/alice"),
        "{out}"
    );
    assert!(
        out.contains(&format!("2 principal     ok               {ROLE}")),
        "{out}"
    );
    assert!(
        out.contains("AmazonEKSClusterAdminPolicy (cluster-wide)"),
        "{out}"
    );
    assert!(out.contains("SelfSubjectReview: username arn:aws:sts::111122223333:assumed-role/Admin/alice, groups system:authenticated"), "{out}");
    assert!(out.contains("verdict: ok"), "{out}");
    // The API server saw a valid token on both requests.
    let decisions = s.api.decisions();
    assert!(decisions.len() >= 2 && decisions.iter().all(|d| d["ok"] == true));
}

#[test]
fn json_is_the_same_report() {
    let s = setup(json!({"accessEntries": [admin_entry()]}), mapped());
    let (code, r) = s.doctor_json(&[CONTEXT]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_eq!(statuses(&r), vec!["ok"; 5], "{r:#}");
    assert_eq!(r["context"], CONTEXT);
    assert_eq!(r["verdict"]["ok"], true);
    assert_eq!(r["facts"]["cluster"], "prod");
    let ids: Vec<&str> = r["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["credentials", "principal", "cluster", "access", "api"]
    );
    assert_eq!(r["links"][1]["summary"], ROLE);
    // The text report says the same things.
    let text = s.doctor(&[CONTEXT]);
    for link in r["links"].as_array().unwrap() {
        assert!(
            text.stdout.contains(link["summary"].as_str().unwrap()),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn no_access_entry_gives_create_and_associate() {
    let s = setup(json!({"authenticationMode": "API"}), json!({}));
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    assert_eq!(
        statuses(&r),
        ["ok", "ok", "ok", "failed", "failed"],
        "{r:#}"
    );
    assert_eq!(r["verdict"]["failedLink"], "access");
    assert_eq!(
        commands(&r),
        [
            format!(
                "aws eks create-access-entry --cluster-name prod --region {REGION} \
                 --principal-arn {ROLE}"
            ),
            format!(
                "aws eks associate-access-policy --cluster-name prod --region {REGION} \
                 --principal-arn {ROLE} --policy-arn {ADMIN} --access-scope type=cluster"
            ),
        ]
    );
    let api = r["links"][4]["summary"].as_str().unwrap();
    assert!(api.contains("HTTP 401 Unauthorized"), "{api}");
    // Text: the fix is printed as commands to run.
    let text = s.doctor(&[]);
    assert_eq!(text.code, Some(1));
    assert!(
        text.stdout.contains("fix:\n  aws eks create-access-entry"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_entry_without_a_policy_needs_one_associated() {
    let s = setup(json!({"accessEntries": [{"principalArn": ROLE}]}), mapped());
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    // It authenticates (whoami works), but is allowed nothing.
    assert_eq!(statuses(&r), ["ok", "ok", "ok", "failed", "ok"], "{r:#}");
    assert_eq!(r["verdict"]["failedLink"], "access");
    assert_eq!(
        commands(&r),
        [format!(
            "aws eks associate-access-policy --cluster-name prod --region {REGION} \
             --principal-arn {ROLE} --policy-arn {ADMIN} --access-scope type=cluster"
        )]
    );
}

#[test]
fn a_namespace_scoped_policy_passes_and_says_where_it_stops() {
    let entry = json!({"principalArn": ROLE, "kubernetesGroups": [], "policies": [{
        "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
        "accessScope": {"type": "namespace", "namespaces": ["team-a", "team-b"]}}]});
    let s = setup(json!({"accessEntries": [entry]}), mapped());
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(0), "{r:#}");
    let access = r["links"][3]["summary"].as_str().unwrap();
    assert!(
        access.contains("AmazonEKSEditPolicy (namespaces team-a, team-b)"),
        "{access}"
    );
    let note = r["verdict"]["notes"][0].as_str().unwrap();
    assert!(
        note.contains("limited to the namespaces team-a, team-b"),
        "{note}"
    );
    assert!(note.contains("--access-scope type=cluster"), "{note}");
    assert_eq!(
        r["facts"]["access"]["Ok"]["policies"]["Ok"][0]["scope"]["type"],
        "namespace"
    );
}

#[test]
fn config_map_mode_gives_the_aws_auth_mapping() {
    let s = setup(json!({"authenticationMode": "CONFIG_MAP"}), json!({}));
    let run = s.doctor(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let out = &run.stdout;
    assert!(out.contains("4 access entry  skipped"), "{out}");
    assert!(out.contains("authentication mode CONFIG_MAP"), "{out}");
    assert!(out.contains("verdict: API server failed"), "{out}");
    assert!(
        out.contains(&format!(
            "aws-auth mapping to add (data of kube-system/aws-auth):\n  mapRoles: |\n    - rolearn: {ROLE}\n      username: Admin:{{{{SessionName}}}}\n      groups:\n        - system:masters\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("kubectl edit -n kube-system configmap/aws-auth"),
        "{out}"
    );
}

#[test]
fn an_unreachable_private_endpoint_is_named() {
    let closed = format!("https://127.0.0.1:{}", free_port());
    let s = setup(
        json!({"endpoint": closed, "endpointPublicAccess": false, "endpointPrivateAccess": true,
               "accessEntries": [admin_entry()]}),
        mapped(),
    );
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    assert_eq!(statuses(&r), ["ok", "ok", "ok", "ok", "failed"], "{r:#}");
    let api = r["links"][4]["summary"].as_str().unwrap();
    assert!(api.contains("connection refused"), "{api}");
    let verdict = r["verdict"]["summary"].as_str().unwrap();
    assert!(verdict.contains("private only"), "{verdict}");
    assert!(
        commands(&r)[0].contains("--resources-vpc-config endpointPublicAccess=true"),
        "{r:#}"
    );
}

#[test]
fn a_token_sent_to_another_cluster_is_caught() {
    let s = setup(json!({"accessEntries": [admin_entry()]}), mapped());
    // The context's server is now another cluster's ('staging'), which rejects prod's token.
    let staging = ApiServer::builder(&s.env, "staging", REGION)
        .users(&mapped())
        .start();
    let text = fs::read_to_string(&s.env.kubeconfig).unwrap();
    fs::write(
        &s.env.kubeconfig,
        text.replace(&s.api.url(), &staging.url())
            .replace(&s.api.ca_data(), &staging.ca_data()),
    )
    .unwrap();
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    assert_eq!(r["verdict"]["failedLink"], "api", "{r:#}");
    let verdict = r["verdict"]["summary"].as_str().unwrap();
    assert!(
        verdict.contains("the token is for cluster 'prod'"),
        "{verdict}"
    );
    assert!(verdict.contains(&staging.url()), "{verdict}");
    assert_eq!(
        commands(&r),
        [format!("eks-kc sync --region {REGION} --profile team")]
    );
    // The staging server did reject it for its signature (the cluster name is signed).
    assert!(
        staging.decisions()[0]["reason"]
            .as_str()
            .unwrap()
            .contains("signature mismatch")
    );
}

#[test]
fn expired_credentials_fail_the_first_link() {
    const EXPIRED: &str = "ASIAEKSKCEXPIRED0001";
    let s = setup_with(json!({"accessEntries": [admin_entry()]}), mapped(), |env| {
        // Session keys pasted into the credentials file, since expired.
        env.write_aws_credentials(&format!(
            "[team]\naws_access_key_id = {EXPIRED}\naws_secret_access_key = {SECRET}\n\
                 aws_session_token = FQoGexpiredsessiontoken\n"
        ));
        env.write_aws_config(&format!("[profile team]\nregion = {REGION}\n"));
        fs::write(
            env.keys_file(),
            json!({EXPIRED: {"secret": SECRET, "session_token": "FQoGexpiredsessiontoken",
                                 "arn": "arn:aws:iam::111122223333:user/alice", "expired": true}})
            .to_string(),
        )
        .unwrap();
    });
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    assert_eq!(r["links"][0]["status"], "failed", "{r:#}");
    assert_eq!(r["verdict"]["failedLink"], "credentials");
    let evidence = r["links"][0]["evidence"].to_string();
    assert!(evidence.contains("ExpiredToken"), "{evidence}");
    assert!(
        evidence.contains(EXPIRED),
        "the key id is evidence: {evidence}"
    );
    assert_eq!(
        commands(&r),
        [format!("eks-kc cache clear --context {CONTEXT}")]
    );
    // The cluster also refused the token signed with them.
    assert_eq!(r["links"][4]["status"], "failed");
}

#[test]
fn denied_diagnostic_calls_are_could_not_check_not_failures() {
    // (DescribeCluster stays allowed: sync needs it to write the context.)
    let deny = json!([
        "ListAccessEntries",
        "DescribeAccessEntry",
        "ListAssociatedAccessPolicies"
    ]);
    let s = setup(
        json!({"accessEntries": [admin_entry()], "deny": deny}),
        mapped(),
    );
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(0), "{r:#}");
    assert_eq!(
        statuses(&r),
        ["ok", "ok", "ok", "could-not-check", "ok"],
        "{r:#}"
    );
    assert_eq!(r["verdict"]["couldNotCheck"], json!(["access"]));
    let evidence = r["links"][3]["evidence"].to_string();
    assert!(evidence.contains("AccessDeniedException"), "{evidence}");
    let text = s.doctor(&[]);
    text.ok();
    assert!(
        text.stdout.contains("4 access entry  could not check"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("not checked: access"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_unmanaged_or_unknown_context_is_an_error() {
    let s = setup(json!({"accessEntries": [admin_entry()]}), mapped());
    let run = s.doctor(&["nope"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("no context 'nope'"), "{}", run.stderr);
}

#[test]
fn a_certificate_authority_that_does_not_match_is_a_tls_failure() {
    let s = setup(json!({"accessEntries": [admin_entry()]}), mapped());
    // The kubeconfig trusts another cluster's CA.
    let other = ApiServer::start(&s.env, "staging", REGION);
    let text = fs::read_to_string(&s.env.kubeconfig).unwrap();
    fs::write(
        &s.env.kubeconfig,
        text.replace(&s.api.ca_data(), &other.ca_data()),
    )
    .unwrap();
    let (code, r) = s.doctor_json(&[]);
    assert_eq!(code, Some(1), "{r:#}");
    let api = r["links"][4]["summary"].as_str().unwrap();
    assert!(api.contains("TLS failure"), "{api}");
    assert_eq!(
        r["facts"]["api"]["Ok"]["version"]["Err"]["kind"], "tls",
        "{r:#}"
    );
    assert!(
        r["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("certificate-authority-data"),
        "{r:#}"
    );
    // The token never reached the server: no TLS session was made.
    assert!(s.api.decisions().is_empty());
}

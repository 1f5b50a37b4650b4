//! Corporate networks: every AWS call through an HTTPS proxy (`HTTPS_PROXY`) that inspects TLS
//! with a private CA, trusted through `AWS_CA_BUNDLE` or a profile's `ca_bundle`; and FIPS
//! endpoints, whose tokens name `sts-fips.<region>.amazonaws.com` (which the EKS authenticator
//! accepts, like the token-checking API server here).

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::fakes::*;
use crate::harness::*;
use serde_json::json;

/// The only host name the tests' AWS endpoints use: it resolves nowhere, so a call that does
/// not go through the proxy cannot connect at all.
const HOST: &str = "aws.eks-kc.test";

/// tests/support/tls_proxy.py in front of moto.
struct Proxy {
    child: Child,
    port: u16,
    ca: PathBuf,
    log: PathBuf,
}

impl Proxy {
    fn start(env: &TestEnv, upstream: &str) -> Proxy {
        let dir = env.path("proxy");
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("connects.log");
        let mut child = Command::new("python3")
            .arg(support("tls_proxy.py"))
            .args(["--upstream", upstream, "--names", HOST])
            .arg("--dir")
            .arg(&dir)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tls_proxy.py starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("tls_proxy.py did not start: {line:?}"));
        Proxy {
            child,
            port,
            ca: dir.join("ca.crt"),
            log,
        }
    }

    /// How many CONNECTs reached the proxy.
    fn connects(&self) -> usize {
        fs::read_to_string(&self.log)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Profiles `static` and `assumer` with `extra` in both.
fn write_profiles(env: &TestEnv, extra: &str) {
    env.write_aws_config(&format!(
        "[profile static]\nregion = eu-west-1\n{extra}\n\n\
         [profile assumer]\nregion = eu-west-1\n{extra}\n\
         role_arn = arn:aws:iam::123456789012:role/discovery\nsource_profile = static\n"
    ));
}

/// Profile `static` (keys) and `assumer` (a role assumed through STS, so the token needs an
/// AWS call), every endpoint behind the proxy; `extra` goes into both profiles.
fn corporate_env(moto: &Moto, extra: &str) -> (TestEnv, Proxy) {
    let mut env = TestEnv::new();
    let proxy = Proxy::start(&env, &moto.url());
    env.write_static_profile("static");
    write_profiles(&env, extra);
    env.set("AWS_ENDPOINT_URL", format!("https://{HOST}"));
    env.set("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port));
    (env, proxy)
}

/// `eks-kc token` for cluster alpha as profile `assumer` (a role assumed through STS).
fn assumer_token(env: &TestEnv) -> Run {
    env.run(&[
        "token",
        "--cluster-name",
        "alpha",
        "--region",
        "eu-west-1",
        "--profile",
        "assumer",
    ])
}

#[test]
fn sync_and_token_go_through_the_proxy_trusting_aws_ca_bundle() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    let (mut env, proxy) = corporate_env(&moto, "");
    env.set("AWS_CA_BUNDLE", proxy.ca.to_str().unwrap());

    let run = env.run(&["sync", "-p", "assumer", "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        fs::read_to_string(&env.kubeconfig)
            .unwrap()
            .contains("alpha"),
        "{}",
        run.stderr
    );
    let after_sync = proxy.connects();
    assert!(after_sync > 0, "sync did not use the proxy");
    // Sync cached the role's credentials: without them the token must assume the role itself.
    env.run(&["cache", "clear"]).ok();

    let run = assumer_token(&env);
    run.ok();
    assert!(run.token().starts_with("k8s-aws-v1."));
    assert!(
        proxy.connects() > after_sync,
        "the token's AssumeRole did not use the proxy"
    );
}

#[test]
fn without_the_ca_bundle_the_inspecting_proxy_is_refused() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    let (env, proxy) = corporate_env(&moto, "");

    let run = env.run(&["sync", "-p", "assumer", "-r", "eu-west-1"]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(
        proxy.connects() > 0,
        "the calls did not go through the proxy"
    );
    assert!(
        !fs::read_to_string(&env.kubeconfig)
            .unwrap_or_default()
            .contains("alpha")
    );
    let run = assumer_token(&env);
    assert_ne!(run.code, Some(0));
    assert!(run.stdout.is_empty());
    // One line, which names the certificate problem and the setting that fixes it.
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("UnknownIssuer") && run.stderr.contains("AWS_CA_BUNDLE"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_profile_s_ca_bundle_is_trusted_like_aws_ca_bundle() {
    let moto = Moto::start();
    moto.create("eu-west-1", &["alpha"]);
    // The bundle's path is only known once the proxy made it: start it, then write the profile.
    let (env, proxy) = corporate_env(&moto, "");
    let extra = format!("ca_bundle = {}", proxy.ca.display());
    write_profiles(&env, &extra);
    let run = env.run(&["sync", "-p", "assumer", "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = assumer_token(&env);
    run.ok();
}

#[test]
fn an_unreadable_ca_bundle_is_an_error_naming_it() {
    let moto = Moto::start();
    let (mut env, _proxy) = corporate_env(&moto, "");
    let bogus = env.path("not-a-bundle.pem");
    fs::write(&bogus, "this is not PEM\n").unwrap();
    env.set("AWS_CA_BUNDLE", bogus.to_str().unwrap());
    let run = assumer_token(&env);
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("not-a-bundle.pem") && run.stderr.contains("AWS_CA_BUNDLE"),
        "{}",
        run.stderr
    );
}

#[test]
fn fips_tokens_name_the_fips_sts_host_and_the_api_server_accepts_them() {
    for (how, extra) in [("environment", ""), ("profile", "use_fips_endpoint = true")] {
        let mut env = TestEnv::new();
        env.write_static_profile("static");
        env.write_aws_config(&format!("[profile static]\nregion = us-east-1\n{extra}\n"));
        if how == "environment" {
            env.set("AWS_USE_FIPS_ENDPOINT", "true");
        }
        let run = env.run(&[
            "token",
            "--cluster-name",
            "fips",
            "--region",
            "us-east-1",
            "--profile",
            "static",
            "--output",
            "token",
        ]);
        run.ok();
        let token = run.bare_token();
        let url = token_url(&token);
        assert!(
            url.starts_with("https://sts-fips.us-east-1.amazonaws.com/?"),
            "{how}: {url}"
        );
        // The independent verifier checks host, query and botocore's signature, as EKS would.
        assert_tokens_accepted("fips", "us-east-1", &env.keys_file(), &[token]);
    }
}

#[test]
fn iam_identity_center_discovery_goes_through_the_proxy_too() {
    let mut env = TestEnv::new();
    let world = json!({"accounts": [
        {"id": "111122223333", "name": "prod", "roles": ["ReadOnly"],
         "clusters": {"eu-west-1": ["a"]}},
    ]});
    let sso = FakeSso::builder(&env, world).token(SSO_TOKEN).start();
    env.sso_logged_in(&sso);
    let proxy = Proxy::start(&env, &sso.url());
    for var in [
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "AWS_ENDPOINT_URL_EKS",
    ] {
        env.set(var, format!("https://{HOST}"));
    }
    env.set("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port));
    env.set("AWS_CA_BUNDLE", proxy.ca.to_str().unwrap());
    let run = env.run(&["sync", "--sso-session", SSO_SESSION, "-r", "eu-west-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        fs::read_to_string(&env.kubeconfig)
            .unwrap()
            .contains("111122223333"),
        "{}",
        run.stderr
    );
    assert!(
        proxy.connects() >= 1,
        "the portal and EKS calls went around the proxy"
    );
}

use super::*;

fn stanza(command: &str, args: &[&str], env: &[(&str, &str)]) -> Stanza {
    Stanza {
        command: command.to_owned(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

const THE_CLI_ARGS: [&str; 8] = [
    "--region",
    "eu-west-1",
    "eks",
    "get-token",
    "--cluster-name",
    "prod",
    "--output",
    "json",
];

#[test]
fn the_aws_cli_stanza_of_update_kubeconfig() {
    // What `aws eks update-kubeconfig --name prod --role-arn R --profile ops` writes.
    // Regression: its `--role R` (not `--role-arn`) was dropped, so adopt and doctor signed
    // without the role.
    let mut args = THE_CLI_ARGS.to_vec();
    args.extend(["--role", "arn:aws:iam::111122223333:role/Admin"]);
    let id = identify(&stanza("aws", &args, &[("AWS_PROFILE", "ops")]), None, None).unwrap();
    assert_eq!(
        id.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/Admin")
    );
    // Written by hand, the full flag name.
    let s = stanza(
        "aws",
        &[
            "--region",
            "eu-west-1",
            "eks",
            "get-token",
            "--cluster-name",
            "prod",
            "--output",
            "json",
            "--role-arn",
            "arn:aws:iam::111122223333:role/Admin",
        ],
        &[("AWS_PROFILE", "ops")],
    );
    let id = identify(&s, None, None).unwrap();
    assert_eq!(id.writer, Writer::AwsCli);
    assert_eq!(id.cluster_name, "prod");
    assert_eq!(id.region.as_deref(), Some("eu-west-1"));
    assert_eq!(id.profile.as_deref(), Some("ops"));
    assert_eq!(
        id.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/Admin")
    );
    assert!(id.command_line.starts_with("AWS_PROFILE=ops aws --region"));
    // --cluster-id (EKS on Outposts), =-joined flags, region from the env.
    let s = stanza(
        "/usr/local/bin/aws",
        &["eks", "get-token", "--cluster-id=abc-123", "--profile=p"],
        &[("AWS_DEFAULT_REGION", "us-west-2")],
    );
    let id = identify(&s, None, None).unwrap();
    assert_eq!(
        (
            id.cluster_name.as_str(),
            id.region.as_deref(),
            id.profile.as_deref()
        ),
        ("abc-123", Some("us-west-2"), Some("p"))
    );
    // No region anywhere: the profile's, later.
    let s = stanza("aws", &["eks", "get-token", "--cluster-name", "x"], &[]);
    assert_eq!(identify(&s, None, None).unwrap().region, None);
}

#[test]
fn aws_iam_authenticator_takes_the_region_from_the_server() {
    let s = stanza(
        "aws-iam-authenticator",
        &["token", "-i", "prod", "-r", "arn:aws:iam::1:role/R"],
        &[],
    );
    let server = "https://ABCDEF.gr7.ap-southeast-2.eks.amazonaws.com";
    let id = identify(&s, None, Some(server)).unwrap();
    assert_eq!(id.writer, Writer::AwsIamAuthenticator);
    assert_eq!(id.cluster_name, "prod");
    assert_eq!(id.region.as_deref(), Some("ap-southeast-2"));
    assert_eq!(id.role_arn.as_deref(), Some("arn:aws:iam::1:role/R"));
    // Flags and env beat the host name.
    let s = stanza(
        "aws-iam-authenticator",
        &["token", "--cluster-id", "prod", "--region", "eu-west-1"],
        &[("AWS_PROFILE", "x")],
    );
    let id = identify(&s, None, Some(server)).unwrap();
    assert_eq!(id.region.as_deref(), Some("eu-west-1"));
    assert_eq!(id.profile.as_deref(), Some("x"));
    assert_eq!(region_of_server("https://127.0.0.1:6443"), None);
    assert_eq!(
        region_of_server("https://x.yl4.cn-north-1.eks.amazonaws.com.cn/"),
        Some("cn-north-1".into())
    );
    // The sovereign cloud's endpoints (issue 35); a suffix of another partition is no EKS host.
    assert_eq!(
        region_of_server("https://x.gr7.eusc-de-east-1.eks.amazonaws.eu"),
        Some("eusc-de-east-1".into())
    );
    assert_eq!(
        region_of_server("https://x.gr7.eu-west-1.eks.amazonaws.eu"),
        None
    );
    assert_eq!(
        region_of_server("https://x.gr7.eu-west-1.eks.evil.example"),
        None
    );
}

#[test]
fn eks_kc_stanzas_with_or_without_the_extension() {
    let ext = ClusterConfig {
        cluster_name: Some("c".into()),
        region: Some("eu-west-1".into()),
        profile: Some("p".into()),
        ..Default::default()
    };
    let shared = stanza("eks-kc", &["token"], &[]);
    let id = identify(&shared, Some(&ext), None).unwrap();
    assert_eq!(id.writer, Writer::EksKc);
    assert_eq!(id.cluster_name, "c");
    assert_eq!(id.profile.as_deref(), Some("p"));
    let err = identify(&shared, None, None).unwrap_err();
    assert!(err.contains("names no cluster"), "{err}");
    let per = stanza(
        "/opt/bin/eks-kc",
        &["token", "--cluster-name", "d", "--region", "us-east-1"],
        &[],
    );
    let id = identify(&per, Some(&ext), None).unwrap();
    assert_eq!(
        (id.cluster_name.as_str(), id.region.as_deref()),
        ("d", Some("us-east-1"))
    );
}

#[test]
fn anything_else_names_the_command_and_why() {
    for s in [
        stanza("gke-gcloud-auth-plugin", &[], &[]),
        stanza("aws", &["sts", "get-caller-identity"], &[]),
        stanza("kubelogin", &["get-token", "--server-id", "x"], &[]),
    ] {
        let err = identify(&s, None, None).unwrap_err();
        assert!(err.contains(&format!("`{}", s.command)), "{err}");
        assert!(err.contains("not an EKS token command"), "{err}");
    }
    let err = identify(&stanza("aws", &["eks", "get-token"], &[]), None, None).unwrap_err();
    assert!(err.contains("names no cluster"), "{err}");
}

#[test]
fn the_aws_cli_names_its_role_sessions_and_eks_kc_follows() {
    // Regression (issue 32): an adopted context with --role signed as session eks-kc-USER,
    // the AWS CLI as EKSGetTokenAuth: another username on the cluster.
    let mut args = THE_CLI_ARGS.to_vec();
    args.extend(["--role", "arn:aws:iam::111122223333:role/Admin"]);
    let id = identify(&stanza("aws", &args, &[]), None, None).unwrap();
    assert_eq!(id.role_session_name.as_deref(), Some("EKSGetTokenAuth"));
    assert_eq!(
        id.adopted_config().role_session_name.as_deref(),
        Some("EKSGetTokenAuth")
    );
    let id = identify(&stanza("aws", &THE_CLI_ARGS, &[]), None, None).unwrap();
    assert_eq!(id.role_session_name, None);
    let s = stanza(
        "aws-iam-authenticator",
        &[
            "token",
            "-i",
            "prod",
            "-r",
            "arn:aws:iam::1:role/R",
            "-s",
            "me",
        ],
        &[],
    );
    let id = identify(&s, None, None).unwrap();
    assert_eq!(id.role_session_name.as_deref(), Some("me"));
    carry_check(&s, &id).unwrap();
}

#[test]
fn carry_check_takes_only_what_eks_kc_reads_the_same_way() {
    let env = [
        ("AWS_PROFILE", "p"),
        ("AWS_CONFIG_FILE", "/c"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("HTTPS_PROXY", "http://proxy:3128"),
    ];
    let mut args = THE_CLI_ARGS.to_vec();
    args.extend(["--debug", "--no-cli-pager", "--color", "off", "--query=x"]);
    let s = stanza("aws", &args, &env);
    let id = identify(&s, None, None).unwrap();
    carry_check(&s, &id).unwrap();
    // The env's AWS_PROFILE becomes eks-kc's profile, and leaves the env.
    assert!(id.profile_from_env && id.adopted_config().profile.as_deref() == Some("p"));
    assert!(!id.adopted_env_keeps("AWS_PROFILE") && id.adopted_env_keeps("AWS_CONFIG_FILE"));
    assert!(id.env_chooses_signer());
    for (s, needle) in [
        (stanza("aws", &THE_CLI_ARGS, &[("PATH", "/x")]), "sets PATH"),
        (
            stanza("aws", &THE_CLI_ARGS, &[("AWS_DEFAULT_PROFILE", "p")]),
            "sets AWS_DEFAULT_PROFILE",
        ),
        (
            stanza(
                "aws-iam-authenticator",
                &["token", "-i", "prod", "--forward-session-name"],
                &[],
            ),
            "`--forward-session-name`",
        ),
        (
            stanza(
                "aws-iam-authenticator",
                &["token", "-i", "prod"],
                &[("DEFAULT_ROLE", "arn:aws:iam::1:role/R")],
            ),
            "sets DEFAULT_ROLE",
        ),
    ] {
        let id = identify(&s, None, None).unwrap();
        let err = carry_check(&s, &id).unwrap_err();
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("  "), "{err}");
    }
    // A profile flag: AWS_DEFAULT_PROFILE changes nothing, and the profile is a flag.
    let mut args = THE_CLI_ARGS.to_vec();
    args.extend(["--profile", "p"]);
    let s = stanza("aws", &args, &[("AWS_DEFAULT_PROFILE", "q")]);
    let id = identify(&s, None, None).unwrap();
    carry_check(&s, &id).unwrap();
    assert_eq!(id.adopted_config().profile.as_deref(), Some("p"));
}

#[test]
fn command_lines_hide_secret_values() {
    let s = stanza(
        "aws",
        &THE_CLI_ARGS,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "the-secret"),
            ("AWS_SESSION_TOKEN", "the-session"),
        ],
    );
    let line = command_line(&s);
    assert!(
        line.starts_with(
            "AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=*** AWS_SESSION_TOKEN=*** aws"
        ),
        "{line}"
    );
}

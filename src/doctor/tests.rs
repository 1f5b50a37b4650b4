use chrono::TimeZone;

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Admin/eks-kc";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn problem(code: &str, message: &str) -> Problem {
    Problem::new(Some(code), message)
}

fn healthy() -> Facts {
    Facts {
        plugin_policy: None,
        cluster_id: None,
        context: "prod.eu-west-1.team".into(),
        command: "eks-kc token".into(),
        cluster: "prod".into(),
        region: "eu-west-1".into(),
        profile: Some("team".into()),
        role_arn: None,
        server: Some("https://abc.gr7.eu-west-1.eks.amazonaws.com".into()),
        uses_sso: false,
        sso_login: None,
        sign_in: None,
        credentials: Ok(Credentials {
            source: "profile 'team'".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            temporary: true,
            expiry: Some(now() + chrono::Duration::minutes(50)),
        }),
        caller: Ok(Caller {
            arn: SESSION.into(),
            account: Some("111122223333".into()),
        }),
        cluster_info: Ok(Cluster {
            status: Some("ACTIVE".into()),
            version: Some("1.32".into()),
            endpoint: Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com/".into()),
            public_access: Some(true),
            private_access: Some(false),
            public_access_cidrs: vec!["0.0.0.0/0".into()],
            authentication_mode: Some(AuthenticationMode::ApiAndConfigMap),
        }),
        access: Ok(Access {
            principals: Ok(vec![ROLE.into()]),
            entry: Ok(Some(Entry {
                principal_arn: ROLE.into(),
                kind: Some("STANDARD".into()),
                username: Some(SESSION.into()),
                kubernetes_groups: vec![],
            })),
            policies: Ok(vec![Policy {
                policy_arn: ADMIN_POLICY.into(),
                scope: Scope::Cluster,
            }]),
        }),
        token: Ok(()),
        api: Ok(Api {
            version: Ok("v1.32.0-eks".into()),
            review: Some(Ok(UserInfo {
                username: SESSION.into(),
                groups: vec!["system:authenticated".into()],
                arn: Some(ROLE.into()),
            })),
        }),
    }
}

fn statuses(r: &Report) -> Vec<Status> {
    r.links.iter().map(|l| l.status).collect()
}

fn unauthorized() -> Result<Api, NotRun> {
    let h = Http::Answered {
        status: 401,
        message: "Unauthorized".into(),
    };
    Ok(Api {
        version: Err(h.clone()),
        review: Some(Err(h)),
    })
}

#[test]
fn a_healthy_chain_is_all_ok() {
    let r = diagnose(&healthy(), now());
    assert_eq!(statuses(&r), vec![Status::Ok; 5]);
    assert!(r.verdict.ok);
    assert!(r.verdict.commands.is_empty());
    assert_eq!(r.links[1].summary, ROLE);
}

#[test]
fn no_entry_in_api_mode_names_both_commands() {
    let mut f = healthy();
    if let Ok(c) = &mut f.cluster_info {
        c.authentication_mode = Some(AuthenticationMode::Api);
    }
    f.access = Ok(Access {
        principals: Ok(vec!["arn:aws:iam::111122223333:role/team/Admin".into()]),
        entry: Ok(None),
        policies: Ok(vec![]),
    });
    f.api = unauthorized();
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("access"));
    assert_eq!(
        r.verdict.commands,
        vec![
            format!(
                "aws eks create-access-entry --cluster-name prod --region eu-west-1 \
                 --principal-arn {ROLE}"
            ),
            format!(
                "aws eks associate-access-policy --cluster-name prod --region eu-west-1 \
                 --principal-arn {ROLE} --policy-arn {ADMIN_POLICY} --access-scope type=cluster"
            ),
        ]
    );
    // The entry under a path is pointed out.
    assert!(
        r.links[3].evidence[0].contains("role/team/Admin"),
        "{:?}",
        r.links[3]
    );
}

#[test]
fn no_entry_but_mapped_by_aws_auth_is_ok() {
    let mut f = healthy();
    f.access = Ok(Access {
        principals: Ok(vec![]),
        entry: Ok(None),
        policies: Ok(vec![]),
    });
    let r = diagnose(&f, now());
    assert!(r.verdict.ok, "{r:#?}");
    assert!(r.links[3].summary.contains("aws-auth"));
}

#[test]
fn an_entry_without_policy_or_group_fails_with_the_associate_command() {
    let mut f = healthy();
    if let Ok(a) = &mut f.access {
        a.policies = Ok(vec![]);
    }
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("access"));
    assert_eq!(r.verdict.commands.len(), 1);
    assert!(r.verdict.commands[0].starts_with("aws eks associate-access-policy"));
}

#[test]
fn namespace_scoped_policies_pass_with_a_note() {
    let mut f = healthy();
    if let Ok(a) = &mut f.access {
        a.policies = Ok(vec![Policy {
            policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy".into(),
            scope: Scope::Namespace(vec!["team-a".into(), "team-b".into()]),
        }]);
    }
    let r = diagnose(&f, now());
    assert!(r.verdict.ok);
    assert!(r.links[3].summary.contains("namespaces team-a, team-b"));
    assert!(r.verdict.notes[0].contains("--access-scope type=cluster"));
}

#[test]
fn config_map_mode_gives_the_aws_auth_mapping() {
    let mut f = healthy();
    if let Ok(c) = &mut f.cluster_info {
        c.authentication_mode = Some(AuthenticationMode::ConfigMap);
    }
    f.access = Err("not used".into());
    f.api = unauthorized();
    let r = diagnose(&f, now());
    assert_eq!(r.links[3].status, Status::Skipped);
    assert_eq!(r.verdict.failed_link, Some("api"));
    let snippet = r.verdict.snippet.unwrap();
    assert!(snippet.contains(&format!("rolearn: {ROLE}")), "{snippet}");
    assert!(snippet.contains("Admin:{{SessionName}}"), "{snippet}");
    assert!(snippet.contains("system:masters"));
}

#[test]
fn a_config_map_cluster_is_also_recognised_from_the_access_api() {
    let mut f = healthy();
    f.cluster_info = Err(Ok(problem("AccessDeniedException", "no")));
    let p = problem(
        "InvalidRequestException",
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP]",
    );
    f.access = Ok(Access {
        principals: Err(p.clone()),
        entry: Err(p),
        policies: Ok(vec![]),
    });
    let r = diagnose(&f, now());
    assert_eq!(r.links[2].status, Status::CouldNotCheck);
    assert_eq!(r.links[3].status, Status::Skipped);
}

#[test]
fn users_are_mapped_with_map_users() {
    let s = aws_auth_snippet("arn:aws:iam::1:user/ops/alice", None);
    assert!(s.starts_with("mapUsers: |\n  - userarn: arn:aws:iam::1:user/ops/alice\n"));
    assert!(s.contains("username: alice"));
}

#[test]
fn unreachable_private_endpoint_says_so() {
    let mut f = healthy();
    if let Ok(c) = &mut f.cluster_info {
        c.public_access = Some(false);
        c.private_access = Some(true);
    }
    f.api = Ok(Api {
        version: Err(Http::Unreachable {
            kind: NetKind::Timeout,
            message: "connect timed out".into(),
        }),
        review: None,
    });
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("api"));
    assert!(
        r.verdict.summary.contains("private only"),
        "{}",
        r.verdict.summary
    );
    assert!(r.links[4].summary.contains("timeout"));
}

#[test]
fn a_401_from_another_clusters_server_is_the_wrong_cluster() {
    let mut f = healthy();
    f.server = Some("https://other.example".into());
    f.api = unauthorized();
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("api"));
    assert!(
        r.verdict.summary.contains("not that cluster"),
        "{}",
        r.verdict.summary
    );
    assert_eq!(
        r.verdict.commands,
        vec!["eks-kc sync --region eu-west-1 --profile team"]
    );
}

#[test]
fn an_identity_center_context_signs_in_with_its_session() {
    let mut f = healthy();
    f.uses_sso = true;
    f.profile = None;
    f.sso_login = Some("eks-kc login --sso-session corp".into());
    f.credentials = Err("the IAM Identity Center login (--sso-session corp) has expired".into());
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("credentials"));
    assert_eq!(r.verdict.commands, vec!["eks-kc login --sso-session corp"]);
}

#[test]
fn the_credentials_link_shows_the_session_name_the_cluster_sees() {
    let r = diagnose(&healthy(), now());
    assert!(
        r.links[0]
            .evidence
            .iter()
            .any(|e| e.starts_with("role session name eks-kc: what the cluster")),
        "{:?}",
        r.links[0].evidence
    );
}

#[test]
fn an_aws_login_context_signs_in_with_aws_login() {
    let mut f = healthy();
    f.sign_in = Some("aws login --profile console".into());
    f.credentials = Err("its `aws login` session has expired".into());
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("credentials"));
    assert_eq!(r.verdict.commands, vec!["aws login --profile console"]);
    // Credentials STS calls expired: sign in again, then drop the old tokens.
    let mut f = healthy();
    f.sign_in = Some("aws login --profile console".into());
    f.caller = Err(Ok(problem(
        "ExpiredToken",
        "The security token included in the request is expired",
    )));
    assert_eq!(
        diagnose(&f, now()).verdict.commands,
        vec![
            "aws login --profile console",
            "eks-kc cache clear --context prod.eu-west-1.team"
        ]
    );
}

#[test]
fn expired_credentials_fail_the_first_link() {
    let mut f = healthy();
    f.uses_sso = true;
    f.caller = Err(Ok(problem(
        "ExpiredToken",
        "The security token included in the request is expired",
    )));
    f.api = unauthorized();
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("credentials"));
    assert_eq!(
        r.verdict.commands,
        vec![
            "aws sso login --profile team",
            "eks-kc cache clear --context prod.eu-west-1.team"
        ]
    );
    // An expiry in the past is caught without asking STS.
    let mut f = healthy();
    if let Ok(c) = &mut f.credentials {
        c.expiry = Some(now() - chrono::Duration::minutes(1));
    }
    assert_eq!(diagnose(&f, now()).verdict.failed_link, Some("credentials"));
}

#[test]
fn denied_diagnostic_calls_are_not_failures() {
    let mut f = healthy();
    let denied = problem(
        "AccessDeniedException",
        "not authorized to perform: eks:ListAccessEntries",
    );
    f.access = Ok(Access {
        principals: Err(denied.clone()),
        entry: Err(denied),
        policies: Ok(vec![]),
    });
    let r = diagnose(&f, now());
    assert!(r.verdict.ok);
    assert_eq!(r.links[3].status, Status::CouldNotCheck);
    assert_eq!(r.verdict.could_not_check, vec!["access"]);
    // A network failure of STS is "could not check" too, and so is everything needing it.
    let mut f = healthy();
    f.caller = Err(Ok(Problem::new(
        None,
        "dispatch failure: connection refused",
    )));
    let r = diagnose(&f, now());
    assert_eq!(r.links[0].status, Status::CouldNotCheck);
    assert_eq!(r.links[1].status, Status::CouldNotCheck);
}

#[test]
fn a_missing_cluster_points_to_prune() {
    let mut f = healthy();
    f.cluster_info = Err(Ok(problem(
        "ResourceNotFoundException",
        "No cluster found for name: prod.",
    )));
    f.api = unreachable_dns();
    let r = diagnose(&f, now());
    assert_eq!(r.verdict.failed_link, Some("cluster"));
    assert_eq!(
        r.verdict.commands,
        vec!["eks-kc sync --profile team --region eu-west-1 --prune"]
    );
}

fn unreachable_dns() -> Result<Api, NotRun> {
    Ok(Api {
        version: Err(Http::Unreachable {
            kind: NetKind::Dns,
            message: "dns error".into(),
        }),
        review: None,
    })
}

#[test]
fn network_errors_are_named() {
    let cases = [
        (
            "dispatch failure: io error: client error (Connect): dns error: failed to lookup address information",
            false,
            NetKind::Dns,
        ),
        (
            "client error (Connect): invalid peer certificate: UnknownIssuer",
            false,
            NetKind::Tls,
        ),
        (
            "client error (Connect): tcp connect error: Connection refused (os error 111)",
            false,
            NetKind::Refused,
        ),
        ("anything", true, NetKind::Timeout),
        ("connection reset", false, NetKind::Other),
    ];
    for (text, timed_out, want) in cases {
        assert_eq!(NetKind::classify(text, timed_out), want, "{text}");
    }
}

#[test]
fn responses_are_read_without_trusting_them() {
    let u = parse_review(
        r#"{"status":{"userInfo":{"username":"u","groups":["a","b"],"extra":{"arn":["arn:x"]}}}}"#,
    )
    .unwrap();
    assert_eq!(
        (u.username.as_str(), u.groups.len(), u.arn.as_deref()),
        ("u", 2, Some("arn:x"))
    );
    assert!(parse_review("not json").is_none());
    assert!(parse_review(r#"{"status":{"userInfo":{}}}"#).is_none());
    assert_eq!(
        parse_version(r#"{"gitVersion":"v1.32.1"}"#).as_deref(),
        Some("v1.32.1")
    );
    assert_eq!(
        status_message(r#"{"kind":"Status","message":"Unauthorized"}"#),
        "Unauthorized"
    );
    assert_eq!(status_message("<html>\nx"), "<html>");
}

#[test]
fn the_json_report_never_carries_more_than_the_facts() {
    let r = diagnose(&healthy(), now());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["links"][0]["status"], "ok");
    assert_eq!(json["verdict"]["ok"], true);
    assert_eq!(json["facts"]["cluster"], "prod");
}

use super::*;

// What `aws eks update-kubeconfig --name prod --alias prod --profile ops` writes, plus a
// non-EKS context that shares nothing and one sharing a user with a non-EKS context.
const AWS_CLI: &str = "\
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0t
    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
- cluster: {server: 'https://kind:6443'}
  name: kind
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    user: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  name: prod
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    user: arn:aws:eks:eu-west-1:111122223333:cluster/prod
    namespace: team
  name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
- context: {cluster: kind, user: shared}
  name: kind
- context: {cluster: kind, user: admin}
  name: local
- context: {cluster: arn:aws:eks:eu-west-1:111122223333:cluster/prod, user: shared}
  name: odd
current-context: prod
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]
      command: aws
      env:
      - {name: AWS_PROFILE, value: ops}
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: shared
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [eks, get-token, --cluster-name, prod, --region, eu-west-1]
      command: aws
      env: null
- name: admin
  user: {token: abc}
";

/// Every context but 'kind', which keeps the user it shares with 'odd'.
fn all(k: &Kubeconfig) -> Vec<String> {
    k.context_names()
        .into_iter()
        .filter(|c| c != "kind")
        .collect()
}

#[test]
fn adopt_then_undo_gives_back_the_same_document() {
    for style in [ExecStyle::Shared, ExecStyle::PerContext] {
        let before = Kubeconfig::parse(AWS_CLI).unwrap();
        let mut k = before.clone();
        let a = k.adopt(&all(&k), style, "eks-kc", &Default::default());
        let names: Vec<&str> = a.adopted.iter().map(|x| x.context.as_str()).collect();
        assert_eq!(
            names,
            [
                "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
                "odd",
                "prod"
            ],
            "{a:?}"
        );
        assert_eq!(a.skipped.len(), 1, "{a:?}");
        assert!(a.skipped[0].1.contains("a static `token`"), "{a:?}");
        // The two contexts of one user: rewritten in place; 'odd' shares its user with the
        // non-EKS context 'kind': a user of its own, 'shared' untouched.
        let odd = a.adopted.iter().find(|x| x.context == "odd").unwrap();
        assert!(odd.own_user && odd.user == "eks-kc@odd");
        assert_eq!(k.context_refs("kind").unwrap().1, "shared");
        let id = identify_context(&[&k], "prod").unwrap();
        assert!(id.adopted);
        assert_eq!(id.identity.writer, Writer::EksKc);
        assert_eq!(id.identity.profile.as_deref(), Some("ops"));
        assert_eq!(id.identity.region.as_deref(), Some("eu-west-1"));
        assert_eq!(k.context_namespace(names[0]), Some("team"));
        assert_eq!(k.adopted_contexts().len(), 3);
        // Adopting again changes nothing.
        let again = k
            .clone()
            .adopt(&all(&k), style, "eks-kc", &Default::default());
        assert!(again.adopted.is_empty(), "{again:?}");
        // Through YAML text, as on disk.
        let mut k = Kubeconfig::parse(&k.to_yaml().unwrap()).unwrap();
        let undone = k.undo_adopt(None);
        assert_eq!(undone.restored.len(), 3, "{undone:?}");
        assert_eq!(k, before, "{style:?}");
        assert!(k.adopted_contexts().is_empty());
    }
}

#[test]
fn undo_of_one_context_leaves_the_others_adopted() {
    let before = Kubeconfig::parse(AWS_CLI).unwrap();
    let mut k = before.clone();
    k.adopt(&all(&k), ExecStyle::Shared, "eks-kc", &Default::default());
    assert_eq!(k.undo_adopt(Some(&["odd".to_owned()])).restored, ["odd"]);
    assert_eq!(k.context_refs("odd").unwrap().1, "shared");
    assert_eq!(k.adopted_contexts().len(), 2);
    // A user shared by two contexts is restored for both.
    assert_eq!(k.undo_adopt(Some(&["prod".to_owned()])).restored.len(), 2);
    assert_eq!(k, before);
}

#[test]
fn a_chosen_context_whose_user_serves_an_unchosen_one_gets_its_own_user() {
    let mut k = Kubeconfig::parse(AWS_CLI).unwrap();
    let a = k.adopt(
        &["prod".to_owned()],
        ExecStyle::PerContext,
        "eks-kc",
        &Default::default(),
    );
    assert!(a.adopted[0].own_user, "{a:?}");
    let arn = "arn:aws:eks:eu-west-1:111122223333:cluster/prod";
    // The other context of the user still runs the AWS CLI.
    let other = identify_context(&[&k], arn).unwrap();
    assert_eq!(other.identity.writer, Writer::AwsCli);
    assert!(a.adopted[0].now.contains("--cluster-name prod"), "{a:?}");
}

// A user with an env that chooses who signs and impersonation, serving `team`; `copy` (not
// adopted here) shares nothing.
const WITH_ENV: &str = "\
apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com'}
  name: prod
contexts:
- context: {cluster: prod, user: team}
  name: team
users:
- name: team
  user:
    as: view-only
    as-groups: [viewers, auditors]
    as-uid: '1234'
    as-user-extra: {reason: [audit]}
    future-field: {kept: true}
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]
      command: aws
      env:
      - {name: AWS_SHARED_CREDENTIALS_FILE, value: /team/credentials}
      - {name: AWS_PROFILE, value: readonly}
      - {name: AWS_REGION, value: eu-west-1}
    extensions:
    - {name: other-tool, extension: {x: 1}}
";

/// The fields of user `name`'s body other than those adopt owns (`exec`, eks-kc's marker).
fn not_owned(k: &Kubeconfig, name: &str) -> Mapping {
    let mut body = k
        .entry(Section::Users, name)
        .unwrap()
        .get("user")
        .unwrap()
        .as_mapping()
        .unwrap()
        .clone();
    body.remove("exec");
    if let Some(Value::Sequence(list)) = body.get_mut("extensions") {
        list.retain(|e| e.get("name").and_then(Value::as_str) != Some(MARKER));
    }
    body
}

fn exec_env(k: &Kubeconfig, name: &str) -> Value {
    k.entry(Section::Users, name).unwrap()["user"]["exec"]["env"].clone()
}

/// `text` parsed, then with context `team` adopted in `style`: (before, after, the report).
fn adopt_team(text: &str, style: ExecStyle) -> (Kubeconfig, Kubeconfig, Adoption) {
    let before = Kubeconfig::parse(text).unwrap();
    let mut k = before.clone();
    let a = k.adopt(&["team".to_owned()], style, "eks-kc", &Default::default());
    (before, k, a)
}

#[test]
fn adopt_keeps_the_env_and_every_field_it_does_not_own() {
    // Regression (issue 32): the env (a credentials file, AWS_PROFILE) and impersonation were
    // dropped, so the adopted context signed as another identity and lost `as`.
    for (style, own) in [
        (ExecStyle::Shared, false),
        (ExecStyle::PerContext, false),
        (ExecStyle::PerContext, true),
    ] {
        let mut text = WITH_ENV.to_owned();
        if own {
            // A context not adopted also uses the user: `team` gets a user of its own.
            text = text.replace(
                "users:",
                "- context: {cluster: prod, user: team}\n  name: other\nusers:",
            );
        }
        let (before, k, a) = adopt_team(&text, style);
        assert_eq!(a.adopted.len(), 1, "{a:?}");
        let user = a.adopted[0].user.clone();
        assert_eq!(a.adopted[0].own_user, own);
        assert_eq!(
            not_owned(&k, &user),
            not_owned(&before, "team"),
            "{style:?}"
        );
        // The env as it was, but AWS_PROFILE, which is eks-kc's profile now.
        let mut env = exec_env(&before, "team");
        env.as_sequence_mut()
            .unwrap()
            .retain(|e| e["name"] != "AWS_PROFILE");
        assert_eq!(exec_env(&k, &user), env);
        let id = identify_context(&[&k], "team").unwrap().identity;
        assert_eq!(id.writer, Writer::EksKc);
        assert_eq!(id.profile.as_deref(), Some("readonly"));
        assert!(!id.profile_from_env);
        assert!(
            a.adopted[0].now.starts_with(
                "AWS_SHARED_CREDENTIALS_FILE=/team/credentials AWS_REGION=eu-west-1 eks-kc token"
            ),
            "{a:?}"
        );
        let mut k = Kubeconfig::parse(&k.to_yaml().unwrap()).unwrap();
        let undone = k.undo_adopt(None);
        assert_eq!(undone.restored, ["team"], "{undone:?}");
        assert_eq!(k, before, "{style:?}");
    }
    // Static keys in the env beat AWS_PROFILE for the AWS CLI: it stays in the env, where they
    // beat it for eks-kc too.
    let text = WITH_ENV.replace(
        "{name: AWS_REGION, value: eu-west-1}",
        "{name: AWS_ACCESS_KEY_ID, value: AKIDEXAMPLE}",
    );
    let (before, k, a) = adopt_team(&text, ExecStyle::PerContext);
    assert_eq!(exec_env(&k, "team"), exec_env(&before, "team"), "{a:?}");
    assert!(!a.adopted[0].now.contains("--profile"), "{a:?}");
    assert!(
        identify_context(&[&k], "team")
            .unwrap()
            .identity
            .profile_from_env
    );
}

#[test]
fn what_eks_kc_cannot_carry_exactly_is_not_adopted() {
    for (from, to, needle) in [
        (
            "AWS_REGION, value: eu-west-1",
            "HOME, value: /elsewhere",
            "sets HOME",
        ),
        (
            "AWS_REGION, value: eu-west-1",
            "DEFAULT_ROLE, value: x",
            "sets DEFAULT_ROLE",
        ),
        // The AWS CLI reads AWS_DEFAULT_PROFILE before AWS_PROFILE; eks-kc does not read it.
        (
            "AWS_REGION, value: eu-west-1",
            "AWS_DEFAULT_PROFILE, value: admin",
            "sets AWS_DEFAULT_PROFILE",
        ),
        (
            "--output, json]",
            "--output, json, --external-id, x]",
            "`--external-id`",
        ),
        (
            "--output, json]",
            "--output, json, --endpoint-url, x]",
            "`--endpoint-url`",
        ),
        (
            "--output, json]",
            "--output, json, --no-sign-request]",
            "`--no-sign-request`",
        ),
        (
            "--output, json]",
            "--output, json, extra]",
            "the words `eks get-token extra`",
        ),
    ] {
        let text = WITH_ENV.replace(from, to);
        let (before, k, a) = adopt_team(&text, ExecStyle::Shared);
        assert!(a.adopted.is_empty(), "{to}: {a:?}");
        assert!(a.skipped[0].1.contains(needle), "{to}: {a:?}");
        assert_eq!(k, before);
    }
    // With a --profile flag the AWS CLI does not read AWS_DEFAULT_PROFILE either.
    let text = WITH_ENV
        .replace(
            "AWS_REGION, value: eu-west-1",
            "AWS_DEFAULT_PROFILE, value: admin",
        )
        .replace("--output, json]", "--output, json, --profile, readonly]");
    let (_, _, a) = adopt_team(&text, ExecStyle::PerContext);
    assert_eq!(a.adopted.len(), 1, "{a:?}");
    assert!(a.adopted[0].now.contains("--profile readonly"), "{a:?}");
}

#[test]
fn a_user_a_context_of_another_file_names_gets_no_rewrite() {
    // Regression (issue 32): with KUBECONFIG=one:two, adopting two's context rewrote the user
    // that one's context also ran, which then ran `eks-kc token`.
    let one = BTreeSet::from(["team".to_owned()]);
    let before = Kubeconfig::parse(WITH_ENV).unwrap();
    let mut two = before.clone();
    let a = two.adopt(&["team".to_owned()], ExecStyle::Shared, "eks-kc", &one);
    assert!(a.adopted[0].own_user, "{a:?}");
    assert_eq!(
        two.entry(Section::Users, "team"),
        before.entry(Section::Users, "team")
    );
    assert_eq!(two.undo_adopt(None).restored, ["team"]);
    assert_eq!(two, before);
}

/// `k` with context `from` renamed `to`, as `kubectl config rename-context` does.
fn renamed(k: &Kubeconfig, from: &str, to: &str) -> Kubeconfig {
    let mut k = k.clone();
    for c in k.list_mut(Section::Contexts) {
        if name_of(c) == Some(from) {
            c.as_mapping_mut().unwrap().insert("name".into(), to.into());
        }
    }
    k
}

#[test]
fn undo_follows_the_users_not_the_context_names() {
    // Regression (issue 32): after `kubectl config rename-context prod prod-main`, the undo
    // said "restored" and deleted the user prod-main still named.
    for style in [ExecStyle::Shared, ExecStyle::PerContext] {
        let before = Kubeconfig::parse(AWS_CLI).unwrap();
        let mut k = before.clone();
        k.adopt(&all(&k), style, "eks-kc", &Default::default());
        let mut k = renamed(&k, "prod", "prod-main");
        let mut k2 = k.clone();
        let undone = k.undo_adopt(None);
        assert!(
            undone.restored.contains(&"prod-main".to_owned()),
            "{undone:?}"
        );
        assert!(!undone.restored.contains(&"prod".to_owned()), "{undone:?}");
        assert_eq!(k, renamed(&before, "prod", "prod-main"), "{style:?}");
        // By its new name.
        let undone = k2.undo_adopt(Some(&["prod-main".to_owned()]));
        assert!(undone.not_restored.is_empty(), "{undone:?}");
        assert!(
            undone.restored.contains(&"prod-main".to_owned()),
            "{undone:?}"
        );
    }
    // 'odd' got a user of its own; renamed, it goes back to 'shared' under its new name.
    let mut k = Kubeconfig::parse(AWS_CLI).unwrap();
    k.adopt(
        &["odd".to_owned()],
        ExecStyle::Shared,
        "eks-kc",
        &Default::default(),
    );
    let mut k = renamed(&k, "odd", "even");
    assert_eq!(k.undo_adopt(None).restored, ["even"]);
    assert_eq!(k.context_refs("even").unwrap().1, "shared");
    assert!(k.entry(Section::Users, "eks-kc@odd").is_none());
}

#[test]
fn undo_never_says_restored_for_what_it_did_not_restore() {
    let mut k = Kubeconfig::parse(AWS_CLI).unwrap();
    k.adopt(
        &["odd".to_owned()],
        ExecStyle::Shared,
        "eks-kc",
        &Default::default(),
    );
    // The user 'odd' had before is gone: 'odd' keeps eks-kc's user, and says why.
    k.list_mut(Section::Users)
        .retain(|u| name_of(u) != Some("shared"));
    let after = k.clone();
    let undone = k.undo_adopt(None);
    assert!(undone.restored.is_empty(), "{undone:?}");
    assert_eq!(undone.not_restored[0].0, "odd");
    assert!(
        undone.not_restored[0].1.contains("'shared', is gone"),
        "{undone:?}"
    );
    assert_eq!(k, after);
    // A context asked for by name that is not adopted.
    let undone = k.undo_adopt(Some(&["local".to_owned()]));
    assert_eq!(undone.not_restored[0].0, "local");
    assert!(
        undone.not_restored[0].1.contains("not adopted"),
        "{undone:?}"
    );
}

#[test]
fn names_kubectl_refuses_twice_are_found() {
    // Regression (issue 32): two users of one name; adopt then undo overwrote the second.
    assert_eq!(Kubeconfig::parse(AWS_CLI).unwrap().duplicate_name(), None);
    for (text, want) in [
        (
            "users:\n- {name: u, user: {token: a}}\n- {name: u, user: {token: b}}\n",
            "two users named 'u'",
        ),
        (
            "contexts:\n- {name: c, context: {}}\n- {name: c, context: {}}\n",
            "two contexts named 'c'",
        ),
        (
            "clusters:\n- name: c\n  cluster:\n    extensions:\n    - {name: e, extension: 1}\n    - {name: e, extension: 2}\n",
            "two extensions named 'e' in cluster 'c'",
        ),
        (
            "preferences:\n  extensions:\n  - {name: e}\n  - {name: e}\n",
            "two extensions named 'e' in its preferences",
        ),
    ] {
        let k = Kubeconfig::parse(text).unwrap();
        assert_eq!(k.duplicate_name().as_deref(), Some(want), "{text}");
    }
}

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
        let a = k.adopt(&all(&k), style, "eks-kc");
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
        let again = k.clone().adopt(&all(&k), style, "eks-kc");
        assert!(again.adopted.is_empty(), "{again:?}");
        // Through YAML text, as on disk.
        let mut k = Kubeconfig::parse(&k.to_yaml().unwrap()).unwrap();
        let restored = k.undo_adopt(None);
        assert_eq!(restored.len(), 3);
        assert_eq!(k, before, "{style:?}");
        assert!(k.adopted_contexts().is_empty());
    }
}

#[test]
fn undo_of_one_context_leaves_the_others_adopted() {
    let before = Kubeconfig::parse(AWS_CLI).unwrap();
    let mut k = before.clone();
    k.adopt(&all(&k), ExecStyle::Shared, "eks-kc");
    assert_eq!(k.undo_adopt(Some(&["odd".to_owned()])), ["odd"]);
    assert_eq!(k.context_refs("odd").unwrap().1, "shared");
    assert_eq!(k.adopted_contexts().len(), 2);
    // A user shared by two contexts is restored for both.
    assert_eq!(k.undo_adopt(Some(&["prod".to_owned()])).len(), 2);
    assert_eq!(k, before);
}

#[test]
fn a_chosen_context_whose_user_serves_an_unchosen_one_gets_its_own_user() {
    let mut k = Kubeconfig::parse(AWS_CLI).unwrap();
    let a = k.adopt(&["prod".to_owned()], ExecStyle::PerContext, "eks-kc");
    assert!(a.adopted[0].own_user, "{a:?}");
    let arn = "arn:aws:eks:eu-west-1:111122223333:cluster/prod";
    // The other context of the user still runs the AWS CLI.
    let other = identify_context(&[&k], arn).unwrap();
    assert_eq!(other.identity.writer, Writer::AwsCli);
    assert!(a.adopted[0].now.contains("--cluster-name prod"), "{a:?}");
}

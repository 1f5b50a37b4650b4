use std::collections::{BTreeMap, BTreeSet};

use super::super::{ClusterId, ExecStyle, Kubeconfig, MergeOptions, NameTemplate};
use super::*;

const ARN: &str = "arn:aws:eks:eu-west-1:111122223333:cluster/prod";

// What `aws eks update-kubeconfig --name prod --profile ops` writes.
fn aws_cli() -> Kubeconfig {
    Kubeconfig::parse(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {{server: 'https://old', \
         certificate-authority-data: T0xE}}\n  name: {ARN}\ncontexts:\n- context: {{cluster: {ARN}, \
         user: {ARN}}}\n  name: {ARN}\nusers:\n- name: {ARN}\n  user:\n    exec:\n      apiVersion: \
         client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [--region, eu-west-1, \
         eks, get-token, --cluster-name, prod, --output, json]\n      env:\n      - {{name: \
         AWS_PROFILE, value: ops}}\n"
    ))
    .unwrap()
}

fn found_by(profile: &str) -> DesiredCluster {
    DesiredCluster {
        id: ClusterId {
            profile: profile.into(),
            region: "eu-west-1".into(),
            cluster_name: "prod".into(),
        },
        arn: Some(ARN.into()),
        account: Some("111122223333".into()),
        server: "https://new".into(),
        ca_data: Some("TkVX".into()),
        exec: ClusterConfig {
            cluster_name: Some("prod".into()),
            region: Some("eu-west-1".into()),
            profile: Some(profile.into()),
            ..ClusterConfig::default()
        },
        naming: Default::default(),
    }
}

fn sync(k: &mut Kubeconfig, profile: &str) -> super::super::ChangeSet {
    let template = NameTemplate::parse(super::super::DEFAULT_TEMPLATE).unwrap();
    let listed: BTreeSet<(String, String)> = [(profile.to_owned(), "eu-west-1".to_owned())].into();
    k.merge(
        &[found_by(profile)],
        &MergeOptions {
            template: &template,
            listed: &listed,
            prune: true,
            exec_command: "eks-kc",
            taken_elsewhere: &BTreeMap::new(),
            exec_style: None,
            set_current_if_none: false,
        },
    )
    .unwrap()
}

#[test]
fn sync_updates_an_adopted_context_of_the_same_identity_in_place() {
    let mut k = aws_cli();
    k.adopt(
        &[ARN.to_owned()],
        ExecStyle::Shared,
        "eks-kc",
        &Default::default(),
    );
    let c = sync(&mut k, "ops");
    assert!(c.added.is_empty() && c.pruned.is_empty(), "{c:?}");
    assert_eq!(c.updated, [ARN]);
    assert!(k.to_yaml().unwrap().contains("https://new"));
    // Again: nothing left to change.
    assert_eq!(sync(&mut k, "ops").unchanged, [ARN]);
}

#[test]
fn an_adopted_context_whose_env_chooses_the_signer_is_not_the_profile_s() {
    // Issue 32: adopt carries the env; a context signing through another credentials file is
    // not the identity sync finds through the profile, so sync writes that one its own context.
    let text = aws_cli().to_yaml().unwrap().replace(
        "value: ops",
        "value: ops\n      - name: AWS_SHARED_CREDENTIALS_FILE\n        value: /team/credentials",
    );
    let mut k = Kubeconfig::parse(&text).unwrap();
    k.adopt(
        &[ARN.to_owned()],
        ExecStyle::Shared,
        "eks-kc",
        &Default::default(),
    );
    let c = sync(&mut k, "ops");
    assert_eq!(c.added, ["prod.eu-west-1.ops"], "{c:?}");
}

#[test]
fn the_same_cluster_through_another_profile_is_a_context_of_its_own() {
    // Regression: the adopted context was matched by ARN alone, so a sync through profile
    // `other` updated it and never wrote `other`'s context.
    let mut k = aws_cli();
    k.adopt(
        &[ARN.to_owned()],
        ExecStyle::Shared,
        "eks-kc",
        &Default::default(),
    );
    let adopted = k.clone();
    let c = sync(&mut k, "other");
    assert_eq!(c.added, ["prod.eu-west-1.other"], "{c:?}");
    assert!(c.updated.is_empty(), "{c:?}");
    assert_eq!(k.adopted_contexts(), adopted.adopted_contexts());
    assert!(k.to_yaml().unwrap().contains("https://old"));
}

#[test]
fn a_hand_written_eks_kc_context_is_not_duplicated_nor_touched() {
    // Regression: sync wrote a second context beside a hand-written `eks-kc token` one.
    let text = aws_cli()
        .to_yaml()
        .unwrap()
        .replace("command: aws", "command: eks-kc")
        .replace(
            "- --region\n      - eu-west-1\n      - eks\n      - get-token\n      - --cluster-name\n      - prod\n      - --output\n      - json",
            "- token\n      - --cluster-name\n      - prod\n      - --region\n      - eu-west-1\n      - --profile\n      - ops",
        );
    let before = Kubeconfig::parse(&text).unwrap();
    assert!(before.foreign_eks_contexts().is_empty(), "{text}");
    let mut k = before.clone();
    let c = sync(&mut k, "ops");
    assert!(c.added.is_empty() && c.updated.is_empty(), "{c:?}");
    assert_eq!(c.unchanged, [ARN]);
    assert_eq!(k, before);
}

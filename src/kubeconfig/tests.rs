//! The merge against kubeconfigs written by other tools (tests/fixtures/kubeconfig).

use super::*;

const FIXTURES: [(&str, &str); 3] = [
    (
        "aws eks update-kubeconfig",
        include_str!("../../tests/fixtures/kubeconfig/aws-update-kubeconfig.yaml"),
    ),
    (
        "eksctl",
        include_str!("../../tests/fixtures/kubeconfig/eksctl.yaml"),
    ),
    (
        "hand-written",
        include_str!("../../tests/fixtures/kubeconfig/hand-written.yaml"),
    ),
];

fn cluster(profile: &str, region: &str, name: &str) -> DesiredCluster {
    DesiredCluster {
        id: ClusterId {
            profile: profile.into(),
            region: region.into(),
            cluster_name: name.into(),
        },
        arn: Some(format!("arn:aws:eks:{region}:111122223333:cluster/{name}")),
        account: Some("111122223333".into()),
        server: format!("https://{name}.{region}.eks.example"),
        ca_data: Some("Q0EK".into()),
        exec: ClusterConfig {
            cluster_name: Some(name.into()),
            region: Some(region.into()),
            profile: Some(profile.into()),
            ..ClusterConfig::default()
        },
        naming: Default::default(),
    }
}

fn listed(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect()
}

fn merge(
    cfg: &mut Kubeconfig,
    desired: &[DesiredCluster],
    listed: &BTreeSet<(String, String)>,
    prune: bool,
) -> ChangeSet {
    merge_named(cfg, desired, DEFAULT_TEMPLATE, listed, prune).unwrap()
}

fn merge_named(
    cfg: &mut Kubeconfig,
    desired: &[DesiredCluster],
    template: &str,
    listed: &BTreeSet<(String, String)>,
    prune: bool,
) -> Result<ChangeSet> {
    let template = NameTemplate::parse(template).unwrap();
    cfg.merge(
        desired,
        &MergeOptions {
            template: &template,
            listed,
            prune,
            exec_command: "eks-kc",
            taken_elsewhere: &Default::default(),
            exec_style: None,
            set_current_if_none: false,
        },
    )
}

/// Everything eks-kc does not own, as YAML values: top-level keys other than the three lists,
/// and every list entry without the marker.
fn foreign(cfg: &Kubeconfig) -> (Mapping, Vec<Value>) {
    let mut top = cfg.root.clone();
    let mut entries = vec![];
    for section in Section::ALL {
        top.remove(section.key());
        entries.extend(cfg.list(section).iter().filter(|e| !is_marked(e)).cloned());
    }
    (top, entries)
}

fn reparse(cfg: &Kubeconfig) -> Kubeconfig {
    Kubeconfig::parse(&cfg.to_yaml().unwrap()).unwrap()
}

#[test]
fn foreign_entries_survive_add_update_and_prune() {
    for (tool, text) in FIXTURES {
        let original = Kubeconfig::parse(text).unwrap();
        let before = foreign(&original);
        let mut cfg = original.clone();
        let all = listed(&[("ops", "eu-west-1"), ("ops", "us-east-1")]);

        let c = merge(
            &mut cfg,
            &[
                cluster("ops", "eu-west-1", "a"),
                cluster("ops", "us-east-1", "b"),
            ],
            &all,
            true,
        );
        assert_eq!(c.added, ["a.eu-west-1.ops", "b.us-east-1.ops"], "{tool}");
        let mut cfg = reparse(&cfg);
        assert_eq!(foreign(&cfg), before, "{tool}: after add");

        let mut changed = cluster("ops", "eu-west-1", "a");
        changed.server = "https://moved.example".into();
        let c = merge(&mut cfg, &[changed], &all, true);
        assert_eq!(c.updated, ["a.eu-west-1.ops"], "{tool}");
        assert_eq!(c.pruned, ["b.us-east-1.ops"], "{tool}");
        let mut cfg = reparse(&cfg);
        assert_eq!(foreign(&cfg), before, "{tool}: after update and prune");

        let c = merge(&mut cfg, &[], &all, true);
        assert_eq!(c.pruned, ["a.eu-west-1.ops"], "{tool}");
        let cfg = reparse(&cfg);
        assert_eq!(foreign(&cfg), before, "{tool}: after pruning everything");
        // Nothing of eks-kc is left, not even its user.
        assert!(!cfg.has_managed_entries(), "{tool}");
        assert_eq!(cfg.current_context(), original.current_context(), "{tool}");
    }
}

#[test]
fn a_resync_with_the_same_results_changes_nothing() {
    for (tool, text) in FIXTURES {
        let mut cfg = Kubeconfig::parse(text).unwrap();
        let want = [
            cluster("ops", "eu-west-1", "a"),
            cluster("dev", "eu-west-1", "a"),
        ];
        let all = listed(&[("ops", "eu-west-1"), ("dev", "eu-west-1")]);
        merge(&mut cfg, &want, &all, true);
        let written = cfg.to_yaml().unwrap();
        let mut again = Kubeconfig::parse(&written).unwrap();
        let c = merge(&mut again, &want, &all, true);
        assert!(!c.writes(), "{tool}: {c:?}");
        assert_eq!(c.unchanged.len(), 2);
        assert_eq!(again.to_yaml().unwrap(), written, "{tool}");
    }
}

#[test]
fn prune_removes_exactly_the_vanished_clusters_of_listed_targets() {
    let mut cfg = Kubeconfig::parse(FIXTURES[2].1).unwrap();
    let first = [
        cluster("ops", "eu-west-1", "a"),
        cluster("ops", "eu-west-1", "gone"),
        cluster("ops", "us-east-1", "c"),
        cluster("dev", "eu-west-1", "d"),
    ];
    merge(
        &mut cfg,
        &first,
        &listed(&[
            ("ops", "eu-west-1"),
            ("ops", "us-east-1"),
            ("dev", "eu-west-1"),
        ]),
        false,
    );
    // This run: ops/us-east-1 failed (not listed) and dev was not asked for.
    let c = merge(
        &mut cfg,
        &[cluster("ops", "eu-west-1", "a")],
        &listed(&[("ops", "eu-west-1")]),
        true,
    );
    assert_eq!(c.pruned, ["gone.eu-west-1.ops"]);
    let names = cfg.context_names();
    for kept in [
        "a.eu-west-1.ops",
        "c.us-east-1.ops",
        "d.eu-west-1.dev",
        "kind-local",
    ] {
        assert!(
            names.contains(&kept.to_owned()),
            "{kept} missing: {names:?}"
        );
    }
    // Without --prune nothing goes.
    let c = merge(&mut cfg, &[], &listed(&[("ops", "us-east-1")]), false);
    assert!(c.pruned.is_empty());
}

#[test]
fn a_name_a_pruned_entry_held_is_free_in_the_same_run() {
    // An account's role changed: the old (account, role) target is gone, the new one renders
    // the same name. Pruning first lets the new entry take it at once.
    let mut cfg = Kubeconfig::new();
    let both = listed(&[("old-role", "eu-west-1"), ("new-role", "eu-west-1")]);
    merge_named(
        &mut cfg,
        &[cluster("old-role", "eu-west-1", "api")],
        "{cluster}.{region}",
        &both,
        false,
    )
    .unwrap();
    let c = merge_named(
        &mut cfg,
        &[cluster("new-role", "eu-west-1", "api")],
        "{cluster}.{region}",
        &both,
        true,
    )
    .unwrap();
    assert_eq!(c.pruned, vec!["api.eu-west-1"]);
    assert_eq!(c.added, vec!["api.eu-west-1"]);
    assert!(c.conflicts.is_empty(), "{:?}", c.conflicts);
    let m = cfg.managed_contexts();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].id.profile, "new-role");
}

#[test]
fn names_are_stable_and_collisions_are_errors() {
    let mut cfg = Kubeconfig::parse(FIXTURES[2].1).unwrap();
    let all = listed(&[("ops", "eu-west-1")]);
    merge(&mut cfg, &[cluster("ops", "eu-west-1", "a")], &all, false);
    // A new template does not rename the existing context.
    let template = NameTemplate::parse("{profile}/{cluster}").unwrap();
    let c = cfg
        .merge(
            &[
                cluster("ops", "eu-west-1", "a"),
                cluster("ops", "eu-west-1", "b"),
            ],
            &MergeOptions {
                template: &template,
                listed: &all,
                prune: false,
                exec_command: "eks-kc",
                taken_elsewhere: &Default::default(),
                exec_style: None,
                set_current_if_none: false,
            },
        )
        .unwrap();
    assert_eq!(c.unchanged, ["a.eu-west-1.ops"]);
    assert_eq!(c.added, ["ops/b"]);

    // A cluster whose name is taken by a hand-written context is refused, not overwritten.
    let before = foreign(&cfg);
    let c = merge_named(
        &mut cfg,
        &[cluster("ops", "eu-west-1", "kind-local")],
        "{cluster}",
        &all,
        false,
    )
    .unwrap();
    assert_eq!(c.conflicts.len(), 1);
    assert_eq!(c.conflicts[0].name, "kind-local");
    assert!(c.added.is_empty());
    assert_eq!(foreign(&cfg), before);
}

#[test]
fn sync_never_changes_the_current_context() {
    let mut cfg = Kubeconfig::parse(FIXTURES[1].1).unwrap();
    let all = listed(&[("ops", "eu-west-1")]);
    merge(&mut cfg, &[cluster("ops", "eu-west-1", "a")], &all, true);
    cfg.set_current_context("a.eu-west-1.ops");
    let c = merge(&mut cfg, &[], &all, true);
    assert_eq!(c.pruned, ["a.eu-west-1.ops"]);
    assert_eq!(cfg.current_context(), Some("a.eu-west-1.ops"));
    assert_eq!(
        c.dangling_current_context.as_deref(),
        Some("a.eu-west-1.ops")
    );
}

#[test]
fn entries_carry_the_generic_user_and_the_exec_extension() {
    let mut cfg = Kubeconfig::new();
    let mut want = cluster("ops", "eu-west-1", "a");
    want.exec.role_arn = Some("arn:aws:iam::111122223333:role/admin".into());
    merge(&mut cfg, &[want], &listed(&[]), false);
    let yaml = cfg.to_yaml().unwrap();
    let cfg = Kubeconfig::parse(&yaml).unwrap();
    let managed = cfg.managed_contexts();
    assert_eq!(managed.len(), 1);
    assert_eq!(managed[0].exec.cluster_name.as_deref(), Some("a"));
    assert_eq!(
        managed[0].exec.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/admin")
    );
    let user = cfg
        .list(Section::Users)
        .iter()
        .find(|u| name_of(u) == Some(USER_NAME))
        .unwrap();
    let exec = &user["user"]["exec"];
    assert_eq!(exec["command"], "eks-kc");
    assert_eq!(exec["args"][0], "token");
    assert_eq!(exec["provideClusterInfo"], true);
    assert_eq!(exec["interactiveMode"], "IfAvailable");
    assert_eq!(exec["apiVersion"], crate::exec::V1BETA1);
    assert_eq!(cfg.current_context(), None);
}

#[test]
fn someone_elses_eks_kc_user_is_not_taken_over() {
    let mut cfg = Kubeconfig::parse("users:\n- name: eks-kc\n  user: {token: abc}\n").unwrap();
    let err = merge_named(
        &mut cfg,
        &[cluster("ops", "eu-west-1", "a")],
        DEFAULT_TEMPLATE,
        &listed(&[]),
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("user named 'eks-kc'"), "{err}");
}

#[test]
fn malformed_documents_are_errors_with_a_position() {
    for (text, needle) in [
        ("clusters: [\n  - name: a\n  bad", "line"),
        ("- just\n- a list\n", "not a mapping"),
        ("clusters: {a: 1}\n", "'clusters'"),
        ("current-context: [x]\n", "'current-context'"),
        ("users: \"nope\"\n", "'users'"),
    ] {
        let err = format!("{:#}", Kubeconfig::parse(text).unwrap_err());
        assert!(err.contains(needle), "{text:?}: {err}");
    }
    // Empty and null documents are an empty kubeconfig; null lists are empty lists.
    assert!(Kubeconfig::parse("").unwrap().context_names().is_empty());
    assert!(Kubeconfig::parse("~\n").unwrap().context_names().is_empty());
    let mut cfg = Kubeconfig::parse("clusters: null\ncontexts:\nusers: ~\n").unwrap();
    merge(
        &mut cfg,
        &[cluster("p", "eu-west-1", "a")],
        &listed(&[]),
        false,
    );
    assert_eq!(cfg.context_names(), ["a.eu-west-1.p"]);
}

#[test]
fn templates_are_checked() {
    assert!(NameTemplate::parse("{cluster}").is_ok());
    assert!(NameTemplate::parse("{account}-{cluster}@{region}").is_ok());
    assert!(NameTemplate::parse("{region}").is_err());
    assert!(NameTemplate::parse("{cluster}-{zone}").is_err());
    assert!(NameTemplate::parse("{cluster").is_err());
    let t = NameTemplate::parse("{account}/{cluster}").unwrap();
    assert_eq!(t.render(&cluster("p", "eu-west-1", "a")), "111122223333/a");
}

#[test]
fn per_context_users_follow_their_contexts() {
    let mut cfg = Kubeconfig::new();
    let template = NameTemplate::parse(DEFAULT_TEMPLATE).unwrap();
    let all = listed(&[("ops", "eu-west-1")]);
    let elsewhere = BTreeMap::new();
    let opts = |style, prune| MergeOptions {
        template: &template,
        listed: &all,
        prune,
        exec_command: "/usr/local/bin/eks-kc",
        taken_elsewhere: &elsewhere,
        exec_style: style,
        set_current_if_none: true,
    };
    let both = [
        cluster("ops", "eu-west-1", "a"),
        cluster("ops", "eu-west-1", "b"),
    ];
    let c = cfg
        .merge(&both, &opts(Some(ExecStyle::PerContext), false))
        .unwrap();
    assert_eq!(c.current_context_set.as_deref(), Some("a.eu-west-1.ops"));
    assert_eq!(
        cfg.names(Section::Users),
        ["eks-kc@a.eu-west-1.ops", "eks-kc@b.eu-west-1.ops"]
    );
    assert_eq!(cfg.exec_style(), ExecStyle::PerContext);
    let cfg2 = reparse(&cfg);
    let user = &cfg2.list(Section::Users)[0]["user"]["exec"];
    assert_eq!(user["command"], "/usr/local/bin/eks-kc");
    assert_eq!(user["args"][1], "--cluster-name");
    assert_eq!(user["args"][2], "a");

    // Pruning a cluster removes its user; the style is kept without being asked for.
    let c = cfg.merge(&both[..1], &opts(None, true)).unwrap();
    assert_eq!(c.pruned, ["b.eu-west-1.ops"]);
    assert!(c.current_context_set.is_none());
    assert_eq!(cfg.names(Section::Users), ["eks-kc@a.eu-west-1.ops"]);

    // Switching to shared replaces the per-context user with the one generic user.
    let c = cfg
        .merge(&both[..1], &opts(Some(ExecStyle::Shared), true))
        .unwrap();
    assert_eq!(c.updated, ["a.eu-west-1.ops"]);
    assert_eq!(cfg.names(Section::Users), [USER_NAME]);
    assert_eq!(cfg.exec_style(), ExecStyle::Shared);
}

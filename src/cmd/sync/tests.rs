use super::plan::*;
use super::*;
use crate::aws::eks::{Found, Target};
use crate::aws::profiles::Profiles;
use clap::Parser;
use std::collections::BTreeMap;

fn args(extra: &[&str]) -> SyncArgs {
    let cli =
        crate::cli::Cli::try_parse_from(["eks-kc", "sync"].iter().chain(extra.iter()).copied())
            .unwrap();
    match cli.command {
        crate::cli::Command::Sync(a) => a,
        _ => unreachable!(),
    }
}

fn profiles() -> Profiles {
    Profiles {
        regions: BTreeMap::from([
            ("default".into(), Some("eu-west-1".into())),
            ("cn".into(), Some("cn-north-1".into())),
            ("noregion".into(), None),
        ]),
        ..Profiles::default()
    }
}

fn pairs(p: &Plan) -> Vec<(String, Option<String>, String)> {
    p.targets
        .iter()
        .map(|t| (t.label.clone(), t.profile.clone(), t.region.clone()))
        .collect()
}

#[test]
fn defaults_to_the_default_chain_in_its_region() {
    let p = plan(&args(&[]), &profiles(), |_| None).unwrap();
    assert_eq!(pairs(&p), [("default".into(), None, "eu-west-1".into())]);
    let p = plan(&args(&[]), &profiles(), |k| {
        (k == "AWS_PROFILE").then(|| "cn".to_owned())
    })
    .unwrap();
    assert_eq!(
        pairs(&p),
        [("cn".into(), Some("cn".into()), "cn-north-1".into())]
    );
}

#[test]
fn profiles_times_regions() {
    let p = plan(
        &args(&[
            "-p",
            "default",
            "-p",
            "cn",
            "-p",
            "cn",
            "-r",
            "us-east-1",
            "-r",
            "eu-west-1",
        ]),
        &profiles(),
        |_| None,
    )
    .unwrap();
    assert_eq!(p.targets.len(), 4);
    let p = plan(
        &args(&["--all-profiles", "--all-regions"]),
        &profiles(),
        |_| None,
    )
    .unwrap();
    assert!(
        p.targets
            .iter()
            .any(|t| t.label == "cn" && t.region == "cn-northwest-1")
    );
    assert!(
        !p.targets
            .iter()
            .any(|t| t.label == "cn" && t.region == "us-east-1")
    );
    assert!(
        p.targets
            .iter()
            .any(|t| t.label == "noregion" && t.region == "us-east-1")
    );
}

#[test]
fn unknown_profiles_and_missing_regions_are_reported_not_fatal() {
    let p = plan(
        &args(&["-p", "nope", "-p", "noregion"]),
        &profiles(),
        |_| None,
    )
    .unwrap();
    assert!(p.targets.is_empty());
    assert_eq!(p.unplanned.len(), 2);
    assert!(p.unplanned[0].reason.contains("'nope'"));
    assert!(p.unplanned[1].reason.contains("no region"));
    // The environment's region applies to every profile.
    let p = plan(&args(&["-p", "noregion"]), &profiles(), |k| {
        (k == "AWS_REGION").then(|| "ap-south-1".to_owned())
    })
    .unwrap();
    assert_eq!(p.targets[0].region, "ap-south-1");
    assert!(crate::cli::Cli::try_parse_from(["eks-kc", "sync", "-r", "eu-west1"]).is_err());
    // A malformed AWS_REGION is reported for the target, with the nearest name.
    let p = plan(&args(&[]), &profiles(), |k| {
        (k == "AWS_REGION").then(|| "eu-west1".to_owned())
    })
    .unwrap();
    assert!(p.targets.is_empty());
    assert!(
        p.unplanned[0].reason.contains("AWS_REGION") && p.unplanned[0].reason.contains("eu-west-1"),
        "{:?}",
        p.unplanned
    );
    // A well-formed region eks-kc does not know is tried, with a warning.
    let p = plan(&args(&["-r", "xx-newregion-9"]), &profiles(), |_| None).unwrap();
    assert_eq!(p.targets[0].region, "xx-newregion-9");
    assert_eq!(p.warnings.len(), 1);
}

// Regression: `sync` and `sync --all-profiles` flipped `profile: default` in the extension
// of the contexts both found, each run reporting them "updated".
#[test]
fn the_default_profile_is_planned_the_same_however_it_is_reached() {
    let by_chain = plan(&args(&[]), &profiles(), |_| None).unwrap();
    let listed = plan(&args(&["--all-profiles"]), &profiles(), |_| None).unwrap();
    let named = plan(&args(&["-p", "default"]), &profiles(), |_| None).unwrap();
    let from_env = plan(&args(&[]), &profiles(), |k| {
        (k == "AWS_PROFILE").then(|| "default".to_owned())
    })
    .unwrap();
    let default_of = |p: &Plan| {
        p.targets
            .iter()
            .find(|t| t.label == "default")
            .cloned()
            .unwrap()
    };
    let want = default_of(&by_chain);
    assert_eq!(want.profile, None);
    for other in [&listed, &named, &from_env] {
        assert_eq!(default_of(other), want);
    }
    // When the default chain would read something else, the profile is named explicitly.
    let other_chain = plan(&args(&["--all-profiles"]), &profiles(), |k| {
        (k == "AWS_PROFILE").then(|| "cn".to_owned())
    })
    .unwrap();
    assert_eq!(default_of(&other_chain).profile.as_deref(), Some("default"));
    let keys = plan(&args(&["-p", "default"]), &profiles(), |k| {
        (k == "AWS_ACCESS_KEY_ID").then(|| "AKIA".to_owned())
    })
    .unwrap();
    assert_eq!(default_of(&keys).profile.as_deref(), Some("default"));
    // Other profiles are always named.
    assert!(
        listed
            .targets
            .iter()
            .any(|t| t.profile.as_deref() == Some("cn"))
    );
}

#[test]
fn a_found_cluster_becomes_an_entry_with_its_exec_settings() {
    let t = Target {
        label: "ops".into(),
        profile: Some("ops".into()),
        region: "eu-west-1".into(),
    };
    let f = Found {
        name: "prod".into(),
        arn: Some("arn:aws:eks:eu-west-1:111122223333:cluster/prod".into()),
        endpoint: Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com/".into()),
        ca_data: Some("Q0E=".into()),
        status: Some("ACTIVE".into()),
        outpost_id: None,
    };
    let run = args(&[
        "--role-arn",
        "arn:aws:iam::1:role/r",
        "--role-session-name",
        "ci@team",
    ]);
    let d = desired_cluster(&t, &f, &run).unwrap();
    assert_eq!(d.server, "https://ABC.gr7.eu-west-1.eks.amazonaws.com");
    assert_eq!(d.account.as_deref(), Some("111122223333"));
    assert_eq!(d.exec.profile.as_deref(), Some("ops"));
    assert_eq!(d.exec.role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
    assert_eq!(d.exec.role_session_name.as_deref(), Some("ci@team"));
    let creating = Found {
        endpoint: None,
        ..f
    };
    assert!(desired_cluster(&t, &creating, &args(&[])).is_none());
}

#[test]
fn the_plugin_form_writes_its_stable_link_on_path() {
    use std::os::unix::fs::symlink;
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("store/v0.1.0");
    let links = root.path().join("bin");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&links).unwrap();
    let real = store.join("kubectl-eks_kc");
    std::fs::write(&real, "binary").unwrap();
    symlink(&real, links.join("kubectl-eks_kc")).unwrap();
    let path = std::env::join_paths([&links]).unwrap();
    let plugin = ["eks-kc", crate::cli::PLUGIN_FILE_NAME];
    // krew's link on PATH, not the versioned file in its store.
    assert_eq!(
        exec_command_among(Some(&real), &plugin, Some(&path)),
        links.join("kubectl-eks_kc").display().to_string()
    );
    // An eks-kc on PATH that is the same binary is preferred.
    symlink(&real, links.join("eks-kc")).unwrap();
    assert_eq!(
        exec_command_among(Some(&real), &plugin, Some(&path)),
        links.join("eks-kc").display().to_string()
    );
    // Another binary of that name is not this one: the running binary's own path.
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("kubectl-eks_kc"), "other").unwrap();
    let path = std::env::join_paths([&other]).unwrap();
    assert_eq!(
        exec_command_among(Some(&real), &plugin, Some(&path)),
        real.display().to_string()
    );
    // eks-kc itself never picks a kubectl-eks_kc.
    assert_eq!(
        exec_command_among(Some(&real), &["eks-kc"], Some(&path)),
        real.display().to_string()
    );
}

//! `eks-kc sync`: plan the (profile, region) targets, discover their clusters concurrently,
//! merge them into the kubeconfig under its lock, and report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::aws::eks::{self, Found, Outcome, Step, Target};
use crate::aws::profiles::{self, Profiles};
use crate::cli::{ExecStyleArg, SyncArgs, SyncOutput};
use crate::exec::ClusterConfig;
use crate::exit;
use crate::kubeconfig::{
    ChangeSet, ClusterId, DesiredCluster, ExecStyle, MergeOptions, NameTemplate,
};
use crate::{diagnose, kubefile, regions};

/// Label of the default credential chain when no profile is named.
const DEFAULT_LABEL: &str = "default";

/// A target that could not even be tried (no region known, unknown profile).
#[derive(Debug, Clone)]
struct Unplanned {
    label: String,
    /// `None` when no region was known.
    region: Option<String>,
    reason: String,
}

/// The targets of a run, from the flags, the environment and the AWS config files.
#[derive(Debug, Default)]
struct Plan {
    targets: Vec<Target>,
    unplanned: Vec<Unplanned>,
    credential_regions: BTreeMap<String, String>,
    /// Regions used that eks-kc does not know (perhaps new ones): one warning each.
    warnings: Vec<String>,
}

/// The profile a target named `name` reads its credentials through: `None` (the SDK's default
/// chain) for the `default` profile whenever the default chain would read that very profile
/// (no other AWS_PROFILE, no keys in the environment), else the profile itself.
///
/// `eks-kc sync` (the default chain) and `eks-kc sync --all-profiles` (which lists `default`)
/// then describe the same contexts identically, instead of flipping `profile: default` in
/// their exec extension on every alternate run.
fn credential_profile(name: &str, env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let chain_reads_default = env("AWS_PROFILE")
        .filter(|p| !p.is_empty())
        .is_none_or(|p| p == DEFAULT_LABEL)
        && !set("AWS_ACCESS_KEY_ID");
    (name != DEFAULT_LABEL || !chain_reads_default).then(|| name.to_owned())
}

fn plan(
    args: &SyncArgs,
    profiles: &Profiles,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Plan> {
    for r in &args.regions {
        regions::check(r).map_err(anyhow::Error::msg)?;
    }
    let env_region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty());
    // (label, whether a profile of that name was asked for, rather than the default chain)
    let named: Vec<(String, bool)> = if args.all_profiles {
        let names: Vec<_> = profiles.names().map(|p| (p.to_owned(), true)).collect();
        if names.is_empty() {
            bail!(
                "--all-profiles: there are no profiles in the AWS config or credentials file; run \
                 `aws configure` (access keys) or `aws configure sso` (IAM Identity Center) to \
                 create one"
            );
        }
        names
    } else if !args.profiles.is_empty() {
        let mut seen = BTreeSet::new();
        args.profiles
            .iter()
            .filter(|p| seen.insert(p.as_str()))
            .map(|p| (p.clone(), true))
            .collect()
    } else {
        match env("AWS_PROFILE").filter(|p| !p.is_empty()) {
            Some(p) => vec![(p, true)],
            None => vec![(DEFAULT_LABEL.to_owned(), false)],
        }
    };

    let mut plan = Plan::default();
    for (label, asked) in named {
        let profile = if asked {
            credential_profile(&label, &env)
        } else {
            None
        };
        if asked && !profiles.regions.contains_key(&label) {
            plan.unplanned.push(Unplanned {
                region: args.regions.first().cloned(),
                reason: format!(
                    "profile '{label}' is not in the AWS config or credentials file \
                     (`aws configure list-profiles` shows the names)"
                ),
                label,
            });
            continue;
        }
        let home_region = env_region.clone().or_else(|| {
            profiles
                .region_of(profile.as_deref().unwrap_or(DEFAULT_LABEL))
                .map(str::to_owned)
        });
        // A region from AWS_REGION or the profile is checked like --region is.
        let home_region = match home_region.as_deref().map(regions::check) {
            Some(Err(why)) if args.regions.is_empty() && !args.all_regions => {
                let source = if env_region.is_some() {
                    "AWS_REGION"
                } else {
                    "the profile's region"
                };
                plan.unplanned.push(Unplanned {
                    label,
                    region: None,
                    reason: format!("{source}: {why}"),
                });
                continue;
            }
            Some(Err(_)) => None,
            _ => home_region,
        };
        let regions: Vec<String> = if args.all_regions {
            regions::eks_regions_like(home_region.as_deref().unwrap_or("us-east-1"))
                .iter()
                .map(|r| r.to_string())
                .collect()
        } else if !args.regions.is_empty() {
            args.regions.clone()
        } else if let Some(r) = &home_region {
            vec![r.clone()]
        } else {
            plan.unplanned.push(Unplanned {
                label,
                region: None,
                reason: "no region: pass --region, set AWS_REGION, or set `region` in the profile"
                    .into(),
            });
            continue;
        };
        for r in &regions {
            if let Ok(regions::Checked::Unknown(w)) = regions::check(r)
                && !plan.warnings.contains(&w)
            {
                plan.warnings.push(w);
            }
        }
        let credential_region = home_region.unwrap_or_else(|| regions[0].clone());
        plan.credential_regions
            .insert(label.clone(), credential_region);
        for region in regions {
            plan.targets.push(Target {
                label: label.clone(),
                profile: profile.clone(),
                region,
            });
        }
    }
    Ok(plan)
}

/// What the JSON report says about one target.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetReport {
    profile: String,
    /// `null` when no region was known.
    region: Option<String>,
    /// `listed`, `failed` or `not-enabled`.
    status: &'static str,
    clusters: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    kubeconfig: PathBuf,
    dry_run: bool,
    #[serde(flatten)]
    changes: ChangeSet,
    /// Clusters found but not written (no endpoint yet, e.g. still CREATING).
    skipped: Vec<String>,
    targets: Vec<TargetReport>,
    elapsed_ms: u128,
}

pub fn run(args: &SyncArgs, out: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let template = NameTemplate::parse(&args.name_template)?;
    let profiles = profiles::load_blocking()?;
    let plan = plan(args, &profiles, |k| std::env::var(k).ok())?;
    for w in &plan.warnings {
        eprintln!("eks-kc: warning: {w}");
    }
    let path = kubefile::default_target(args.kubeconfig.as_deref())?;
    let exec_command = match &args.exec_command {
        Some(c) => c.clone(),
        None => default_exec_command(),
    };

    let bar = progress_bar(plan.targets.len());
    let progress: Arc<dyn Fn(Step) + Send + Sync> = {
        let bar = bar.clone();
        Arc::new(move |step| match step {
            Step::Listed(n) => bar.inc_length(n as u64),
            Step::Described | Step::TargetDone => bar.inc(1),
        })
    };
    let outcomes = eks::discover(
        &plan.targets,
        &eks::Options {
            concurrency: args.concurrency.into(),
            role_arn: args.role_arn.clone(),
            credential_regions: plan.credential_regions.clone(),
        },
        progress,
    )?;
    bar.finish_and_clear();

    let mut desired = vec![];
    let mut skipped = vec![];
    let mut listed = BTreeSet::new();
    let mut reports = vec![];
    for (target, outcome) in plan.targets.iter().zip(&outcomes) {
        let (status, clusters, error) = match outcome {
            Outcome::Listed(found) => {
                listed.insert((target.label.clone(), target.region.clone()));
                for f in found {
                    match desired_cluster(target, f, args.role_arn.as_deref()) {
                        Some(d) => desired.push(d),
                        None => skipped.push(format!(
                            "{} ({}/{}: no endpoint yet, status {})",
                            f.name,
                            target.label,
                            target.region,
                            f.status.as_deref().unwrap_or("unknown")
                        )),
                    }
                }
                ("listed", found.len(), None)
            }
            Outcome::NotEnabled(why) => ("not-enabled", 0, Some(why.clone())),
            Outcome::Failed(why) => ("failed", 0, Some(explain(why, target.profile.as_deref()))),
        };
        reports.push(TargetReport {
            profile: target.label.clone(),
            region: Some(target.region.clone()),
            status,
            clusters,
            error,
        });
    }
    for u in &plan.unplanned {
        let profile = credential_profile(&u.label, &|k: &str| std::env::var(k).ok());
        reports.push(TargetReport {
            profile: u.label.clone(),
            region: u.region.clone(),
            status: "failed",
            clusters: 0,
            error: Some(explain(&u.reason, profile.as_deref())),
        });
    }

    let others = other_files(args.kubeconfig.as_deref(), &path)?;
    let opts = MergeOptions {
        template: &template,
        listed: &listed,
        prune: args.prune,
        exec_command: &exec_command,
        taken_elsewhere: &others.names,
        exec_style: args.exec_style.map(|s| match s {
            ExecStyleArg::Shared => ExecStyle::Shared,
            ExecStyleArg::PerContext => ExecStyle::PerContext,
        }),
        set_current_if_none: !others.current_context,
    };
    let mut written = false;
    let changes = if listed.is_empty() {
        // Nothing was listed, so there is nothing to add, update or prune: the kubeconfig (and
        // its directory) is not even read, let alone locked or created.
        ChangeSet::default()
    } else if args.dry_run {
        let mut cfg = kubefile::read(&path)?;
        cfg.merge(&desired, &opts)?
    } else {
        let _lock = kubefile::lock(&path, Duration::from_secs(args.lock_timeout), &mut |lock| {
            eprintln!("eks-kc: waiting for {}", lock.display())
        })?;
        let mut cfg = kubefile::read(&path)?;
        let changes = cfg.merge(&desired, &opts)?;
        if changes.writes() {
            kubefile::write(&path, &cfg)?;
            written = true;
        }
        changes
    };

    let report = Report {
        kubeconfig: path,
        dry_run: args.dry_run,
        changes,
        skipped,
        targets: reports,
        elapsed_ms: started.elapsed().as_millis(),
    };
    if args.output == SyncOutput::Json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else if args.dry_run {
        write_changes(out, &report.changes)?;
    }
    let count = |status: &str| report.targets.iter().filter(|t| t.status == status).count();
    let code = exit::sync_code(
        count("listed"),
        count("failed"),
        report.changes.conflicts.len(),
    );
    print_summary(&report, args.dry_run, written, code);
    Ok(code)
}

/// A failed target's reason, replaced by the one set-up diagnosis when that is the cause (the
/// original then goes to the `-v` log).
fn explain(reason: &str, profile: Option<&str>) -> String {
    let lower = reason.to_ascii_lowercase();
    if !(lower.contains("credential") || lower.contains("no region")) {
        return reason.to_owned();
    }
    match diagnose::diagnose(&diagnose::Setup::gather(), profile, reason) {
        Some(line) => {
            tracing::debug!("{reason}");
            line
        }
        None => reason.to_owned(),
    }
}

/// What the other files kubectl merges with the target say (see [`other_files`]).
struct OtherFiles {
    /// Their cluster, context and user names, each with the file that defines it.
    names: BTreeMap<String, String>,
    /// Whether one of them sets `current-context`.
    current_context: bool,
}

/// The names and current context of every other file kubectl merges with `target`. A user
/// named `eks-kc` in one of them that eks-kc did not write is an error: every context sync
/// writes would use that user, or retarget the contexts using it.
fn other_files(explicit: Option<&std::path::Path>, target: &std::path::Path) -> Result<OtherFiles> {
    let mut others = OtherFiles {
        names: BTreeMap::new(),
        current_context: false,
    };
    for other in kubefile::view_paths(explicit)? {
        if other == target {
            continue;
        }
        let cfg = kubefile::read(&other)?;
        others.current_context |= cfg.current_context().is_some();
        let (names, foreign_user) = cfg.names_for_others();
        if foreign_user {
            bail!(
                "{} (in KUBECONFIG) has a user named '{}' that eks-kc did not write; kubectl \
                 merges users by name, so rename or remove it, then sync again",
                other.display(),
                crate::kubeconfig::USER_NAME
            );
        }
        for name in names {
            others
                .names
                .entry(name)
                .or_insert_with(|| other.display().to_string());
        }
    }
    Ok(others)
}

fn desired_cluster(target: &Target, f: &Found, role_arn: Option<&str>) -> Option<DesiredCluster> {
    let server = f.endpoint.as_deref()?.trim_end_matches('/').to_owned();
    if server.is_empty() {
        return None;
    }
    Some(DesiredCluster {
        id: ClusterId {
            profile: target.label.clone(),
            region: target.region.clone(),
            cluster_name: f.name.clone(),
        },
        account: f
            .arn
            .as_deref()
            .and_then(|a| a.split(':').nth(4))
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        arn: f.arn.clone(),
        server,
        ca_data: f.ca_data.clone(),
        exec: ClusterConfig {
            cluster_name: Some(f.name.clone()),
            region: Some(target.region.clone()),
            profile: target.profile.clone(),
            role_arn: role_arn.map(str::to_owned),
        },
    })
}

/// The exec command for eks-kc's users: the absolute path of the `eks-kc` PATH finds when it is
/// this very binary, else this binary's path. Absolute, because GUI and IDE clients started
/// from a desktop do not inherit the shell's PATH; not resolved through links, so a package
/// manager's stable link (Homebrew's, say) keeps working after an upgrade.
fn default_exec_command() -> String {
    let me = std::env::current_exe().ok();
    let same = |p: &std::path::Path| {
        me.as_ref()
            .and_then(|me| Some(p.canonicalize().ok()? == me.canonicalize().ok()?))
            .unwrap_or(false)
    };
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .filter(|d| d.is_absolute())
            .map(|d| d.join("eks-kc"))
            .find(|p| p.is_file())
    });
    match on_path {
        Some(p) if same(&p) => p.display().to_string(),
        Some(p) if me.is_none() => p.display().to_string(),
        _ => me.map_or_else(|| "eks-kc".into(), |me| me.display().to_string()),
    }
}

fn progress_bar(targets: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(targets as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} discovering clusters [{bar:30}] {pos}/{len} calls {elapsed}",
        )
        .expect("a fixed template parses")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn write_changes(out: &mut dyn Write, c: &ChangeSet) -> Result<()> {
    for (mark, names) in [("+", &c.added), ("~", &c.updated), ("-", &c.pruned)] {
        for n in names {
            writeln!(out, "{mark} {n}")?;
        }
    }
    Ok(())
}

/// Change lines shown in the text summary; the JSON report always has them all.
const SUMMARY_LINES: usize = 20;

fn print_summary(r: &Report, dry_run: bool, written: bool, code: u8) {
    let c = &r.changes;
    let mut err = std::io::stderr().lock();
    let listed = r.targets.iter().filter(|t| t.status == "listed").count();
    let clusters: usize = r.targets.iter().map(|t| t.clusters).sum();
    let verb = match (dry_run, written, code) {
        (_, _, exit::FAILURE) => "nothing could be done; nothing written to",
        (true, _, _) => "dry run, nothing written to",
        (false, true, _) => "wrote",
        (false, false, _) => "no changes to",
    };
    let _ = writeln!(
        err,
        "eks-kc: {clusters} clusters in {listed} of {} targets ({:.1}s); {verb} {}",
        r.targets.len(),
        r.elapsed_ms as f64 / 1000.0,
        r.kubeconfig.display()
    );
    if !dry_run {
        let mut sink = Vec::new();
        let _ = write_changes(&mut sink, c);
        let text = String::from_utf8_lossy(&sink);
        let lines: Vec<&str> = text.lines().collect();
        for line in lines.iter().take(SUMMARY_LINES) {
            let _ = writeln!(err, "  {line}");
        }
        if lines.len() > SUMMARY_LINES {
            let _ = writeln!(
                err,
                "  ... and {} more (--output json lists them all)",
                lines.len() - SUMMARY_LINES
            );
        }
    }
    let _ = writeln!(
        err,
        "  added {}, updated {}, unchanged {}, pruned {}",
        c.added.len(),
        c.updated.len(),
        c.unchanged.len(),
        c.pruned.len()
    );
    for t in &r.targets {
        if let Some(e) = &t.error {
            let label = if t.status == "failed" {
                "failed"
            } else {
                "skipped"
            };
            // No region: the reason says so in words (it used to be a cryptic `default/-`).
            let target = match &t.region {
                Some(region) => format!("{}/{region}", t.profile),
                None => t.profile.clone(),
            };
            let _ = writeln!(err, "  {label} {target}: {e}");
        }
    }
    for conflict in &c.conflicts {
        let _ = writeln!(
            err,
            "  conflict {} ({}/{}): {}",
            conflict.cluster.cluster_name,
            conflict.cluster.profile,
            conflict.cluster.region,
            conflict.reason
        );
    }
    for s in &r.skipped {
        let _ = writeln!(err, "  not written: {s}");
    }
    if let Some(ctx) = &c.current_context_set {
        let what = if dry_run { "would set" } else { "set" };
        let _ = writeln!(
            err,
            "  the kubeconfig had no current context: {what} it to {ctx} (switch with `eks-kc use`)"
        );
    }
    if let Some(ctx) = &c.dangling_current_context {
        let _ = writeln!(
            err,
            "  note: current-context '{ctx}' was pruned; pick another with `kubectl config use-context`"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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
            p.unplanned[0].reason.contains("AWS_REGION")
                && p.unplanned[0].reason.contains("eu-west-1"),
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
        };
        let d = desired_cluster(&t, &f, Some("arn:aws:iam::1:role/r")).unwrap();
        assert_eq!(d.server, "https://ABC.gr7.eu-west-1.eks.amazonaws.com");
        assert_eq!(d.account.as_deref(), Some("111122223333"));
        assert_eq!(d.exec.profile.as_deref(), Some("ops"));
        assert_eq!(d.exec.role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));
        let creating = Found {
            endpoint: None,
            ..f
        };
        assert!(desired_cluster(&t, &creating, None).is_none());
    }
}

//! `eks-kc sync`: plan the (profile, region) targets (`plan`), discover their clusters
//! concurrently (`crate::aws::eks`), merge them into the kubeconfig under its lock (here), and
//! report (`report`).

mod creds;
mod findings;
mod plan;
mod report;
mod sso;
mod sso_after;
mod sso_found;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::aws::eks::{self, Outcome, Step};
use crate::aws::profiles;
use crate::cli::{GlobalArgs, SyncArgs, SyncOutput};
use crate::exit;
use crate::kubeconfig;
use crate::kubeconfig::{ChangeSet, ExecStyle, MergeOptions, NameTemplate};
use crate::settings::{self, Flags, Settings};
use findings::{Findings, findings};
use plan::plan;
use report::{print_summary, progress_bar, write_changes};

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum TargetStatus {
    /// ListClusters answered (all pages); its clusters are in the merge, and it may prune.
    Listed,
    /// Not tried or not answered: nothing of it is pruned.
    Failed,
    /// An opt-in region the account has not enabled: skipped, not a failure.
    NotEnabled,
}

/// What the JSON report says about one target.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetReport {
    /// The profile label of a profile target.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
    /// The login, account and role of an IAM Identity Center target.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    sso: Option<sso::LoginIds>,
    /// `null` when no region was known.
    region: Option<String>,
    status: TargetStatus,
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
    /// The IAM Identity Center accounts of the run (absent without any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<sso::AccountReport>,
    elapsed_ms: u128,
}

impl TargetReport {
    /// How the summary names the target: `profile/region`, `session/account (id)/role/region`.
    fn describe(&self) -> String {
        let who = match (&self.profile, &self.sso) {
            (Some(p), _) => p.clone(),
            (None, Some(ids)) => ids.describe(),
            (None, None) => String::new(),
        };
        match &self.region {
            Some(region) => format!("{who}/{region}"),
            None => who,
        }
    }
}

impl Report {
    fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|t| t.status == status).count()
    }
}

/// `eks-kc sync`: the saved settings of the config file under the command line's, then [`run`].
/// A JSON consumer gets JSON even when the run could not start.
pub fn main(args: &SyncArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    let settings = Settings::of_process(Flags {
        cache_dir: global.cache_dir(None),
        ..Flags::default()
    })?;
    let config_file = settings::config_file(settings::env::var);
    let result = super::config::sync_args(
        args,
        config_file,
        settings.limits.lock,
        &mut std::io::stderr(),
    )
    .and_then(|args| run(&args, &settings, out));
    if let (Err(e), SyncOutput::Json) = (&result, args.output) {
        let _ = writeln!(out, "{}", serde_json::json!({ "error": format!("{e:#}") }));
    }
    result
}

/// `eks-kc sync`, as a pipeline: [`prepare`] the run, [`discover`] every target, fold what they
/// found into [`Findings`], [`write`] the kubeconfig, then report.
pub fn run(args: &SyncArgs, settings: &Settings, out: &mut dyn Write) -> Result<u8> {
    let started = Instant::now();
    let run = prepare(args)?;
    let discovered = discover(&run, args, settings)?;
    let findings = findings(&run, &discovered, args)?;
    let (changes, written) = write(&run, &discovered, &findings, args)?;
    adopt_hint(args.kubeconfig.as_deref());
    policy_hint(&run.exec_command);
    let report = Report {
        kubeconfig: run.path,
        dry_run: args.dry_run,
        changes,
        skipped: findings.skipped,
        targets: findings.reports,
        accounts: findings.accounts,
        elapsed_ms: started.elapsed().as_millis(),
    };
    if args.output == SyncOutput::Json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else if args.dry_run {
        write_changes(out, &report.changes)?;
    }
    let code = exit::sync_code(
        report.count(TargetStatus::Listed),
        report.count(TargetStatus::Failed),
        report.changes.conflicts.len(),
    );
    print_summary(&report, args.dry_run, written, code, args.all_regions);
    Ok(code)
}

/// What a run will do, before any network call: its targets, where it writes, with what.
struct Prepared {
    template: NameTemplate,
    plan: plan::Plan,
    sso_requests: Vec<crate::aws::org::Request>,
    /// The kubeconfig written.
    path: PathBuf,
    exec_command: String,
}

fn prepare(args: &SyncArgs) -> Result<Prepared> {
    let template = NameTemplate::parse(
        args.name_template
            .as_deref()
            .unwrap_or(crate::kubeconfig::DEFAULT_TEMPLATE),
    )?;
    let profiles = profiles::load_blocking()?;
    let env = crate::settings::env::var;
    let sso_specs = args.sso_specs();
    if sso_specs.is_empty() && !(args.sso_roles.is_empty() && args.accounts.is_empty()) {
        bail!(
            "--sso-role and --account choose among the accounts of an IAM Identity Center login: \
             add --sso-session NAME (or --sso-start-url and --sso-region), or save one with \
             `{bin} sync --sso-session NAME --save`",
            bin = crate::display::bin()
        );
    }
    let sso_requests = sso::plan(&sso_specs, args, &profiles, env)?;
    // IAM Identity Center targets replace the default profile target; named profiles join them.
    let plan = if sso_specs.is_empty() || !args.profiles.is_empty() || args.all_profiles {
        plan(args, &profiles, env)?
    } else {
        plan::Plan::default()
    };
    for w in &plan.warnings {
        eprintln!("eks-kc: warning: {w}");
    }
    Ok(Prepared {
        template,
        plan,
        sso_requests,
        path: kubeconfig::file::default_target(args.kubeconfig.as_deref())?,
        exec_command: match &args.exec_command {
            Some(c) => c.clone(),
            None => default_exec_command(),
        },
    })
}

/// What every target answered.
struct Discovered {
    /// One per profile target, in plan order.
    outcomes: Vec<Outcome>,
    /// One per IAM Identity Center login, in request order.
    sso_outcomes: Vec<crate::aws::org::LoginOutcome>,
}

/// Resolves each profile's credentials, then lists every target concurrently (profiles and
/// IAM Identity Center logins under one progress bar).
fn discover(
    run: &Prepared,
    args: &SyncArgs,
    settings: &crate::settings::Settings,
) -> Result<Discovered> {
    let plan = &run.plan;
    let credentials = creds::resolve(
        &plan.targets,
        &plan.credential_regions,
        args.role_arn.as_deref(),
        args.role_session_name.as_deref(),
        settings,
    );
    let bar = progress_bar(plan.targets.len());
    let progress: Arc<dyn Fn(Step) + Send + Sync> = {
        let bar = bar.clone();
        Arc::new(move |step| match step {
            Step::Listed(n) => bar.inc_length(n as u64),
            Step::Described | Step::TargetDone => bar.inc(1),
            Step::Targets(n) => bar.inc_length(n as u64),
        })
    };
    let outcomes = if plan.targets.is_empty() {
        vec![]
    } else {
        eks::discover(
            &plan.targets,
            &eks::Options {
                concurrency: args.concurrency.into(),
                role_arn: args.role_arn.clone(),
                role_session_name: args.role_session_name.clone(),
                credential_regions: plan.credential_regions.clone(),
                attempt_timeout: settings.limits.network,
                credentials,
            },
            progress.clone(),
        )?
    };
    let (sso_outcomes, sso_counts) = if run.sso_requests.is_empty() {
        (vec![], Default::default())
    } else {
        crate::aws::org::discover(
            &run.sso_requests,
            args.concurrency.into(),
            settings.limits.network,
            progress,
        )?
    };
    bar.finish_and_clear();
    if !args.dry_run {
        sso_after::remember_credentials(&run.sso_requests, &sso_outcomes, settings);
    }
    if sso_counts.throttled > 0 {
        tracing::info!(
            "IAM Identity Center and EKS throttled {} calls ({} retries in all)",
            sso_counts.throttled,
            sso_counts.retried
        );
    }
    Ok(Discovered {
        outcomes,
        sso_outcomes,
    })
}

/// Merges the findings into the kubeconfig under client-go's lock (or, with `--dry-run`,
/// computes what would change); returns the changes and whether the file was written.
/// Nothing listed means nothing to add, update or prune: the kubeconfig (and its directory) is
/// not even read, let alone locked or created.
fn write(
    run: &Prepared,
    discovered: &Discovered,
    findings: &Findings,
    args: &SyncArgs,
) -> Result<(ChangeSet, bool)> {
    if findings.listed.is_empty() {
        return Ok((ChangeSet::default(), false));
    }
    let path = &run.path;
    let others = other_files(args.kubeconfig.as_deref(), path)?;
    // Entries of IAM Identity Center accounts and roles no longer assigned were, in effect,
    // listed (as gone) too: --prune removes them.
    let with_vanished = |cfg: &crate::kubeconfig::Kubeconfig| {
        let mut all = findings.listed.clone();
        if args.prune {
            let existing: Vec<_> = cfg.managed_contexts().into_iter().map(|m| m.id).collect();
            all.extend(sso_after::vanished(
                &run.sso_requests,
                &discovered.sso_outcomes,
                &existing,
            ));
        }
        all
    };
    let opts = |listed| MergeOptions {
        template: &run.template,
        listed,
        prune: args.prune,
        exec_command: &run.exec_command,
        taken_elsewhere: &others.names,
        exec_style: args.exec_style.map(ExecStyle::from),
        set_current_if_none: !others.current_context,
    };
    if args.dry_run {
        let mut cfg = kubeconfig::file::read(path)?;
        let listed = with_vanished(&cfg);
        return Ok((cfg.merge(&findings.desired, &opts(&listed))?, false));
    }
    let _lock =
        kubeconfig::file::lock(path, Duration::from_secs(args.lock_timeout), &mut |lock| {
            eprintln!("eks-kc: waiting for {}", lock.display())
        })?;
    let mut cfg = kubeconfig::file::read(path)?;
    let listed = with_vanished(&cfg);
    let changes = cfg.merge(&findings.desired, &opts(&listed))?;
    let written = changes.writes();
    if written {
        kubeconfig::file::write(path, &cfg)?;
    }
    Ok((changes, written))
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
    for other in kubeconfig::file::view_paths(explicit)? {
        if other == target {
            continue;
        }
        let cfg = kubeconfig::file::read(&other)?;
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

/// One line on stderr when the kubeconfig has EKS contexts eks-kc does not serve (the AWS
/// CLI's, aws-iam-authenticator's): `eks-kc adopt` serves them under their own names.
fn adopt_hint(explicit: Option<&std::path::Path>) {
    let Ok(view) = kubeconfig::file::View::load(explicit) else {
        return;
    };
    let foreign: usize = view
        .files
        .iter()
        .map(|(_, k)| k.foreign_eks_contexts().len())
        .sum();
    if foreign > 0 {
        eprintln!(
            "eks-kc: {foreign} EKS context(s) in the kubeconfig run the AWS CLI or \
             aws-iam-authenticator for tokens; `{bin} adopt --all` serves them through eks-kc \
             under their own names (`--dry-run` shows the change)",
            bin = crate::display::bin()
        );
    }
}

/// One line on stderr when kubectl's credential plugin policy (its kuberc) would refuse the
/// command eks-kc's contexts run: every one of them would fail in kubectl >= 1.35.
fn policy_hint(exec_command: &str) {
    if let Some(problem) = crate::kubeconfig::kuberc::for_kubectl(exec_command)
        .as_ref()
        .and_then(crate::kubeconfig::kuberc::Judged::problem)
    {
        eprintln!(
            "eks-kc: warning: {problem}; `eks-kc doctor CONTEXT` prints the allowlist entry \
             that admits it"
        );
    }
}

/// The exec command for eks-kc's users: the absolute path of the `eks-kc` PATH finds when it is
/// this very binary, else (in the kubectl plugin form) of the `kubectl-eks_kc` PATH finds when
/// it is, else this binary's path. Absolute, because GUI and IDE clients started from a desktop
/// do not inherit the shell's PATH; not resolved through links, so a package manager's stable
/// link (Homebrew's, krew's `~/.krew/bin/kubectl-eks_kc`) keeps working after an upgrade. Any of
/// them works as `eks-kc token`: the plugin form behaves exactly the same.
pub(crate) fn default_exec_command() -> String {
    let argv0 = std::env::args_os().next();
    let names: &[&str] = if crate::cli::invoked_as_plugin(argv0.as_deref()) {
        &["eks-kc", crate::cli::PLUGIN_FILE_NAME]
    } else {
        &["eks-kc"]
    };
    exec_command_among(
        std::env::current_exe().ok().as_deref(),
        names,
        crate::settings::env::var_os("PATH").as_deref(),
    )
}

/// [`default_exec_command`] for the running binary `me`, the names to look for on `path` in
/// order of preference.
fn exec_command_among(
    me: Option<&std::path::Path>,
    names: &[&str],
    path: Option<&std::ffi::OsStr>,
) -> String {
    let same = |p: &std::path::Path| {
        me.and_then(|me| Some(p.canonicalize().ok()? == me.canonicalize().ok()?))
            .unwrap_or(false)
    };
    let on_path = |name: &str| {
        path.and_then(|paths| {
            std::env::split_paths(paths)
                .filter(|d| d.is_absolute())
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    };
    for name in names {
        match on_path(name) {
            Some(p) if same(&p) => return p.display().to_string(),
            Some(p) if me.is_none() => return p.display().to_string(),
            _ => {}
        }
    }
    me.map_or_else(|| "eks-kc".into(), |me| me.display().to_string())
}

#[cfg(test)]
mod tests;

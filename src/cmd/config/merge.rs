//! The command line over the saved settings, by group (documented in `eks-kc sync --help`):
//!
//! - who: any of --profile, --all-profiles, --sso-session, --sso-start-url, --role-arn replaces
//!   the saved profiles, all-profiles, sso and role-arn together (a saved role was chosen for
//!   the saved profiles; a saved login is not mixed with a profile typed now);
//! - where: --region or --all-regions replaces the saved regions and all-regions;
//! - --sso-role and --account, without a login on the command line, replace the role and
//!   account filters of each saved login;
//! - each option (--role-session-name, --name-template, --prune/--no-prune, --exec-style,
//!   --concurrency) replaces its own saved value.
//!
//! No sync flag reads the environment, so "on the command line" is exact. AWS_PROFILE and
//! AWS_REGION stay what they were before the file: defaults, below the saved settings.

use crate::cli::{DEFAULT_CONCURRENCY, SyncArgs};
use crate::config::{SyncSettings, keys};

/// The arguments a run uses, and which saved keys went into them.
#[derive(Debug, Clone)]
pub struct Applied {
    pub args: SyncArgs,
    /// The `sync` keys of the file this run uses, in file order.
    pub used: Vec<&'static str>,
}

/// `args` (the command line) over `saved` (the file's `sync:` section).
pub fn apply(args: &SyncArgs, saved: &SyncSettings) -> Applied {
    let mut a = args.clone();
    let mut used = vec![];
    let mut take = |key: &'static str, set: bool| {
        if set {
            used.push(key);
        }
    };
    let who_given = !a.profiles.is_empty()
        || a.all_profiles
        || !a.sso_sessions.is_empty()
        || a.sso_start_url.is_some()
        || a.role_arn.is_some();
    if !who_given {
        a.profiles.clone_from(&saved.profiles);
        a.all_profiles = saved.all_profiles;
        a.role_arn.clone_from(&saved.role_arn);
        a.saved_sso.clone_from(&saved.sso);
        for spec in &mut a.saved_sso {
            if !args.sso_roles.is_empty() {
                spec.roles.clone_from(&args.sso_roles);
            }
            if !args.accounts.is_empty() {
                spec.accounts.clone_from(&args.accounts);
            }
        }
        take("profiles", !saved.profiles.is_empty());
        take("all-profiles", saved.all_profiles);
        take("role-arn", saved.role_arn.is_some());
        take("sso", !saved.sso.is_empty());
    }
    if a.regions.is_empty() && !a.all_regions {
        a.regions.clone_from(&saved.regions);
        a.all_regions = saved.all_regions;
        take("regions", !saved.regions.is_empty());
        take("all-regions", saved.all_regions);
    }
    if a.role_session_name.is_none() {
        a.role_session_name.clone_from(&saved.role_session_name);
        take("role-session-name", saved.role_session_name.is_some());
    }
    if a.name_template.is_none() {
        a.name_template.clone_from(&saved.name_template);
        take("name-template", saved.name_template.is_some());
    }
    if !a.prune && !a.no_prune {
        a.prune = saved.prune;
        take("prune", saved.prune);
    }
    if a.no_prune {
        a.prune = false;
    }
    if a.exec_style.is_none() {
        a.exec_style = saved.exec_style.map(Into::into);
        take("exec-style", saved.exec_style.is_some());
    }
    if !a.concurrency_given
        && let Some(n) = saved.concurrency
    {
        a.concurrency = n;
        take("concurrency", true);
    }
    used.sort_by_key(|k| keys::SYNC.iter().position(|s| s == k));
    Applied { args: a, used }
}

/// What `--save` keeps of a run whose arguments are `args` (the result of [`apply`]): its
/// targets and options; not --kubeconfig, --exec-command, --dry-run, --output or the lock wait,
/// which belong to one run.
pub fn to_save(args: &SyncArgs) -> SyncSettings {
    SyncSettings {
        profiles: args.profiles.clone(),
        all_profiles: args.all_profiles,
        regions: args.regions.clone(),
        all_regions: args.all_regions,
        role_arn: args.role_arn.clone(),
        role_session_name: args.role_session_name.clone(),
        sso: args.sso_specs(),
        name_template: args.name_template.clone(),
        prune: args.prune && !args.no_prune,
        exec_style: args.exec_style.map(Into::into),
        concurrency: (args.concurrency != DEFAULT_CONCURRENCY).then_some(args.concurrency),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ExecStyleArg;
    use crate::config::tests::{FULL, args, settings};

    #[test]
    fn without_saved_settings_the_command_line_is_unchanged() {
        let a = args(&["-p", "dev", "--concurrency", "3"]);
        let applied = apply(&a, &SyncSettings::default());
        assert!(applied.used.is_empty());
        assert_eq!(applied.args.profiles, a.profiles);
        assert_eq!(applied.args.concurrency, 3);
        assert!(applied.args.saved_sso.is_empty() && !applied.args.prune);
    }

    #[test]
    fn a_bare_sync_runs_the_saved_settings() {
        let saved = settings(FULL);
        let applied = apply(&args(&[]), &saved);
        let a = &applied.args;
        assert_eq!(a.profiles, ["dev", "prod"]);
        assert_eq!(a.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(a.sso_specs(), saved.sso);
        assert_eq!(a.name_template.as_deref(), Some("{cluster}@{profile}"));
        assert!(a.prune);
        assert_eq!(a.exec_style, Some(ExecStyleArg::PerContext));
        assert_eq!(a.concurrency, 8);
        assert_eq!(
            applied.used,
            [
                "profiles",
                "regions",
                "sso",
                "name-template",
                "prune",
                "exec-style",
                "concurrency"
            ]
        );
    }

    #[test]
    fn flags_replace_saved_settings_by_group() {
        let saved = settings(FULL);
        // A profile on the command line replaces every saved "who": profiles and logins.
        let a = apply(&args(&["-p", "sandbox"]), &saved).args;
        assert_eq!(a.profiles, ["sandbox"]);
        assert!(a.saved_sso.is_empty());
        assert_eq!(
            a.regions,
            ["eu-west-1", "us-east-1"],
            "regions are another group"
        );
        // So does a login, or a role.
        let a = apply(&args(&["--sso-session", "other"]), &saved).args;
        assert!(a.profiles.is_empty());
        assert_eq!(a.sso_specs()[0].session.as_deref(), Some("other"));
        let a = apply(&args(&["--role-arn", "arn:aws:iam::1:role/r"]), &saved).args;
        assert!(a.profiles.is_empty() && a.saved_sso.is_empty());
        // A region replaces the saved regions, --all-regions too; the profiles stay.
        let a = apply(&args(&["-r", "ap-south-1"]), &saved).args;
        assert_eq!(
            (a.profiles.len(), a.regions.as_slice()),
            (2, &["ap-south-1".to_owned()][..])
        );
        let a = apply(&args(&["--all-regions"]), &saved).args;
        assert!(a.all_regions && a.regions.is_empty());
        // Filters without a login replace each saved login's filters.
        let a = apply(&args(&["--sso-role", "Dev", "--account", "1*"]), &saved).args;
        assert!(
            a.saved_sso
                .iter()
                .all(|s| s.roles == ["Dev"] && s.accounts == ["1*"])
        );
        // Options one by one; --no-prune turns a saved prune off; an explicit default concurrency
        // still wins.
        let a = apply(
            &args(&[
                "--no-prune",
                "--concurrency",
                "128",
                "--exec-style",
                "shared",
            ]),
            &saved,
        );
        assert!(!a.args.prune);
        assert_eq!(a.args.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(a.args.exec_style, Some(ExecStyleArg::Shared));
        assert_eq!(a.args.name_template.as_deref(), Some("{cluster}@{profile}"));
        assert!(!a.used.contains(&"prune") && !a.used.contains(&"concurrency"));
    }

    #[test]
    fn save_keeps_the_run_s_targets_and_options() {
        let saved = settings(FULL);
        let a = apply(
            &args(&["-r", "ap-south-1", "--no-prune", "--kubeconfig", "/k"]),
            &saved,
        )
        .args;
        let s = to_save(&a);
        assert_eq!(s.profiles, ["dev", "prod"]);
        assert_eq!(s.regions, ["ap-south-1"]);
        assert_eq!(s.sso, saved.sso);
        assert!(!s.prune);
        assert_eq!(s.concurrency, Some(8));
        // The command line's logins share its filters, each saved as an entry of its own.
        let s = to_save(&args(&[
            "--sso-session",
            "a",
            "--sso-session",
            "b",
            "--sso-role",
            "R",
        ]));
        assert_eq!(s.sso.len(), 2);
        assert!(s.sso.iter().all(|e| e.roles == ["R"]));
        // Defaults are left unsaid.
        assert_eq!(to_save(&args(&[])), SyncSettings::default());
    }
}

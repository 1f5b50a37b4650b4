//! The merge `sync` applies: the clusters found in a run, written under eks-kc's ownership
//! rules (only entries carrying its marker are changed or pruned; names are stable; a taken name
//! is a conflict), with the exec style chosen for the contexts it writes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::{
    ClusterId, Kubeconfig, MARKER, Marker, NameTemplate, Section, USER_NAME, context_user,
    is_marked, marker_of, name_of, set_extension, to_value,
};
use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// How managed contexts authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecStyle {
    /// Every context uses the one generic user [`USER_NAME`] (`eks-kc token`); the plugin learns
    /// the cluster from the cluster's exec extension, which client-go passes with
    /// `provideClusterInfo`.
    Shared,
    /// Each context has its own user `eks-kc@<context>` whose args name cluster, region, profile
    /// and role, for clients that pass no cluster to exec plugins.
    PerContext,
}

/// The user a per-context context uses.
pub fn per_context_user(context: &str) -> String {
    format!("{USER_NAME}@{context}")
}

/// A cluster `sync` found and wants in the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredCluster {
    pub id: ClusterId,
    pub arn: Option<String>,
    /// AWS account id, for the `{account}` template variable.
    pub account: Option<String>,
    pub server: String,
    pub ca_data: Option<String>,
    /// What `eks-kc token` will read from the exec extension.
    pub exec: ClusterConfig,
    /// Template fields beyond the cluster's identity, and a template of its own.
    pub naming: Naming,
}

/// What names an IAM Identity Center cluster: `{account_name}`, `{role}`, `{sso_session}`, and
/// the template its kind of target defaults to (`None`: the run's template).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    pub account_name: Option<String>,
    pub role: Option<String>,
    pub sso_session: Option<String>,
    pub template: Option<NameTemplate>,
}

/// How the merge should treat the kubeconfig.
#[derive(Debug, Clone)]
pub struct MergeOptions<'a> {
    pub template: &'a NameTemplate,
    /// (profile, region) pairs that were listed successfully in this run: only their vanished
    /// clusters may be pruned.
    pub listed: &'a BTreeSet<(String, String)>,
    pub prune: bool,
    /// The exec `command` of the generic user.
    pub exec_command: &'a str,
    /// Cluster, context and user names defined by the other files of KUBECONFIG, with the file
    /// that defines each: client-go merges by name (the first file wins), so a new entry of the
    /// same name would shadow that one or be shadowed by it.
    pub taken_elsewhere: &'a BTreeMap<String, String>,
    /// The exec style of the contexts this merge writes; `None` keeps the style the file uses
    /// (per-context when any managed context has its own user), else shared.
    pub exec_style: Option<ExecStyle>,
    /// Set `current-context` to a context this merge wrote when the kubeconfig (every file of
    /// KUBECONFIG) has none; a current context that is set is never changed.
    pub set_current_if_none: bool,
}

/// Entry positions by name, kept current as entries are added.
struct Positions {
    clusters: std::collections::HashMap<String, usize>,
    contexts: std::collections::HashMap<String, usize>,
}

pub use super::changes::{ChangeSet, Conflict, ConflictReason};

impl Kubeconfig {
    /// Applies `desired` (the clusters found in this run) under eks-kc's ownership rules, in
    /// steps: prune, then write each wanted cluster under its name, then tidy the users and
    /// choose a current context when there is none.
    pub fn merge(
        &mut self,
        desired: &[DesiredCluster],
        opts: &MergeOptions<'_>,
    ) -> Result<ChangeSet> {
        let mut changes = ChangeSet::default();
        let style = opts.exec_style.unwrap_or_else(|| self.exec_style());
        if style == ExecStyle::Shared {
            self.check_user_is_ours()?;
        }
        // Prune first, so a name a pruned entry held is free for a cluster of this run (an
        // account's role replaced by another, say), instead of a conflict until the next run.
        if opts.prune {
            self.prune(desired, opts, &mut changes);
        }
        self.write_wanted(desired, opts, style, &mut changes);
        changes.user_changed |= self.tidy_users(opts.exec_command);
        if opts.set_current_if_none && self.current_context().is_none() {
            self.choose_current(&mut changes);
        }
        changes.added.sort();
        changes.updated.sort();
        changes.unchanged.sort();
        changes.pruned.sort();
        Ok(changes)
    }

    /// Removes the managed entries of clusters gone from targets this run listed.
    fn prune(&mut self, desired: &[DesiredCluster], opts: &MergeOptions<'_>, c: &mut ChangeSet) {
        let wanted: BTreeSet<&ClusterId> = desired.iter().map(|d| &d.id).collect();
        let doomed: BTreeSet<ClusterId> = self
            .list(Section::Clusters)
            .iter()
            .filter_map(|e| Some(marker_of(e)?.id))
            .filter(|id| {
                !wanted.contains(id)
                    && opts
                        .listed
                        .contains(&(id.profile.clone(), id.region.clone()))
            })
            .collect();
        if doomed.is_empty() {
            return;
        }
        let pruned = self.remove_managed(&doomed);
        if let Some(current) = self.current_context()
            && pruned.iter().any(|p| p == current)
        {
            c.dangling_current_context = Some(current.to_owned());
        }
        c.pruned = pruned;
    }

    /// Writes (adds or updates) the cluster, context and per-context user of every wanted
    /// cluster that may be written, recording a conflict for each that may not.
    fn write_wanted(
        &mut self,
        desired: &[DesiredCluster],
        opts: &MergeOptions<'_>,
        style: ExecStyle,
        changes: &mut ChangeSet,
    ) {
        // Where each managed cluster lives today, by identity.
        let existing: BTreeMap<ClusterId, String> = self
            .list(Section::Clusters)
            .iter()
            .filter_map(|e| Some((marker_of(e)?.id, e.get("name")?.as_str()?.to_owned())))
            .collect();
        let mut taken: BTreeSet<String> = self.names(Section::Clusters).into_iter().collect();
        taken.extend(self.names(Section::Contexts));
        // Entry positions by name, so each cluster costs a lookup, not a scan of the file.
        let mut pos = Positions {
            clusters: self.positions(Section::Clusters),
            contexts: self.positions(Section::Contexts),
        };
        // Contexts `eks-kc adopt` took over stand for their clusters: updated in place, never
        // duplicated under a template name. Hand-written `eks-kc token` contexts are left alone.
        let served = self.served_elsewhere();

        let mut sorted: Vec<&DesiredCluster> = desired.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        sorted.dedup_by(|a, b| a.id == b.id);
        for want in sorted {
            let known = existing.get(&want.id);
            if self.served_elsewhere_as(&served, want, known.is_some(), changes) {
                continue;
            }
            let placed = self.place(want, known, &taken, &pos, opts, style);
            let (name, user) = match placed {
                Ok(placed) => placed,
                Err((name, reason)) => {
                    changes.conflicts.push(Conflict {
                        name,
                        cluster: want.id.clone(),
                        reason,
                    });
                    continue;
                }
            };
            taken.insert(name.clone());
            let changed = self.write_entries(want, &name, &user, &mut pos, opts, style);
            match (known.is_some(), changed) {
                (false, _) => changes.added.push(name),
                (true, true) => changes.updated.push(name),
                (true, false) => changes.unchanged.push(name),
            }
        }
    }

    /// The name and user `want` is written under, or why it cannot be: names are stable (an
    /// entry keeps its name whatever the template says now), and a new name must be free here
    /// and in every other file of KUBECONFIG.
    fn place(
        &self,
        want: &DesiredCluster,
        known: Option<&String>,
        taken: &BTreeSet<String>,
        pos: &Positions,
        opts: &MergeOptions<'_>,
        style: ExecStyle,
    ) -> std::result::Result<(String, String), (String, ConflictReason)> {
        let name = match known {
            Some(name) => name.clone(),
            None => {
                let name = opts.template.render(want);
                if let Some(file) = opts.taken_elsewhere.get(&name) {
                    let file = file.clone();
                    let reason = ConflictReason::NameInOtherFile {
                        name: name.clone(),
                        file,
                    };
                    return Err((name, reason));
                }
                if taken.contains(&name) {
                    let reason = ConflictReason::NameTaken { name: name.clone() };
                    return Err((name, reason));
                }
                name
            }
        };
        // The context of a managed cluster may since have been replaced by a person's own.
        if let Some(&i) = pos.contexts.get(&name)
            && marker_of(&self.list(Section::Contexts)[i]).is_none()
        {
            let reason = ConflictReason::ForeignContext { name: name.clone() };
            return Err((name, reason));
        }
        let user = match style {
            ExecStyle::Shared => USER_NAME.to_owned(),
            ExecStyle::PerContext => per_context_user(&name),
        };
        if let Some(why) = self.user_conflict(&user, opts.taken_elsewhere) {
            return Err((name, why));
        }
        Ok((name, user))
    }

    /// Writes the cluster and context entries of `want` under `name` (and its per-context user);
    /// says whether anything changed.
    fn write_entries(
        &mut self,
        want: &DesiredCluster,
        name: &str,
        user: &str,
        pos: &mut Positions,
        opts: &MergeOptions<'_>,
        style: ExecStyle,
    ) -> bool {
        let marker = Marker {
            managed_by: MARKER.to_owned(),
            id: want.id.clone(),
            arn: want.arn.clone(),
        };
        let cluster_changed = self.edit_entry(Section::Clusters, name, &mut pos.clusters, |body| {
            body.insert("server".into(), want.server.clone().into());
            match &want.ca_data {
                Some(ca) => body.insert("certificate-authority-data".into(), ca.clone().into()),
                None => body.remove("certificate-authority-data"),
            };
            set_extension(body, EXEC_EXTENSION_NAME, to_value(&want.exec));
            set_extension(body, MARKER, to_value(&marker));
        });
        let context_changed = self.edit_entry(Section::Contexts, name, &mut pos.contexts, |body| {
            body.insert("cluster".into(), name.into());
            body.insert("user".into(), user.into());
            set_extension(body, MARKER, to_value(&marker));
        });
        let user_changed = style == ExecStyle::PerContext
            && self.upsert_user(user, &exec_stanza(opts.exec_command, Some(&want.exec)));
        cluster_changed || context_changed || user_changed
    }

    /// The shared user exists while a managed context uses it; a managed user no context uses
    /// any more (pruned, or its context switched style) goes. Says whether a user changed.
    fn tidy_users(&mut self, exec_command: &str) -> bool {
        let referenced: BTreeSet<String> = self
            .list(Section::Contexts)
            .iter()
            .filter_map(|c| context_user(c).map(str::to_owned))
            .collect();
        let shared_used = self.list(Section::Contexts).iter().any(|c| {
            is_marked(c)
                && c.get("context")
                    .and_then(|b| b.get("user"))
                    .and_then(Value::as_str)
                    == Some(USER_NAME)
        });
        let mut changed = false;
        if shared_used {
            changed |= self.upsert_user(USER_NAME, &exec_stanza(exec_command, None));
        }
        let users = self.list_mut(Section::Users);
        let before = users.len();
        users.retain(|u| !is_marked(u) || name_of(u).is_some_and(|n| referenced.contains(n)));
        changed | (users.len() != before)
    }

    /// A kubeconfig without a current context gets the first of the contexts this run wrote.
    fn choose_current(&mut self, changes: &mut ChangeSet) {
        let mut written: Vec<&String> = changes
            .added
            .iter()
            .chain(&changes.updated)
            .chain(&changes.unchanged)
            .collect();
        written.sort();
        if let Some(first) = written.first().map(|s| s.to_string()) {
            self.set_current_context(&first);
            changes.current_context_set = Some(first);
        }
    }

    /// A user named `eks-kc` that eks-kc did not write is someone else's: refuse to touch it.
    fn check_user_is_ours(&self) -> Result<()> {
        if self.has_foreign_user() {
            bail!(
                "the kubeconfig already has a user named '{USER_NAME}' that eks-kc did not \
                 write; rename or remove it, then sync again"
            );
        }
        Ok(())
    }

    /// Why the managed user `user` cannot be written: a user of that name that eks-kc did not
    /// write, in this file or another file of KUBECONFIG.
    fn user_conflict(
        &self,
        user: &str,
        elsewhere: &BTreeMap<String, String>,
    ) -> Option<ConflictReason> {
        if user == USER_NAME {
            return None; // checked once for the whole merge (check_user_is_ours)
        }
        if let Some(file) = elsewhere.get(user) {
            return Some(ConflictReason::ForeignUser {
                user: user.to_owned(),
                file: Some(file.clone()),
            });
        }
        self.list(Section::Users)
            .iter()
            .any(|u| name_of(u) == Some(user) && !is_marked(u))
            .then(|| ConflictReason::ForeignUser {
                user: user.to_owned(),
                file: None,
            })
    }

    /// Creates or updates the managed user `name` with `exec`; says whether anything changed.
    fn upsert_user(&mut self, name: &str, exec: &Mapping) -> bool {
        let mut positions = self.positions(Section::Users);
        self.edit_entry(Section::Users, name, &mut positions, |body| {
            // Keep keys a person added to the exec stanza (env, installHint).
            match body.get_mut("exec") {
                Some(Value::Mapping(existing)) => {
                    existing.extend(exec.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                _ => {
                    body.insert("exec".into(), Value::Mapping(exec.clone()));
                }
            }
            set_extension(
                body,
                MARKER,
                to_value(BTreeMap::from([("managedBy", MARKER)])),
            );
        })
    }

    /// Removes the managed clusters `doomed` and the managed contexts that point at them, in one
    /// pass over each list; returns the context names removed, sorted.
    fn remove_managed(&mut self, doomed: &BTreeSet<ClusterId>) -> Vec<String> {
        let is_doomed = |e: &Value| marker_of(e).is_some_and(|m| doomed.contains(&m.id));
        self.list_mut(Section::Clusters).retain(|e| !is_doomed(e));
        let mut removed = vec![];
        self.list_mut(Section::Contexts).retain(|c| {
            let gone = is_doomed(c);
            if gone && let Some(n) = name_of(c) {
                removed.push(n.to_owned());
            }
            !gone
        });
        removed.sort();
        removed
    }
}

/// The exec stanza of a managed user: `eks-kc token`, and for a per-context user the cluster's
/// settings as flags (for clients that pass no cluster to the plugin).
pub(super) fn exec_stanza(command: &str, per_context: Option<&ClusterConfig>) -> Mapping {
    let mut args: Vec<Value> = vec!["token".into()];
    if let Some(c) = per_context {
        for (flag, value) in [
            ("--cluster-name", &c.cluster_name),
            ("--cluster-id", &c.cluster_id),
            ("--region", &c.region),
            ("--profile", &c.profile),
            ("--role-arn", &c.role_arn),
            ("--role-session-name", &c.role_session_name),
            ("--sso-session", &c.sso_session),
            ("--sso-start-url", &c.sso_start_url),
            ("--sso-region", &c.sso_region),
            ("--account-id", &c.account_id),
            ("--role-name", &c.role_name),
        ] {
            if let Some(v) = value {
                args.push(flag.into());
                args.push(v.as_str().into());
            }
        }
    }
    let mut exec = Mapping::new();
    exec.insert("apiVersion".into(), crate::exec::V1BETA1.into());
    exec.insert("command".into(), command.into());
    exec.insert("args".into(), Value::Sequence(args));
    exec.insert("provideClusterInfo".into(), true.into());
    exec.insert("interactiveMode".into(), "IfAvailable".into());
    exec
}

//! `eks-kc adopt`: EKS contexts another tool wrote, served by `eks-kc token` under their own
//! names, and the undo. Pure, like the merge.
//!
//! A context's user entry is rewritten in place (same name) when every context that uses it
//! is adopted with it and signs as the same identity; the old user body is kept whole in the
//! user's eks-kc marker, so the undo puts it back as it was. A user entry that another context
//! still needs as it is (a non-EKS context, one not adopted, another identity) is left alone:
//! the adopted context gets a user of its own, `eks-kc@CONTEXT`, and the undo points it back.
//! Context and cluster entries are otherwise untouched; the shared exec style adds the exec
//! extension to the cluster entry (recorded, and removed by the undo).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use super::foreign::identify_context;
use super::merge::exec_stanza;
use super::{
    ExecStyle, Kubeconfig, MARKER, Section, body_mut, context_user, extension, marker_value,
    name_of, per_context_user, set_extension, to_value,
};
use crate::exec::stanza::{EksIdentity, Writer, command_line};
use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// What `adopt` did (or would do) to one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adopted {
    pub context: String,
    /// The user entry the context now uses.
    pub user: String,
    /// The context got a user of its own (its old user still serves other contexts).
    pub own_user: bool,
    /// The command the context ran, and the one it runs now.
    pub was: String,
    pub now: String,
}

/// The outcome for the chosen contexts of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adoption {
    pub adopted: Vec<Adopted>,
    /// Contexts left as they were, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// The eks-kc marker of an adopted user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdoptMarker {
    managed_by: String,
    /// The identity the user signs as now.
    adopted: ClusterConfig,
    /// In place: the user body before the adopt (`None` for a user of the context's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original: Option<Value>,
    /// A user of the context's own: that context, and the user it used before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original_user: Option<String>,
    /// Cluster entries given the exec extension (shared style), and whether their
    /// `extensions` list was created for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cluster_extensions: Vec<(String, bool)>,
}

impl Kubeconfig {
    /// Rewrites the users of contexts `names` (defined in this file) to `eks-kc token` with the
    /// identity their command signs as. `exec_command` is the command written (`eks-kc`).
    pub fn adopt(&mut self, names: &[String], style: ExecStyle, exec_command: &str) -> Adoption {
        let mut out = Adoption::default();
        let mut chosen: BTreeMap<String, Vec<(String, String, EksIdentity)>> = BTreeMap::new();
        for name in names {
            match self.adoptable(name) {
                Ok((cluster, user, id)) => {
                    chosen
                        .entry(user.clone())
                        .or_default()
                        .push((name.clone(), cluster, id))
                }
                Err(why) => out.skipped.push((name.clone(), why)),
            }
        }
        let contexts_of = self.contexts_by_user();
        for (user, contexts) in chosen {
            let all_here = contexts_of
                .get(&user)
                .into_iter()
                .flatten()
                .all(|c| contexts.iter().any(|(n, _, _)| n == c));
            let one_signer = contexts
                .iter()
                .all(|(_, _, id)| id.same_signer(&contexts[0].2));
            if all_here && one_signer {
                self.adopt_in_place(&user, &contexts, style, exec_command, &mut out);
            } else {
                for (name, _, id) in &contexts {
                    self.adopt_own_user(name, &user, id, exec_command, &mut out);
                }
            }
        }
        out.adopted.sort_by(|a, b| a.context.cmp(&b.context));
        out
    }

    /// The cluster entry, user and identity of a context adopt can take, or why not.
    fn adoptable(&self, name: &str) -> Result<(String, String, EksIdentity), String> {
        let Some((cluster, user)) = self.context_refs(name) else {
            return Err("no such context in this file, or it names no cluster and user".into());
        };
        if self.entry(Section::Users, &user).is_none() {
            return Err(format!(
                "its user '{user}' is defined in another file (or nowhere); adopt changes a \
                 user only in the file of its context"
            ));
        }
        if self.is_adopted_user(&user) {
            return Err("already adopted".into());
        }
        let found = identify_context(&[self], name)?;
        if found.identity.writer == Writer::EksKc {
            return Err("already served by `eks-kc token`".into());
        }
        Ok((cluster, user, found.identity))
    }

    fn adopt_in_place(
        &mut self,
        user: &str,
        contexts: &[(String, String, EksIdentity)],
        style: ExecStyle,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let id = &contexts[0].2;
        let config = id.cluster_config();
        let mut cluster_extensions = vec![];
        if style == ExecStyle::Shared {
            for (_, cluster, _) in contexts {
                if cluster_extensions.iter().any(|(c, _)| c == cluster) {
                    continue;
                }
                match self.add_exec_extension(cluster, &config) {
                    Some(created) => cluster_extensions.push((cluster.clone(), created)),
                    // The cluster already has an exec extension of another's: name it all in
                    // the user's args instead.
                    None => return self.in_place_with(user, contexts, None, exec_command, out),
                }
            }
        }
        let shared = (style == ExecStyle::Shared).then_some(cluster_extensions);
        self.in_place_with(user, contexts, shared, exec_command, out);
    }

    /// Rewrites user `user`; `shared`: the exec extensions added for the shared style, `None`
    /// for args that name the cluster.
    fn in_place_with(
        &mut self,
        user: &str,
        contexts: &[(String, String, EksIdentity)],
        shared: Option<Vec<(String, bool)>>,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let id = &contexts[0].2;
        let config = id.cluster_config();
        let exec = exec_stanza(exec_command, shared.is_none().then_some(&config));
        let now = command_line(
            &crate::kubeconfig::foreign::stanza_of(
                user,
                &Value::Mapping(Mapping::from_iter([("exec".into(), exec.clone().into())])),
            )
            .unwrap_or_default(),
        );
        let Some(entry) = self
            .list_mut(Section::Users)
            .iter_mut()
            .find(|e| name_of(e) == Some(user))
        else {
            return;
        };
        let original = entry.get("user").cloned().unwrap_or(Value::Null);
        let marker = AdoptMarker {
            managed_by: MARKER.to_owned(),
            adopted: config,
            original: Some(original),
            context: None,
            original_user: None,
            cluster_extensions: shared.unwrap_or_default(),
        };
        let mut body = Mapping::new();
        body.insert("exec".into(), Value::Mapping(exec));
        set_extension(&mut body, MARKER, to_value(&marker));
        *body_mut(entry, "user") = body;
        for (context, _, id) in contexts {
            out.adopted.push(Adopted {
                context: context.clone(),
                user: user.to_owned(),
                own_user: false,
                was: id.command_line.clone(),
                now: now.clone(),
            });
        }
    }

    fn adopt_own_user(
        &mut self,
        context: &str,
        user: &str,
        id: &EksIdentity,
        exec_command: &str,
        out: &mut Adoption,
    ) {
        let own = per_context_user(context);
        if self.entry(Section::Users, &own).is_some() {
            out.skipped.push((
                context.to_owned(),
                format!(
                    "its user '{user}' also serves other contexts, and the name '{own}' for a \
                     user of its own is taken"
                ),
            ));
            return;
        }
        let config = id.cluster_config();
        let exec = exec_stanza(exec_command, Some(&config));
        let marker = AdoptMarker {
            managed_by: MARKER.to_owned(),
            adopted: config,
            original: None,
            context: Some(context.to_owned()),
            original_user: Some(user.to_owned()),
            cluster_extensions: vec![],
        };
        let mut body = Mapping::new();
        body.insert("exec".into(), Value::Mapping(exec.clone()));
        set_extension(&mut body, MARKER, to_value(&marker));
        let mut entry = Mapping::new();
        entry.insert("name".into(), own.as_str().into());
        entry.insert("user".into(), Value::Mapping(body));
        self.list_mut(Section::Users).push(Value::Mapping(entry));
        self.set_context_user(context, &own);
        let now = Value::Mapping(Mapping::from_iter([("exec".into(), exec.into())]));
        out.adopted.push(Adopted {
            context: context.to_owned(),
            user: own.clone(),
            own_user: true,
            was: id.command_line.clone(),
            now: crate::kubeconfig::foreign::stanza_of(&own, &now)
                .map(|s| command_line(&s))
                .unwrap_or_default(),
        });
    }

    fn set_context_user(&mut self, context: &str, user: &str) {
        if let Some(entry) = self
            .list_mut(Section::Contexts)
            .iter_mut()
            .find(|e| name_of(e) == Some(context))
        {
            body_mut(entry, "context").insert("user".into(), user.into());
        }
    }

    /// Adds the exec extension to cluster entry `name`: `Some(created the extensions list)`,
    /// `None` when it has one already with other content.
    fn add_exec_extension(&mut self, name: &str, config: &ClusterConfig) -> Option<bool> {
        let value = to_value(config);
        let entry = self
            .list_mut(Section::Clusters)
            .iter_mut()
            .find(|e| name_of(e) == Some(name))?;
        let body = body_mut(entry, "cluster");
        let existing = body.get("extensions").cloned();
        if let Some(list) = &existing {
            match extension(&Value::Mapping(body.clone()), EXEC_EXTENSION_NAME) {
                Some(v) if *v == value => return Some(false),
                Some(_) => return None,
                None if !list.is_sequence() => return None,
                None => {}
            }
        }
        set_extension(body, EXEC_EXTENSION_NAME, value);
        Some(existing.is_none())
    }

    /// The contexts of each user, in one pass (a file of thousands stays linear).
    fn contexts_by_user(&self) -> BTreeMap<String, Vec<String>> {
        let mut contexts_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in self.list(Section::Contexts) {
            if let (Some(user), Some(name)) = (context_user(c), name_of(c)) {
                contexts_of
                    .entry(user.to_owned())
                    .or_default()
                    .push(name.to_owned());
            }
        }
        contexts_of
    }

    /// Undoes `adopt` for contexts `names` (`None`: every adopted context): each user gets its
    /// old body back, each context its old user. Returns the contexts restored, sorted.
    pub fn undo_adopt(&mut self, names: Option<&[String]>) -> Vec<String> {
        let wanted = |c: &str| names.is_none_or(|n| n.iter().any(|x| x == c));
        let contexts_of = self.contexts_by_user();
        let (undone, kept): (Vec<_>, Vec<_>) = self
            .list(Section::Users)
            .iter()
            .filter_map(|u| Some((name_of(u)?.to_owned(), adopt_marker(u)?)))
            .partition(|(user, _)| {
                contexts_of
                    .get(user)
                    .is_some_and(|cs| cs.iter().any(|c| wanted(c)))
            });
        // Exec extensions adopt added stay while a user still adopted relies on them.
        let still_used: BTreeSet<&str> = kept
            .iter()
            .flat_map(|(_, m)| m.cluster_extensions.iter().map(|(c, _)| c.as_str()))
            .collect();
        let mut extensions: BTreeMap<String, bool> = BTreeMap::new();
        let mut gone: BTreeSet<String> = BTreeSet::new();
        let mut restored = vec![];
        let positions = self.positions(Section::Users);
        for (user, marker) in &undone {
            if let Some(original) = &marker.original {
                if let Some(entry) = positions
                    .get(user)
                    .and_then(|&i| self.list_mut(Section::Users)[i].as_mapping_mut())
                {
                    entry.insert("user".into(), original.clone());
                }
                for (cluster, created) in &marker.cluster_extensions {
                    if !still_used.contains(cluster.as_str()) {
                        *extensions.entry(cluster.clone()).or_default() |= *created;
                    }
                }
                restored.extend(contexts_of.get(user).cloned().unwrap_or_default());
            } else if let (Some(ctx), Some(old)) = (&marker.context, &marker.original_user) {
                self.set_context_user(ctx, old);
                gone.insert(user.clone());
                restored.push(ctx.clone());
            }
        }
        if !gone.is_empty() {
            self.list_mut(Section::Users)
                .retain(|e| name_of(e).is_none_or(|n| !gone.contains(n)));
        }
        let clusters = self.positions(Section::Clusters);
        for (cluster, created) in extensions {
            if let Some(&i) = clusters.get(&cluster) {
                self.remove_exec_extension(i, created);
            }
        }
        restored.sort();
        restored
    }

    /// Removes the exec extension adopt added to cluster entry `i` (and the `extensions` list,
    /// when adopt created it and nothing else is in it).
    fn remove_exec_extension(&mut self, i: usize, created: bool) {
        let body = body_mut(&mut self.list_mut(Section::Clusters)[i], "cluster");
        if let Some(Value::Sequence(list)) = body.get_mut("extensions") {
            list.retain(|e| e.get("name").and_then(Value::as_str) != Some(EXEC_EXTENSION_NAME));
            if created && list.is_empty() {
                body.remove("extensions");
            }
        }
    }

    /// The adopted contexts of this file: name, cluster entry and the identity they sign as.
    /// (Linear: the adopted users are found once, not looked up by name for each context, which
    /// made `list` quadratic in the number of contexts.)
    pub fn adopted_contexts(&self) -> Vec<(String, String, ClusterConfig)> {
        let mut adopted: BTreeMap<&str, Option<AdoptMarker>> = BTreeMap::new();
        for user in self.list(Section::Users) {
            if let Some(name) = name_of(user) {
                // The first entry of a name is the one kubectl uses.
                adopted.entry(name).or_insert_with(|| adopt_marker(user));
            }
        }
        self.list(Section::Contexts)
            .iter()
            .filter_map(|c| {
                let marker = adopted.get(context_user(c)?)?.as_ref()?;
                let cluster = c.get("context")?.get("cluster")?.as_str()?.to_owned();
                Some((name_of(c)?.to_owned(), cluster, marker.adopted.clone()))
            })
            .collect()
    }
}

fn adopt_marker(user: &Value) -> Option<AdoptMarker> {
    let m = marker_value(user)?;
    m.get("adopted")?;
    serde_yaml::from_value(m.clone()).ok()
}

#[cfg(test)]
mod tests;

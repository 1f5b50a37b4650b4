//! Contexts by what their user runs: the exec stanza of a context's user as plain strings, and
//! the EKS identity it signs as (`crate::exec::stanza`), across the files of a KUBECONFIG merged the
//! way client-go merges them (the first file that defines a name wins). Read by `doctor`,
//! `adopt`, `list` and sync's hint. Pure.

use serde_yaml::Value;

use super::{
    ClusterId, Kubeconfig, ManagedContext, Section, context_user, extension, is_marked,
    marker_value, name_of,
};
use crate::exec;
use crate::exec::stanza::{EksIdentity, Stanza};
use crate::exec::{ClusterConfig, EXEC_EXTENSION_NAME};

/// An EKS context, whoever wrote it, with the identity its user's command signs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub context: String,
    pub cluster_entry: String,
    pub user: String,
    pub server: Option<String>,
    pub identity: EksIdentity,
    /// The user's `exec.command` as written (kubectl's plugin policy judges it).
    pub exec_command: String,
    /// The user is one `eks-kc adopt` rewrote.
    pub adopted: bool,
}

impl Identified {
    /// The context as the commands that act on eks-kc's contexts see one.
    pub fn to_managed(&self) -> ManagedContext {
        let id = &self.identity;
        ManagedContext {
            name: self.context.clone(),
            cluster_entry: self.cluster_entry.clone(),
            id: ClusterId {
                profile: id.profile.clone().unwrap_or_else(|| "default".to_owned()),
                region: id.region.clone().unwrap_or_default(),
                cluster_name: id.cluster_name.clone(),
            },
            exec: id.cluster_config(),
            server: self.server.clone(),
        }
    }
}

impl Kubeconfig {
    /// The entry `name` of `section`, when this file defines it.
    pub(super) fn entry(&self, section: Section, name: &str) -> Option<&Value> {
        self.list(section).iter().find(|e| name_of(e) == Some(name))
    }

    /// The cluster and user that context `name` names here.
    pub fn context_refs(&self, name: &str) -> Option<(String, String)> {
        let ctx = self.entry(Section::Contexts, name)?;
        let cluster = ctx.get("context")?.get("cluster")?.as_str()?.to_owned();
        Some((cluster, context_user(ctx)?.to_owned()))
    }

    /// Whether user entry `name` is one `eks-kc adopt` rewrote.
    pub fn is_adopted_user(&self, name: &str) -> bool {
        self.entry(Section::Users, name)
            .and_then(marker_value)
            .is_some_and(|m| m.get("adopted").is_some())
    }

    /// Whether this file defines entry `name` of `section`.
    pub fn defines(&self, section: Section, name: &str) -> bool {
        self.entry(section, name).is_some()
    }

    /// Contexts of this file whose user is an EKS exec credential that eks-kc does not serve
    /// (`aws eks get-token`, `aws-iam-authenticator`): what `adopt` would take. (Contexts sync
    /// wrote are passed over unread: a sync of thousands of them stays linear.)
    pub fn foreign_eks_contexts(&self) -> Vec<String> {
        let files = [self];
        self.list(Section::Contexts)
            .iter()
            .filter(|c| !is_marked(c))
            .filter_map(|c| name_of(c))
            .filter(|c| {
                identify_context(&files, c)
                    .is_ok_and(|i| i.identity.writer != exec::stanza::Writer::EksKc)
            })
            .map(str::to_owned)
            .collect()
    }
}

/// The `exec:` of a user body as plain strings, or why there is none.
pub fn stanza_of(user: &str, body: &Value) -> Result<Stanza, String> {
    let Some(exec) = body.get("exec").filter(|e| e.is_mapping()) else {
        let how = [
            "token",
            "tokenFile",
            "client-certificate",
            "client-certificate-data",
        ]
        .into_iter()
        .find(|k| body.get(*k).is_some())
        .map(|k| format!("a static `{k}`"))
        .or_else(|| {
            body.get("auth-provider")
                .map(|_| "an auth-provider".to_owned())
        })
        .unwrap_or_else(|| "no exec plugin".to_owned());
        return Err(format!(
            "its user '{user}' authenticates with {how}, not an AWS exec credential, so eks-kc \
             cannot judge it"
        ));
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let command = exec.get("command").and_then(text).unwrap_or_default();
    let args = match exec.get("args") {
        Some(Value::Sequence(a)) => a.iter().filter_map(text).collect(),
        _ => vec![],
    };
    // Every entry, as kubectl sets it (a missing name or value is empty): adopt judges each.
    let env = match exec.get("env") {
        Some(Value::Sequence(e)) => e
            .iter()
            .map(|e| {
                let field = |k| e.get(k).and_then(text).unwrap_or_default();
                (field("name"), field("value"))
            })
            .collect(),
        _ => vec![],
    };
    Ok(Stanza { command, args, env })
}

/// The exec extension of a cluster body, as eks-kc reads it.
pub(super) fn exec_extension_of(cluster_body: &Value) -> Option<ClusterConfig> {
    serde_yaml::from_value(extension(cluster_body, EXEC_EXTENSION_NAME)?.clone()).ok()
}

/// Context `name` of the merged `files` and the identity its user signs as, or one sentence on
/// why it has none (no such context, not an EKS exec credential).
pub fn identify_context(files: &[&Kubeconfig], name: &str) -> Result<Identified, String> {
    let first = |section, entry: &str| files.iter().find_map(|k| k.entry(section, entry));
    let Some((cluster_entry, user)) = files.iter().find_map(|k| k.context_refs(name)) else {
        return Err(format!(
            "context '{name}' names no cluster or no user, so eks-kc cannot judge it"
        ));
    };
    let cluster = first(Section::Clusters, &cluster_entry).and_then(|c| c.get("cluster"));
    let server = cluster
        .and_then(|c| c.get("server")?.as_str())
        .map(str::to_owned);
    let Some(user_entry) = first(Section::Users, &user) else {
        return Err(format!(
            "context '{name}' names user '{user}', which no kubeconfig file defines"
        ));
    };
    let body = user_entry.get("user").cloned().unwrap_or(Value::Null);
    let stanza = stanza_of(&user, &body).map_err(|why| format!("context '{name}': {why}"))?;
    let ext = cluster.and_then(exec_extension_of);
    let identity = exec::stanza::identify(&stanza, ext.as_ref(), server.as_deref())
        .map_err(|why| format!("context '{name}': {why}"))?;
    let adopted = marker_value(user_entry).is_some_and(|m| m.get("adopted").is_some());
    Ok(Identified {
        context: name.to_owned(),
        cluster_entry,
        user,
        server,
        identity,
        exec_command: stanza.command,
        adopted,
    })
}

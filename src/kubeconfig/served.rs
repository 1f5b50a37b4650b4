//! Contexts that already serve a cluster `sync` finds without being entries sync wrote: those
//! `eks-kc adopt` took over (updated in place by sync, never duplicated, never pruned) and
//! hand-written `eks-kc token` contexts without eks-kc's marker (left exactly as they are, and
//! not duplicated either). Pure.

use super::merge::{ChangeSet, DesiredCluster};
use super::{Kubeconfig, Section, foreign::identify_context, is_marked, name_of};
use crate::exec::ClusterConfig;
use crate::exec::stanza::Writer;

/// A context of this file that signs through `eks-kc token` without being one sync wrote.
#[derive(Debug, Clone)]
pub(super) struct Served {
    pub context: String,
    pub cluster_entry: String,
    /// The identity its user signs as.
    pub config: ClusterConfig,
    /// Taken over by `eks-kc adopt` (else hand-written).
    pub adopted: bool,
    /// Its user's env chooses who signs beyond the profile (a credentials file, keys): not
    /// the identity sync finds through that profile.
    pub env_signer: bool,
}

impl Served {
    /// Whether this context is the one sync would write for `want`: the same cluster (the ARN
    /// the AWS CLI names its cluster entries by, or cluster name and region) signed as the same
    /// identity (profile and role). The ARN alone is not enough: the same cluster seen through
    /// another profile is another context, as sync writes one per profile.
    pub fn serves(&self, want: &DesiredCluster) -> bool {
        let c = &self.config;
        let same_cluster = want.arn.as_deref() == Some(self.cluster_entry.as_str())
            || (c.cluster_name.as_deref() == Some(want.id.cluster_name.as_str())
                && c.region.as_deref() == Some(want.id.region.as_str()));
        // A profile-less identity is the default chain, which sync also labels `default`.
        let profile = |p: &Option<String>| p.clone().unwrap_or_else(|| "default".to_owned());
        let e = &want.exec;
        let sso = e.sso_session.is_some() || e.sso_start_url.is_some() || e.account_id.is_some();
        same_cluster
            && !sso
            && !self.env_signer
            && profile(&c.profile) == profile(&e.profile)
            && c.role_arn == e.role_arn
    }
}

impl Kubeconfig {
    /// The contexts of this file that sign through `eks-kc token` but carry no marker of a
    /// context sync wrote.
    pub(super) fn served_elsewhere(&self) -> Vec<Served> {
        let files = [self];
        self.list(Section::Contexts)
            .iter()
            .filter(|c| !is_marked(c))
            .filter_map(|c| identify_context(&files, name_of(c)?).ok())
            .filter(|i| i.identity.writer == Writer::EksKc)
            .map(|i| Served {
                config: i.identity.cluster_config(),
                env_signer: i.identity.env_chooses_signer(),
                context: i.context,
                cluster_entry: i.cluster_entry,
                adopted: i.adopted,
            })
            .collect()
    }

    /// Whether a context of `served` stands for `want`, so sync writes no context for it: an
    /// adopted one (its cluster entry updated), or, when sync has no context of its own for
    /// the cluster (`managed`), a hand-written one (untouched). Records it in `changes`.
    pub(super) fn served_elsewhere_as(
        &mut self,
        served: &[Served],
        want: &DesiredCluster,
        managed: bool,
        changes: &mut ChangeSet,
    ) -> bool {
        if let Some(s) = served.iter().find(|s| s.adopted && s.serves(want)) {
            let list = if self.update_adopted_cluster(&s.cluster_entry, want) {
                &mut changes.updated
            } else {
                &mut changes.unchanged
            };
            list.push(s.context.clone());
            return true;
        }
        if let Some(s) = served.iter().find(|s| !managed && s.serves(want)) {
            changes.unchanged.push(s.context.clone());
            return true;
        }
        false
    }

    /// Sync's update of an adopted context: its cluster entry takes the server and CA sync
    /// found (nothing else of it changes). Whether anything did.
    fn update_adopted_cluster(&mut self, cluster: &str, want: &DesiredCluster) -> bool {
        let mut positions = self.positions(Section::Clusters);
        self.edit_entry(Section::Clusters, cluster, &mut positions, |b| {
            b.insert("server".into(), want.server.clone().into());
            if let Some(ca) = &want.ca_data {
                b.insert("certificate-authority-data".into(), ca.clone().into());
            }
        })
    }
}

#[cfg(test)]
mod tests;

//! The targets of a run: (profile, region) pairs from the flags, the environment and the AWS
//! config files, each checked before any network call; and what a found cluster becomes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};

use crate::aws::eks::{Found, Target};
use crate::aws::profiles::Profiles;
use crate::cli::SyncArgs;
use crate::exec::ClusterConfig;
use crate::kubeconfig::{ClusterId, DesiredCluster};
use crate::regions;

/// Label of the default credential chain when no profile is named.
const DEFAULT_LABEL: &str = "default";

/// A target that could not even be tried (no region known, unknown profile).
#[derive(Debug, Clone)]
pub(super) struct Unplanned {
    pub(super) label: String,
    /// `None` when no region was known.
    pub(super) region: Option<String>,
    pub(super) reason: String,
    /// Set when the target lacks set-up a diagnosis can name (see `advice`).
    pub(super) missing: Option<crate::problem::Missing>,
}

/// The targets of a run, from the flags, the environment and the AWS config files.
#[derive(Debug, Default)]
pub struct Plan {
    pub(super) targets: Vec<Target>,
    pub(super) unplanned: Vec<Unplanned>,
    pub(super) credential_regions: BTreeMap<String, String>,
    /// Regions used that eks-kc does not know (perhaps new ones): one warning each.
    pub(super) warnings: Vec<String>,
}

/// The profile a target named `name` reads its credentials through: `None` (the SDK's default
/// chain) for the `default` profile whenever the default chain would read that very profile
/// (no other AWS_PROFILE, no keys in the environment), else the profile itself.
///
/// `eks-kc sync` (the default chain) and `eks-kc sync --all-profiles` (which lists `default`)
/// then describe the same contexts identically, instead of flipping `profile: default` in
/// their exec extension on every alternate run.
pub(super) fn credential_profile(
    name: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let chain_reads_default = env("AWS_PROFILE")
        .filter(|p| !p.is_empty())
        .is_none_or(|p| p == DEFAULT_LABEL)
        && !set("AWS_ACCESS_KEY_ID");
    (name != DEFAULT_LABEL || !chain_reads_default).then(|| name.to_owned())
}

/// The targets of a run: each profile the flags or the environment name, in each region it
/// is to be listed in; a profile that cannot be tried becomes an [`Unplanned`] instead.
pub(super) fn plan(
    args: &SyncArgs,
    profiles: &Profiles,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Plan> {
    for r in &args.regions {
        regions::check(r).map_err(anyhow::Error::msg)?;
    }
    let planner = Planner {
        args,
        profiles,
        env_region: env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty()),
    };
    let mut plan = Plan::default();
    for (label, asked) in named_profiles(args, profiles, &env)? {
        let profile = if asked {
            credential_profile(&label, &env)
        } else {
            None
        };
        if asked && !profiles.regions.contains_key(&label) {
            plan.unplanned.push(planner.unknown_profile(label));
            continue;
        }
        let planned = planner
            .home_region(&label, profile.as_deref())
            .and_then(|home| {
                let regions = planner.regions(&label, home.as_deref())?;
                Ok((home, regions))
            });
        match planned {
            Ok((home_region, regions)) => plan.add(label, profile, home_region, regions),
            Err(unplanned) => plan.unplanned.push(unplanned),
        }
    }
    Ok(plan)
}

/// The profiles a run lists, as (label, whether a profile of that name was asked for, rather
/// than the default chain): every profile (`--all-profiles`), the `--profile`s, AWS_PROFILE, or
/// the default chain.
fn named_profiles(
    args: &SyncArgs,
    profiles: &Profiles,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, bool)>> {
    if args.all_profiles {
        let names: Vec<_> = profiles.names().map(|p| (p.to_owned(), true)).collect();
        if names.is_empty() {
            bail!(
                "--all-profiles: there are no profiles in the AWS config or credentials file; run \
                 `aws configure` (access keys) or `aws configure sso` (IAM Identity Center) to \
                 create one"
            );
        }
        Ok(names)
    } else if !args.profiles.is_empty() {
        let mut seen = BTreeSet::new();
        Ok(args
            .profiles
            .iter()
            .filter(|p| seen.insert(p.as_str()))
            .map(|p| (p.clone(), true))
            .collect())
    } else {
        Ok(match env("AWS_PROFILE").filter(|p| !p.is_empty()) {
            Some(p) => vec![(p, true)],
            None => vec![(DEFAULT_LABEL.to_owned(), false)],
        })
    }
}

/// What the regions of every profile of a run are chosen from.
struct Planner<'a> {
    args: &'a SyncArgs,
    profiles: &'a Profiles,
    /// AWS_REGION (or AWS_DEFAULT_REGION), when set.
    env_region: Option<String>,
}

impl Planner<'_> {
    /// A profile named on the command line or in AWS_PROFILE that no file has.
    fn unknown_profile(&self, label: String) -> Unplanned {
        Unplanned {
            region: self.args.regions.first().cloned(),
            reason: format!(
                "profile '{label}' is not in the AWS config or credentials file \
                 (`aws configure list-profiles` shows the names)"
            ),
            missing: None,
            label,
        }
    }

    /// The profile's own region: AWS_REGION, else the profile's `region`. Checked like
    /// --region is; a bad one only matters when no --region or --all-regions replaces it.
    fn home_region(
        &self,
        label: &str,
        profile: Option<&str>,
    ) -> std::result::Result<Option<String>, Unplanned> {
        let home_region = self.env_region.clone().or_else(|| {
            self.profiles
                .region_of(profile.unwrap_or(DEFAULT_LABEL))
                .map(str::to_owned)
        });
        match home_region.as_deref().map(regions::check) {
            Some(Err(why)) if self.args.regions.is_empty() && !self.args.all_regions => {
                let source = if self.env_region.is_some() {
                    "AWS_REGION"
                } else {
                    "the profile's region"
                };
                Err(Unplanned {
                    label: label.to_owned(),
                    region: None,
                    reason: format!("{source}: {why}"),
                    missing: None,
                })
            }
            Some(Err(_)) => Ok(None),
            _ => Ok(home_region),
        }
    }

    /// The regions a profile is listed in: every EKS region of its partition
    /// (`--all-regions`), the `--region`s, else its own region.
    fn regions(
        &self,
        label: &str,
        home_region: Option<&str>,
    ) -> std::result::Result<Vec<String>, Unplanned> {
        if self.args.all_regions {
            Ok(
                regions::eks_regions_like(home_region.unwrap_or("us-east-1"))
                    .iter()
                    .map(|r| r.to_string())
                    .collect(),
            )
        } else if !self.args.regions.is_empty() {
            Ok(self.args.regions.clone())
        } else if let Some(r) = home_region {
            Ok(vec![r.to_owned()])
        } else {
            Err(Unplanned {
                label: label.to_owned(),
                region: None,
                reason: "no region: pass --region, set AWS_REGION, or set `region` in the profile"
                    .into(),
                missing: Some(crate::problem::Missing::Region),
            })
        }
    }
}

impl Plan {
    /// A profile's targets, one per region, the region its credentials are resolved in, and a
    /// warning per region eks-kc does not know.
    fn add(
        &mut self,
        label: String,
        profile: Option<String>,
        home_region: Option<String>,
        regions: Vec<String>,
    ) {
        for r in &regions {
            if let Ok(regions::Checked::Unknown(w)) = regions::check(r)
                && !self.warnings.contains(&w)
            {
                self.warnings.push(w);
            }
        }
        let credential_region = home_region.unwrap_or_else(|| regions[0].clone());
        self.credential_regions
            .insert(label.clone(), credential_region);
        for region in regions {
            self.targets.push(Target {
                label: label.clone(),
                profile: profile.clone(),
                region,
            });
        }
    }
}

/// The kubeconfig entry a found cluster becomes; `None` while it has no endpoint (CREATING).
/// `args`: the run's, for the role (`--role-arn`) and its session name that contexts keep.
pub(super) fn desired_cluster(
    target: &Target,
    f: &Found,
    args: &crate::cli::SyncArgs,
) -> Option<DesiredCluster> {
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
            cluster_id: f.outpost_id.clone(),
            region: Some(target.region.clone()),
            profile: target.profile.clone(),
            role_arn: args.role_arn.clone(),
            role_session_name: args.role_session_name.clone(),
            ..ClusterConfig::default()
        },
        naming: Default::default(),
    })
}

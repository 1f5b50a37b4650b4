//! Which EKS identity a kubeconfig user's exec stanza signs as, whoever wrote it: eks-kc
//! (either exec style, with or without its marker), the AWS CLI (`aws eks get-token`), or
//! `aws-iam-authenticator token`. `doctor` judges the identity found here and `adopt` rewrites
//! the user to `eks-kc token` with the same one. Pure: the stanza comes in as plain strings.

use serde::Serialize;

use crate::exec::ClusterConfig;

/// A user's `exec:` as plain strings: the command, its args and its `env` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stanza {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Which program the stanza runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Writer {
    EksKc,
    AwsCli,
    AwsIamAuthenticator,
}

/// The identity a stanza's command signs its token as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksIdentity {
    pub writer: Writer,
    /// The name signed into the token (`x-k8s-aws-id`): the cluster name, or for
    /// `--cluster-id` the id.
    pub cluster_name: String,
    /// `None`: the profile's region decides, as for the command itself.
    pub region: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The command as it runs, env prefix included, for the report.
    pub command_line: String,
}

impl EksIdentity {
    /// The settings `eks-kc token` needs to sign as this identity.
    pub fn cluster_config(&self) -> ClusterConfig {
        ClusterConfig {
            cluster_name: Some(self.cluster_name.clone()),
            region: self.region.clone(),
            profile: self.profile.clone(),
            role_arn: self.role_arn.clone(),
            ..Default::default()
        }
    }

    /// Whether two identities sign the same tokens.
    pub fn same_signer(&self, other: &EksIdentity) -> bool {
        (
            &self.cluster_name,
            &self.region,
            &self.profile,
            &self.role_arn,
        ) == (
            &other.cluster_name,
            &other.region,
            &other.profile,
            &other.role_arn,
        )
    }
}

/// The command line of a stanza, as a person would type it: `AWS_PROFILE=ops aws eks ...`.
pub fn command_line(s: &Stanza) -> String {
    let mut words: Vec<String> = s.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    words.push(s.command.clone());
    words.extend(s.args.iter().cloned());
    words
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) {
                format!("'{w}'")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The EKS identity of `stanza`, or why it is none (one sentence naming the command).
/// `extension` is the cluster's exec extension (eks-kc's shared style reads the cluster there);
/// `server` the cluster's URL (aws-iam-authenticator stanzas may take the region from it).
pub fn identify(
    stanza: &Stanza,
    extension: Option<&ClusterConfig>,
    server: Option<&str>,
) -> Result<EksIdentity, String> {
    let line = command_line(stanza);
    let program = stanza
        .command
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim_end_matches(".exe")
        .trim_end_matches(".cmd");
    let flags = Flags::of(&stanza.args);
    let env = |k: &str| {
        stanza
            .env
            .iter()
            .rev()
            .find(|(n, v)| n == k && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    };
    let env_region = || env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let (writer, cluster, region, profile, role) = match program {
        "eks-kc" if flags.positional.first().map(String::as_str) == Some("token") => {
            let ext = extension.cloned().unwrap_or_default();
            (
                Writer::EksKc,
                // What the token is signed for: an Outposts cluster's id over its name.
                flags
                    .get(&["--cluster-id"])
                    .or_else(|| flags.get(&["--cluster-name"]))
                    .or(ext.cluster_id)
                    .or(ext.cluster_name),
                flags.get(&["--region"]).or(ext.region).or_else(env_region),
                flags
                    .get(&["--profile"])
                    .or(ext.profile)
                    .or_else(|| env("AWS_PROFILE")),
                flags.get(&["--role-arn"]).or(ext.role_arn),
            )
        }
        "aws"
            if flags.positional.first().map(String::as_str) == Some("eks")
                && flags.positional.get(1).map(String::as_str) == Some("get-token") =>
        {
            (
                Writer::AwsCli,
                flags.get(&["--cluster-name", "--cluster-id"]),
                flags.get(&["--region"]).or_else(env_region),
                flags.get(&["--profile"]).or_else(|| env("AWS_PROFILE")),
                // update-kubeconfig --role-arn writes `--role` (argparse's prefix of --role-arn).
                flags.get(&["--role-arn", "--role"]),
            )
        }
        "aws-iam-authenticator" | "heptio-authenticator-aws"
            if flags.positional.first().map(String::as_str) == Some("token") =>
        {
            (
                Writer::AwsIamAuthenticator,
                flags.get(&["-i", "--cluster-id"]),
                flags
                    .get(&["--region"])
                    .or_else(env_region)
                    .or_else(|| server.and_then(region_of_server)),
                flags.get(&["--profile"]).or_else(|| env("AWS_PROFILE")),
                flags.get(&["-r", "--role"]),
            )
        }
        _ => {
            return Err(format!(
                "its user runs `{line}`, which is not an EKS token command eks-kc can read \
                 (`aws eks get-token`, `aws-iam-authenticator token`, `eks-kc token`), so eks-kc \
                 cannot tell which AWS identity and cluster it signs for"
            ));
        }
    };
    let Some(cluster_name) = cluster else {
        return Err(format!(
            "its user runs `{line}`, which names no cluster (no --cluster-name, and no \
             clusterName in the cluster's exec extension), so eks-kc cannot tell which cluster \
             it signs for"
        ));
    };
    Ok(EksIdentity {
        writer,
        cluster_name,
        region,
        profile,
        role_arn: role,
        command_line: line,
    })
}

/// The region in an EKS endpoint's host name: `https://X.gr7.REGION.eks.DNS-SUFFIX`, the DNS
/// suffix of the region's partition (`amazonaws.com`, `amazonaws.com.cn`, `amazonaws.eu`, ...).
pub fn region_of_server(server: &str) -> Option<String> {
    let host = server.split("://").nth(1).unwrap_or(server);
    let host = host.split(['/', ':']).next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let eks = labels.iter().rposition(|l| *l == "eks")?;
    if eks == 0 {
        return None;
    }
    let suffix = labels[eks + 1..].join(".");
    let region = labels[eks - 1];
    (region.contains('-')
        && crate::regions::check(region).is_ok()
        && crate::regions::partition_of(region).dns_suffix == suffix)
        .then(|| region.to_owned())
}

/// `--flag value`, `--flag=value` and positional words of an argument list.
struct Flags {
    pairs: Vec<(String, String)>,
    positional: Vec<String>,
}

impl Flags {
    /// Every flag the three commands take with a value; anything else starting with `-` is a
    /// switch (`--no-verify-ssl`).
    const WITH_VALUE: [&'static str; 14] = [
        "--cluster-name",
        "--cluster-id",
        "--region",
        "--profile",
        "--role-arn",
        "--output",
        "--endpoint-url",
        "--cli-read-timeout",
        "--cli-connect-timeout",
        "--ca-bundle",
        "--color",
        "-i",
        "-r",
        "--role",
    ];

    fn of(args: &[String]) -> Self {
        let mut pairs = vec![];
        let mut positional = vec![];
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some((k, v)) = a.split_once('=').filter(|(k, _)| k.starts_with('-')) {
                pairs.push((k.to_owned(), v.to_owned()));
            } else if Self::WITH_VALUE.contains(&a.as_str()) {
                pairs.push((a.clone(), it.next().cloned().unwrap_or_default()));
            } else if !a.starts_with('-') {
                positional.push(a.clone());
            }
        }
        Flags { pairs, positional }
    }

    /// The last non-empty value of any of `names` (the last one given wins, as in argparse).
    fn get(&self, names: &[&str]) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| names.contains(&k.as_str()) && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests;

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

impl Writer {
    /// The token command, as messages name it.
    pub fn command(self) -> &'static str {
        match self {
            Writer::EksKc => "eks-kc token",
            Writer::AwsCli => "aws eks get-token",
            Writer::AwsIamAuthenticator => "aws-iam-authenticator token",
        }
    }
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
    /// The profile is the stanza's `AWS_PROFILE`, not a flag's: an environment variable, which
    /// static keys in the environment beat (a `--profile` flag beats them).
    #[serde(skip)]
    pub profile_from_env: bool,
    pub role_arn: Option<String>,
    /// The session name of `role_arn`'s sessions, when the command fixes one (the AWS CLI names
    /// every session `EKSGetTokenAuth`).
    pub role_session_name: Option<String>,
    /// The stanza's `env`, which the command runs with (values may be secrets).
    #[serde(skip)]
    pub env: Vec<(String, String)>,
    /// The command as it runs, env prefix included (secret values hidden), for the report.
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
            role_session_name: self.role_session_name.clone(),
            ..Default::default()
        }
    }

    /// The settings `eks-kc adopt` writes for this identity, beside the stanza's `env`
    /// ([`EksIdentity::adopted_env_keeps`]): a profile the env's `AWS_PROFILE` names becomes
    /// eks-kc's profile (what `eks-kc sync` writes, so every command that acts on the context
    /// signs as kubectl's call does), unless the env also holds static keys, which beat
    /// `AWS_PROFILE` for the AWS CLI: then it stays in the env, where they beat it for eks-kc too.
    pub fn adopted_config(&self) -> ClusterConfig {
        let mut config = self.cluster_config();
        if self.profile_stays_in_env() {
            config.profile = None;
        }
        config
    }

    /// Whether `eks-kc adopt` keeps the env variable `name` in the stanza's `env` (all but an
    /// `AWS_PROFILE` that [`EksIdentity::adopted_config`] names as the profile).
    pub fn adopted_env_keeps(&self, name: &str) -> bool {
        name != "AWS_PROFILE" || !self.profile_from_env || self.profile_stays_in_env()
    }

    fn profile_stays_in_env(&self) -> bool {
        self.profile_from_env
            && self
                .env
                .iter()
                .any(|(k, v)| k == "AWS_ACCESS_KEY_ID" && !v.trim().is_empty())
    }

    /// Whether the stanza's env chooses who signs beyond its `AWS_PROFILE` (a credentials file,
    /// keys, a role): then the profile alone does not say who this identity is.
    pub fn env_chooses_signer(&self) -> bool {
        self.env
            .iter()
            .any(|(k, _)| k != "AWS_PROFILE" && CARRIED_IDENTITY_ENV.contains(&k.as_str()))
    }

    /// Whether two identities sign the same tokens.
    pub fn same_signer(&self, other: &EksIdentity) -> bool {
        let key = |i: &'_ EksIdentity| {
            (
                i.cluster_name.clone(),
                i.region.clone(),
                i.profile.clone(),
                i.profile_from_env,
                i.role_arn.clone(),
                i.role_session_name.clone(),
                i.env.clone(),
            )
        };
        key(self) == key(other)
    }
}

/// The variables of a stanza's `env` that choose who signs and that `eks-kc adopt` carries
/// into eks-kc's stanza as they are: eks-kc (and the AWS SDK under it) reads each as the AWS
/// CLI and aws-iam-authenticator do, and each is part of the token cache key
/// (`cache::token::IDENTITY_ENV`; a test holds the two lists together).
pub const CARRIED_IDENTITY_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_USE_FIPS_ENDPOINT",
];

/// The other variables `eks-kc adopt` carries as they are: they change nothing of who signs
/// (the secret key goes with its key id, which is in the key; the region is in the key itself).
pub const CARRIED_OTHER_ENV: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_CA_BUNDLE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_METADATA_SERVICE_TIMEOUT",
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    "AWS_SDK_LOAD_CONFIG",
    "AWS_PAGER",
    "AWS_DEFAULT_OUTPUT",
    "AWS_CLI_AUTO_PROMPT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// `env` values a command line shows as `***`.
const SECRET_ENV: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// The flags of `aws eks get-token` (its own and the CLI's global ones) that `eks-kc adopt`
/// carries (cluster, region, profile, role) or that change nothing of who signs (output,
/// logging, TLS, timeouts).
const AWS_CLI_FLAGS: [&str; 19] = [
    "--cluster-name",
    "--cluster-id",
    "--region",
    "--profile",
    "--role-arn",
    "--role",
    "--output",
    "--query",
    "--color",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
    "--ca-bundle",
    "--debug",
    "--no-verify-ssl",
    "--no-paginate",
    "--no-cli-pager",
    "--cli-auto-prompt",
    "--no-cli-auto-prompt",
];

/// The same for `aws-iam-authenticator token`.
const AUTHENTICATOR_FLAGS: [&str; 9] = [
    "-i",
    "--cluster-id",
    "--region",
    "-r",
    "--role",
    "-s",
    "--session-name",
    "--token-only",
    "--cache",
];

/// Whether `eks-kc adopt` can carry `stanza` (whose identity is `id`) into `eks-kc token`
/// exactly: the command words are the token command's, every flag is one it carries or one
/// that changes nothing of who signs, and every variable of the `env` is one of
/// [`CARRIED_IDENTITY_ENV`] or [`CARRIED_OTHER_ENV`]. Otherwise one sentence on what it cannot
/// carry.
pub fn carry_check(stanza: &Stanza, id: &EksIdentity) -> Result<(), String> {
    let (known, words): (&[&str], &[&str]) = match id.writer {
        Writer::AwsCli => (&AWS_CLI_FLAGS, &["eks", "get-token"]),
        Writer::AwsIamAuthenticator => (&AUTHENTICATOR_FLAGS, &["token"]),
        Writer::EksKc => return Err("it is served by `eks-kc token` already".into()),
    };
    let command = id.writer.command();
    let flags = Flags::of(&stanza.args);
    let unknown = flags
        .pairs
        .iter()
        .map(|(k, _)| k)
        .chain(&flags.switches)
        .find(|f| !known.contains(&f.as_str()));
    if let Some(flag) = unknown {
        return Err(format!(
            "its user's `{command}` passes `{}`, which eks-kc has no equivalent for, so it \
             cannot sign exactly as that command does",
            flag
        ));
    }
    if flags.positional != words {
        return Err(format!(
            "its user's command has the words `{}`, not just `{command}`, so eks-kc cannot tell \
             what it does",
            flags.positional.join(" ")
        ));
    }
    for (name, _) in &stanza.env {
        let profile_flag = id.profile.is_some() && !id.profile_from_env;
        if CARRIED_IDENTITY_ENV.contains(&name.as_str())
            || CARRIED_OTHER_ENV.contains(&name.as_str())
            || name == "AWS_DEFAULT_PROFILE" && id.writer == Writer::AwsCli && profile_flag
        {
            continue;
        }
        return Err(format!(
            "its user's exec env sets {}, which eks-kc does not read as `{command}` does, so it \
             could sign as another identity; remove it from the user's env to adopt the context",
            name
        ));
    }
    Ok(())
}

/// The command line of a stanza, as a person would type it: `AWS_PROFILE=ops aws eks ...`.
/// A secret value of the env (a secret key, a session token) shows as `***`.
pub fn command_line(s: &Stanza) -> String {
    let mut words: Vec<String> = s
        .env
        .iter()
        .map(|(k, v)| match SECRET_ENV.contains(&k.as_str()) {
            true => format!("{k}=***"),
            false => format!("{k}={v}"),
        })
        .collect();
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
    // The profile a flag (or eks-kc's extension) names; else the env's AWS_PROFILE.
    let (writer, cluster, region, profile, role, session) = match program {
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
                flags.get(&["--profile"]).or(ext.profile),
                flags.get(&["--role-arn"]).or(ext.role_arn),
                flags
                    .get(&["--role-session-name"])
                    .or(ext.role_session_name),
            )
        }
        "aws"
            if flags.positional.first().map(String::as_str) == Some("eks")
                && flags.positional.get(1).map(String::as_str) == Some("get-token") =>
        {
            // update-kubeconfig --role-arn writes `--role` (argparse's prefix of --role-arn).
            let role = flags.get(&["--role-arn", "--role"]);
            (
                Writer::AwsCli,
                flags.get(&["--cluster-name", "--cluster-id"]),
                flags.get(&["--region"]).or_else(env_region),
                flags.get(&["--profile"]),
                role.clone(),
                // The AWS CLI names the session of every role it assumes for a token so.
                role.map(|_| "EKSGetTokenAuth".to_owned()),
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
                flags.get(&["--profile"]),
                flags.get(&["-r", "--role"]),
                flags.get(&["-s", "--session-name"]),
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
    let env_profile = env("AWS_PROFILE");
    Ok(EksIdentity {
        writer,
        cluster_name,
        region,
        profile_from_env: profile.is_none() && env_profile.is_some(),
        profile: profile.or(env_profile),
        role_arn: role,
        role_session_name: session,
        env: stanza.env.clone(),
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

/// `--flag value`, `--flag=value`, switches and positional words of an argument list.
struct Flags {
    pairs: Vec<(String, String)>,
    switches: Vec<String>,
    positional: Vec<String>,
}

impl Flags {
    /// Every flag the three commands take with a value; anything else starting with `-` is a
    /// switch (`--no-verify-ssl`).
    const WITH_VALUE: [&'static str; 20] = [
        "--cluster-name",
        "--cluster-id",
        "--region",
        "--profile",
        "--role-arn",
        "--role-session-name",
        "--output",
        "--query",
        "--cli-binary-format",
        "--external-id",
        "-s",
        "--session-name",
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
        let mut switches = vec![];
        let mut positional = vec![];
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some((k, v)) = a.split_once('=').filter(|(k, _)| k.starts_with('-')) {
                pairs.push((k.to_owned(), v.to_owned()));
            } else if Self::WITH_VALUE.contains(&a.as_str()) {
                pairs.push((a.clone(), it.next().cloned().unwrap_or_default()));
            } else if a.starts_with('-') {
                switches.push(a.clone());
            } else {
                positional.push(a.clone());
            }
        }
        Flags {
            pairs,
            switches,
            positional,
        }
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

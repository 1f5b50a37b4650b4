//! The client-go exec credential protocol: what kubectl hands the plugin in
//! `KUBERNETES_EXEC_INFO`, and the `ExecCredential` the plugin prints back. Pure data.

pub mod stanza;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
pub const V1: &str = "client.authentication.k8s.io/v1";
/// The name of the kubeconfig cluster extension whose content client-go passes to the plugin
/// as `spec.cluster.config` (when the user sets `provideClusterInfo: true`).
pub const EXEC_EXTENSION_NAME: &str = "client.authentication.k8s.io/exec";

/// The per-cluster settings eks-kc keeps in the cluster's exec extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// An EKS local cluster on AWS Outposts: its id, which its authenticator expects in the
    /// token (`x-k8s-aws-id`) in place of the name; the name still names it in API calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The name of the role sessions eks-kc starts for this cluster (`--role-session-name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
    /// IAM Identity Center: the `[sso-session]` whose login signs (with `account_id` and
    /// `role_name`, in place of a profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_session: Option<String>,
    /// IAM Identity Center start URL, for a login without an `[sso-session]` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_start_url: Option<String>,
    /// IAM Identity Center region (with `sso_start_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

impl ClusterConfig {
    /// Who signs for this cluster, as the extension says (flags and environment may override).
    pub fn source(&self) -> crate::source::CredentialSource<'_> {
        crate::source::CredentialSource {
            profile: self.profile.as_deref(),
            role_arn: self.role_arn.as_deref(),
            session_name: self.role_session_name.as_deref(),
            sso: self.sso_role(),
        }
    }

    /// The IAM Identity Center role these settings name, if they name a complete one.
    pub fn sso_role(&self) -> Option<crate::source::SsoRole<'_>> {
        use crate::source::{SsoLoginRef, SsoRole};
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        let login = match (set(&self.sso_session), set(&self.sso_start_url)) {
            (Some(session), _) => SsoLoginRef::Session(session),
            (None, Some(url)) => SsoLoginRef::StartUrl {
                url,
                region: set(&self.sso_region)?,
            },
            (None, None) => return None,
        };
        Some(SsoRole {
            login,
            account_id: set(&self.account_id)?,
            role_name: set(&self.role_name)?,
        })
    }

    /// Whether any IAM Identity Center setting is present (complete or not).
    pub fn names_sso(&self) -> bool {
        [
            &self.sso_session,
            &self.sso_start_url,
            &self.account_id,
            &self.role_name,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }
}

/// What eks-kc takes from `KUBERNETES_EXEC_INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecInfo {
    /// Echoed back in the output, as client-go requires.
    pub api_version: &'static str,
    /// Whether the plugin may prompt (client-go: stdin is a terminal and not taken by the command).
    pub interactive: bool,
    pub config: ClusterConfig,
    /// Whether the client passed a cluster at all (`spec.cluster`; client-go does with
    /// `provideClusterInfo: true`, many other clients never do).
    pub has_cluster: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExecInfo {
    api_version: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    spec: Option<RawSpec>,
}

#[derive(Deserialize)]
struct RawSpec {
    #[serde(default)]
    interactive: Option<bool>,
    #[serde(default)]
    cluster: Option<RawCluster>,
}

#[derive(Deserialize)]
struct RawCluster {
    #[serde(default)]
    config: Option<ClusterConfig>,
    /// The kubeconfig cluster's raw extension list, which Python `kubernetes` 32 and 33 pass
    /// instead of `config`.
    #[serde(default)]
    extensions: Option<Vec<RawExtension>>,
}

#[derive(Deserialize)]
struct RawExtension {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extension: Option<serde_json::Value>,
}

impl RawCluster {
    /// `config`, else the exec extension from `extensions`. An extension that does not parse is
    /// no config (the error then says the cluster name is missing).
    fn into_config(self) -> ClusterConfig {
        if let Some(config) = self.config {
            return config;
        }
        self.extensions
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.name.as_deref() == Some(EXEC_EXTENSION_NAME))
            .and_then(|e| serde_json::from_value(e.extension?).ok())
            .unwrap_or_default()
    }
}

/// The apiVersion eks-kc answers with, if it speaks `version` at all.
pub fn supported_api_version(version: &str) -> Option<&'static str> {
    [V1BETA1, V1].into_iter().find(|v| *v == version)
}

/// Parses `KUBERNETES_EXEC_INFO`. Unknown fields are ignored (client-go adds fields over time);
/// a wrong kind, an unknown apiVersion or malformed JSON is an error that says so.
pub fn parse_exec_info(raw: &str) -> Result<ExecInfo> {
    let info: RawExecInfo = serde_json::from_str(raw).with_context(|| {
        format!(
            "KUBERNETES_EXEC_INFO is malformed (not valid ExecCredential JSON), so the cluster \
             is unknown; it is set by kubectl for an exec plugin: unset it to run `{} token` by \
             hand",
            crate::display::bin()
        )
    })?;
    if let Some(kind) = info.kind.as_deref()
        && kind != "ExecCredential"
    {
        bail!("KUBERNETES_EXEC_INFO has kind '{kind}', expected 'ExecCredential'");
    }
    let Some(version) = info.api_version.as_deref() else {
        bail!("KUBERNETES_EXEC_INFO has no apiVersion");
    };
    let Some(api_version) = supported_api_version(version) else {
        bail!(
            "KUBERNETES_EXEC_INFO has apiVersion '{version}'; eks-kc speaks {V1} and {V1BETA1}: \
             set the user's exec apiVersion in the kubeconfig to one of them"
        );
    };
    let spec = info.spec.unwrap_or(RawSpec {
        interactive: None,
        cluster: None,
    });
    let has_cluster = spec.cluster.is_some();
    Ok(ExecInfo {
        api_version,
        interactive: spec.interactive.unwrap_or(false),
        config: spec
            .cluster
            .map(RawCluster::into_config)
            .unwrap_or_default(),
        has_cluster,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    api_version: &'a str,
    kind: &'static str,
    spec: Empty,
    status: Status<'a>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    expiration_timestamp: &'a str,
    token: &'a str,
}

/// The one line of JSON the plugin prints on stdout.
pub fn exec_credential_json(api_version: &str, token: &str, expiration_timestamp: &str) -> String {
    serde_json::to_string(&ExecCredential {
        api_version,
        kind: "ExecCredential",
        spec: Empty {},
        status: Status {
            expiration_timestamp,
            token,
        },
    })
    .expect("serializing strings cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    // What kubectl 1.32 sets for a user with provideClusterInfo: true and our extension.
    const FROM_KUBECTL: &str = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://127.0.0.1:6443","certificate-authority-data":"LS0t","config":{"clusterName":"prod","region":"eu-west-1","profile":"ops","roleArn":"arn:aws:iam::111122223333:role/admin","futureKey":1}},"interactive":true}}"#;

    #[test]
    fn reads_the_cluster_config_that_kubectl_passes() {
        let info = parse_exec_info(FROM_KUBECTL).unwrap();
        assert_eq!(info.api_version, V1BETA1);
        assert!(info.interactive);
        assert_eq!(info.config.cluster_name.as_deref(), Some("prod"));
        assert_eq!(info.config.region.as_deref(), Some("eu-west-1"));
        assert_eq!(info.config.profile.as_deref(), Some("ops"));
        assert_eq!(
            info.config.role_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/admin")
        );
    }

    #[test]
    fn reads_the_raw_extension_list_when_there_is_no_config() {
        // What Python kubernetes 32 and 33 pass.
        let info = parse_exec_info(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x","extensions":[{"name":"x","extension":{"clusterName":"no"}},{"name":"client.authentication.k8s.io/exec","extension":{"clusterName":"prod","region":"eu-west-1"}}]}}}"#,
        )
        .unwrap();
        assert!(info.has_cluster);
        assert_eq!(info.config.cluster_name.as_deref(), Some("prod"));
        assert_eq!(info.config.region.as_deref(), Some("eu-west-1"));
        // A malformed extension is no config, never an error or a panic.
        let info = parse_exec_info(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"extensions":[{"name":"client.authentication.k8s.io/exec","extension":[1]}]}}}"#,
        )
        .unwrap();
        assert_eq!(info.config, ClusterConfig::default());
        let info = parse_exec_info(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}"#,
        )
        .unwrap();
        assert!(!info.has_cluster);
    }

    #[test]
    fn v1_without_cluster_info_is_fine() {
        let info = parse_exec_info(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#,
        )
        .unwrap();
        assert_eq!(info.api_version, V1);
        assert!(!info.interactive);
        assert_eq!(info.config, ClusterConfig::default());
        let info = parse_exec_info(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":null}}}"#,
        )
        .unwrap();
        assert_eq!(info.config, ClusterConfig::default());
    }

    #[test]
    fn rejects_what_it_cannot_answer() {
        for (raw, needle) in [
            ("", "malformed"),
            ("{", "malformed"),
            ("\u{0}\u{1}garbage", "not valid"),
            (r#"[1,2]"#, "not valid"),
            (r#"{"kind":"ExecCredential"}"#, "no apiVersion"),
            (
                r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
                "v1alpha1",
            ),
            (
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod"}"#,
                "kind 'Pod'",
            ),
            (
                r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":{"clusterName":7}}}}"#,
                "not valid",
            ),
        ] {
            let err = format!("{:#}", parse_exec_info(raw).unwrap_err());
            assert!(err.contains(needle), "{raw:?}: {err}");
        }
    }

    #[test]
    fn output_echoes_the_api_version() {
        let out = exec_credential_json(V1, "k8s-aws-v1.abc", "2026-11-22T12:14:00Z");
        assert_eq!(
            out,
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{},"status":{"expirationTimestamp":"2026-11-22T12:14:00Z","token":"k8s-aws-v1.abc"}}"#
        );
    }
}

//! What EKS, STS and the API server say about an identity's access, as plain data: the AWS edge
//! (`aws::inspect`, `aws::kubeapi`) fills it in, `doctor` judges it. Pure.

use serde::Serialize;

/// Why an AWS call did not give an answer: the AWS error code (`AccessDeniedException`,
/// `ResourceNotFoundException`, `ExpiredToken`…) when AWS answered, `None` when nothing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(code: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            code: code.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    /// The caller may not make this diagnostic call (an IAM or SCP deny): "could not check".
    pub fn is_denied(&self) -> bool {
        self.code_is(&[
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "UnauthorizedException",
        ])
    }

    pub fn is_not_found(&self) -> bool {
        self.code_is(&["ResourceNotFoundException", "NotFoundException"])
    }

    /// AWS refused the credentials themselves (expired, deleted, wrong secret).
    pub fn rejects_credentials(&self) -> bool {
        self.code_is(&[
            "ExpiredToken",
            "ExpiredTokenException",
            "RequestExpired",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "InvalidAccessKeyId",
        ])
    }

    pub fn is_expired(&self) -> bool {
        self.code_is(&["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
    }

    /// The access-entry API's answer on a cluster that authenticates only through aws-auth.
    pub fn is_config_map_only(&self) -> bool {
        self.code_is(&["InvalidRequestException", "InvalidParameterException"])
            && self
                .message
                .to_ascii_lowercase()
                .contains("authentication mode")
    }

    pub fn text(&self) -> String {
        match &self.code {
            Some(code) if !self.message.is_empty() => format!("{code}: {}", self.message),
            Some(code) => code.clone(),
            None => self.message.clone(),
        }
    }
}

/// GetCallerIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    pub arn: String,
    pub account: Option<String>,
}

/// DescribeCluster's answer, the parts that decide access.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub status: Option<String>,
    pub version: Option<String>,
    pub endpoint: Option<String>,
    pub public_access: Option<bool>,
    pub private_access: Option<bool>,
    pub public_access_cidrs: Vec<String>,
    pub authentication_mode: Option<AuthenticationMode>,
}

/// How a cluster maps IAM principals to Kubernetes users (EKS's `authenticationMode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthenticationMode {
    /// Access entries only.
    #[serde(rename = "API")]
    Api,
    /// Access entries, then the aws-auth ConfigMap.
    #[serde(rename = "API_AND_CONFIG_MAP")]
    ApiAndConfigMap,
    /// The aws-auth ConfigMap only: access entries do not apply.
    #[serde(rename = "CONFIG_MAP")]
    ConfigMap,
    /// A mode added after this release, as EKS spells it.
    #[serde(untagged)]
    Other(String),
}

impl AuthenticationMode {
    pub fn parse(s: &str) -> AuthenticationMode {
        match s {
            "API" => AuthenticationMode::Api,
            "API_AND_CONFIG_MAP" => AuthenticationMode::ApiAndConfigMap,
            "CONFIG_MAP" => AuthenticationMode::ConfigMap,
            other => AuthenticationMode::Other(other.to_owned()),
        }
    }

    /// As EKS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            AuthenticationMode::Api => "API",
            AuthenticationMode::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            AuthenticationMode::ConfigMap => "CONFIG_MAP",
            AuthenticationMode::Other(s) => s,
        }
    }

    /// Whether the aws-auth ConfigMap maps principals too.
    pub fn uses_config_map(&self) -> bool {
        !matches!(self, AuthenticationMode::Api)
    }
}

/// An access entry (DescribeAccessEntry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub principal_arn: String,
    /// `STANDARD`, `EC2_LINUX`, `FARGATE_LINUX`…
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub username: Option<String>,
    pub kubernetes_groups: Vec<String>,
}

/// Where an associated access policy applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "namespaces")]
pub enum Scope {
    Cluster,
    Namespace(Vec<String>),
}

/// An access policy associated with the entry (ListAssociatedAccessPolicies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub policy_arn: String,
    pub scope: Scope,
}

impl Policy {
    /// `AmazonEKSClusterAdminPolicy` for the AWS managed policy ARNs.
    pub fn name(&self) -> &str {
        self.policy_arn
            .rsplit('/')
            .next()
            .unwrap_or(&self.policy_arn)
    }

    pub fn describe(&self) -> String {
        match &self.scope {
            Scope::Cluster => format!("{} (cluster-wide)", self.name()),
            Scope::Namespace(ns) => format!("{} (namespaces {})", self.name(), ns.join(", ")),
        }
    }
}

/// Why a request to the API server got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    Dns,
    Tls,
    Timeout,
    Refused,
    Other,
}

impl NetKind {
    /// Classifies a connection error from its text (the error chain on one line) and whether
    /// the HTTP client reported a timeout.
    pub fn classify(text: &str, timed_out: bool) -> NetKind {
        let t = text.to_ascii_lowercase();
        if timed_out || t.contains("timed out") || t.contains("timeout") {
            NetKind::Timeout
        } else if t.contains("dns error")
            || t.contains("failed to lookup")
            || t.contains("name or service not known")
            || t.contains("no such host")
            || t.contains("nodename nor servname")
        {
            NetKind::Dns
        } else if t.contains("certificate")
            || t.contains("tls")
            || t.contains("handshake")
            || t.contains("ssl")
        {
            NetKind::Tls
        } else if t.contains("connection refused") {
            NetKind::Refused
        } else {
            NetKind::Other
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NetKind::Dns => "DNS failure",
            NetKind::Tls => "TLS failure",
            NetKind::Timeout => "timeout",
            NetKind::Refused => "connection refused",
            NetKind::Other => "network failure",
        }
    }
}

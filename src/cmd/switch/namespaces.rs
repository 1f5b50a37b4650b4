//! The namespaces the picker of `ns` offers: those the context's API server lists for the token
//! kubectl would be handed (`eks-kc token`, through its caches), over HTTPS trusting the
//! kubeconfig's certificate authority, each request bounded by the network limit
//! (`EKS_KC_TIMEOUT`). As doctor does it (`cmd::doctor`), and with the same client
//! (`aws::kubeapi`).

use serde::Deserialize;

use crate::aws::kubeapi::{KubeApi, Reply};
use crate::engine::{TokenRequest, obtain};
use crate::kubeconfig::file::View;
use crate::kubeconfig::{Kubeconfig, ManagedContext, identify_context};
use crate::secret::Secret;
use crate::settings::Settings;

/// The namespaces of the cluster of context `name` of `view`, in the API server's order; or why
/// there are none, in one sentence.
pub fn list(view: &View, name: &str) -> Result<Vec<String>, String> {
    let text = |e: anyhow::Error| format!("{e:#}").replace('\n', " ");
    let m = eks_context(view, name)?;
    let Some(server) = m.server.as_deref() else {
        return Err(format!(
            "its cluster entry '{}' has no server URL",
            m.cluster_entry
        ));
    };
    let settings = Settings::from_env().map_err(text)?;
    // A person is at the terminal: signing may ask for an MFA code, as kubectl's call would.
    let req = TokenRequest::for_context(&m, true).map_err(text)?;
    let token = obtain(&req, &settings, true).map_err(text)?.token;
    let ca = super::super::doctor::ca_pem(view, &m.cluster_entry).transpose()?;
    let api = KubeApi::new(
        server,
        ca.as_deref(),
        Secret::new(token),
        settings.limits.network,
    )
    .map_err(text)?;
    match api.get("/api/v1/namespaces") {
        Ok(Reply { status: 200, body }) => parse(&body)
            .ok_or_else(|| "the API server's answer is not a list of namespaces".to_owned()),
        Ok(Reply { status, body }) => Err(format!(
            "the API server answered {status}: {} (`{bin} doctor {name}` checks each link of \
             the access)",
            crate::doctor::status_message(&body),
            bin = crate::display::bin()
        )),
        Err(e) => Err(format!("the API server at {server}: {}", e.message)),
    }
}

/// Context `name` as one eks-kc can sign for: its own, or another tool's EKS context.
fn eks_context(view: &View, name: &str) -> Result<ManagedContext, String> {
    if let Some(m) = view.managed().into_iter().find(|m| m.name == name) {
        return Ok(m);
    }
    let files: Vec<&Kubeconfig> = view.files.iter().map(|(_, k)| k).collect();
    identify_context(&files, name)
        .map(|found| found.to_managed())
        .map_err(|why| format!("{why}; eks-kc can list namespaces only with an EKS token"))
}

/// The names of a `NamespaceList`.
fn parse(body: &str) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct List {
        items: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        metadata: Meta,
    }
    #[derive(Deserialize)]
    struct Meta {
        name: String,
    }
    let list: List = serde_json::from_str(body).ok()?;
    Some(list.items.into_iter().map(|i| i.metadata.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_list_gives_its_names_and_anything_else_none() {
        let body = r#"{"kind":"NamespaceList","items":[{"metadata":{"name":"default"}},
            {"metadata":{"name":"kube-system","uid":"u"},"status":{"phase":"Active"}}]}"#;
        assert_eq!(parse(body).unwrap(), ["default", "kube-system"]);
        assert_eq!(parse(r#"{"items":[]}"#).unwrap(), Vec::<String>::new());
        assert!(parse(r#"{"kind":"Status"}"#).is_none());
        assert!(parse("not json").is_none());
    }

    #[test]
    fn a_context_without_an_eks_identity_says_so() {
        let text = "\
clusters:
- name: k
  cluster: {server: 'https://127.0.0.1:6443'}
users:
- name: kind
  user: {token: t}
contexts:
- name: kind
  context: {cluster: k, user: kind}
";
        let view = View {
            files: vec![("/k".into(), Kubeconfig::parse(text).unwrap())],
        };
        let why = list(&view, "kind").unwrap_err();
        assert!(why.contains("only with an EKS token"), "{why}");
    }
}

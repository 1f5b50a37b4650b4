//! The namespaces the picker of `ns` offers: those the context's API server lists for the token
//! kubectl would be handed (`eks-kc token`, through its caches), over HTTPS trusting the
//! kubeconfig's certificate authority, each request bounded by the network limit
//! (`EKS_KC_TIMEOUT`). As doctor does it (`cmd::doctor`), and with the same client
//! (`aws::kubeapi`).
//!
//! The list is read in pages (`limit`, `continue`), as kubectl reads it: one answer listing a
//! few thousand namespaces with their metadata is more than the client reads of one (1 MiB).
//! The whole listing is bounded by a count of namespaces and by time; past either, the picker
//! offers those listed so far and says so.

use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::aws::kubeapi::{KubeApi, Reply};
use crate::engine::{TokenRequest, obtain};
use crate::kubeconfig::file::View;
use crate::kubeconfig::{Kubeconfig, ManagedContext, identify_context};
use crate::secret::Secret;
use crate::settings::Settings;

/// Namespaces asked for per request: a page of them with their metadata (managedFields and
/// all, under 1 KiB each) stays far below what the client reads of one answer (1 MiB).
const PAGE: usize = 250;
/// The most namespaces listed: far more than anyone scrolls through; past it, one is named.
const MAX_NAMESPACES: usize = 10_000;
/// The whole listing takes at most this many times the network limit (each request is bounded
/// by the limit itself).
const TIME_IN_LIMITS: u32 = 3;

/// The namespaces listed, and why the listing stopped short (`None`: they are all there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub names: Vec<String>,
    pub cut: Option<String>,
}

/// The namespaces of the cluster of context `name` of `view`, in the API server's order; or why
/// there are none, in one sentence.
pub fn list(view: &View, name: &str) -> Result<Listed, String> {
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
    let fetch = |next: Option<&str>| {
        let mut path = format!("/api/v1/namespaces?limit={PAGE}");
        if let Some(token) = next {
            path.push_str("&continue=");
            path.extend(utf8_percent_encode(token, NON_ALPHANUMERIC));
        }
        match api.get(&path) {
            Ok(Reply { status: 200, body }) => parse(&body)
                .ok_or_else(|| "the API server's answer is not a list of namespaces".to_owned()),
            Ok(Reply { status, body }) => Err(format!(
                "the API server answered {status}: {} (`{bin} doctor {name}` checks each link \
                 of the access)",
                crate::doctor::status_message(&body),
                bin = crate::display::bin()
            )),
            Err(e) => Err(format!("the API server at {server}: {}", e.message)),
        }
    };
    let deadline = Instant::now() + settings.limits.network * TIME_IN_LIMITS;
    pages(
        fetch,
        || Instant::now() >= deadline,
        settings.limits.network,
    )
}

/// One page of a `NamespaceList`: its names, and the token of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    names: Vec<String>,
    next: Option<String>,
}

/// Every page `fetch` gives (handed the token of the page it is to fetch), until one has no
/// next, [`MAX_NAMESPACES`] are listed, or `out_of_time` says so (`limit`: the network limit,
/// for the note).
fn pages(
    mut fetch: impl FnMut(Option<&str>) -> Result<Page, String>,
    mut out_of_time: impl FnMut() -> bool,
    limit: Duration,
) -> Result<Listed, String> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    // A server that hands out empty pages without end stops here too.
    for _ in 0..=MAX_NAMESPACES / PAGE {
        let page = fetch(next.as_deref())?;
        names.extend(page.names);
        let Some(token) = page.next else {
            return Ok(Listed { names, cut: None });
        };
        if names.len() >= MAX_NAMESPACES {
            break;
        }
        if out_of_time() {
            let why = format!(
                "the API server did not list them all within {}s ({TIME_IN_LIMITS} times \
                 EKS_KC_TIMEOUT)",
                (limit * TIME_IN_LIMITS).as_secs_f32()
            );
            return Ok(Listed {
                names,
                cut: Some(why),
            });
        }
        next = Some(token);
    }
    Ok(Listed {
        names,
        cut: Some(format!("eks-kc lists at most {MAX_NAMESPACES}")),
    })
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

/// The names of a `NamespaceList` and its `continue` token (none when empty or absent).
fn parse(body: &str) -> Option<Page> {
    #[derive(Deserialize)]
    struct List {
        items: Vec<Item>,
        #[serde(default)]
        metadata: ListMeta,
    }
    #[derive(Deserialize, Default)]
    struct ListMeta {
        #[serde(default, rename = "continue")]
        next: Option<String>,
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
    Some(Page {
        names: list.items.into_iter().map(|i| i.metadata.name).collect(),
        next: list.metadata.next.filter(|t| !t.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_list_gives_its_names_and_anything_else_none() {
        let body = r#"{"kind":"NamespaceList","items":[{"metadata":{"name":"default"}},
            {"metadata":{"name":"kube-system","uid":"u"},"status":{"phase":"Active"}}]}"#;
        assert_eq!(parse(body).unwrap().names, ["default", "kube-system"]);
        assert_eq!(parse(body).unwrap().next, None);
        assert_eq!(
            parse(r#"{"items":[]}"#).unwrap().names,
            Vec::<String>::new()
        );
        let paged = r#"{"metadata":{"continue":"eyJ2Ijo"},"items":[{"metadata":{"name":"a"}}]}"#;
        assert_eq!(parse(paged).unwrap().next.as_deref(), Some("eyJ2Ijo"));
        let last = r#"{"metadata":{"continue":""},"items":[]}"#;
        assert_eq!(parse(last).unwrap().next, None);
        assert!(parse(r#"{"kind":"Status"}"#).is_none());
        assert!(parse("not json").is_none());
    }

    #[test]
    fn pages_are_followed_to_the_end_within_a_count_and_a_time() {
        let limit = Duration::from_secs(5);
        let page = |from: usize, count: usize, last: usize| Page {
            names: (from..from + count).map(|i| format!("ns-{i}")).collect(),
            next: (from + count < last).then(|| (from + count).to_string()),
        };
        // 2,000 in pages of 250, each asked for with the token the one before gave.
        let mut asked = vec![];
        let listed = pages(
            |next| {
                asked.push(next.map(str::to_owned));
                let from = next.map_or(0, |t| t.parse().unwrap());
                Ok(page(from, PAGE, 2000))
            },
            || false,
            limit,
        )
        .unwrap();
        assert_eq!(listed.names.len(), 2000);
        assert_eq!(listed.names[1999], "ns-1999");
        assert_eq!(listed.cut, None);
        assert_eq!(asked.len(), 8);
        assert_eq!(asked[0], None);
        assert_eq!(asked[1].as_deref(), Some("250"));
        // Out of time after the first page: what was listed, and why no more.
        let listed = pages(|_| Ok(page(0, PAGE, 2000)), || true, limit).unwrap();
        assert_eq!(listed.names.len(), PAGE);
        assert!(listed.cut.unwrap().contains("within 15s"));
        // A server without end stops at the count; one with empty pages without end, too.
        let mut n = 0;
        let listed = pages(
            |_| {
                n += 1;
                Ok(page(n * PAGE, PAGE, usize::MAX))
            },
            || false,
            limit,
        )
        .unwrap();
        assert_eq!(listed.names.len(), MAX_NAMESPACES);
        assert!(listed.cut.unwrap().contains("at most"));
        let empty = || {
            Ok(Page {
                names: vec![],
                next: Some("again".into()),
            })
        };
        let listed = pages(|_| empty(), || false, limit).unwrap();
        assert!(listed.names.is_empty() && listed.cut.is_some());
        // An error on any page is the error.
        assert_eq!(
            pages(|_| Err("no".into()), || false, limit),
            Err("no".into())
        );
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

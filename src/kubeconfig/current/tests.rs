use super::*;
use crate::kubeconfig::Kubeconfig;

/// A kubeconfig as kubectl (go-yaml) writes it: keys sorted, `current-context` in the middle.
const KUBECTL: &str = "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://a.example
  name: a
contexts:
- context:
    cluster: a
    namespace: web
    user: u
  name: prod.eu-west-1.ops
- context:
    cluster: a
    user: u
  name: arn:aws:eks:eu-west-1:111122223333:cluster/staging
- context:
    cluster: a
    user: u
  name: kubernetes-admin@kind
current-context: prod.eu-west-1.ops
kind: Config
preferences: {}
users:
- name: u
  user:
    token: x
";

/// What parsing `text`, setting the current context and writing the document gives.
fn full_rewrite(text: &str, name: &str) -> String {
    let mut cfg = Kubeconfig::parse(text).unwrap();
    cfg.set_current_context(name);
    cfg.to_yaml().unwrap()
}

fn current_of(text: &str) -> String {
    Kubeconfig::parse(text)
        .unwrap()
        .current_context()
        .unwrap()
        .to_owned()
}

fn retargeted(text: &str, name: &str) -> Result<String, Refusal> {
    retarget(text.as_bytes(), &current_of(text), name).map(|b| String::from_utf8(b).unwrap())
}

#[test]
fn on_a_file_eks_kc_wrote_it_is_the_full_rewrite_byte_for_byte() {
    let canonical = Kubeconfig::parse(KUBECTL).unwrap().to_yaml().unwrap();
    for name in [
        "arn:aws:eks:eu-west-1:111122223333:cluster/staging",
        "kubernetes-admin@kind",
        "prod.eu-west-1.ops",
    ] {
        assert_eq!(
            retargeted(&canonical, name).unwrap(),
            full_rewrite(&canonical, name),
            "{name}"
        );
    }
}

#[test]
fn on_a_file_kubectl_wrote_it_is_the_same_document_and_keeps_every_other_byte() {
    let name = "kubernetes-admin@kind";
    let out = retargeted(KUBECTL, name).unwrap();
    assert_eq!(
        Kubeconfig::parse(&out).unwrap(),
        Kubeconfig::parse(&full_rewrite(KUBECTL, name)).unwrap()
    );
    assert_eq!(
        out,
        KUBECTL.replace(
            "current-context: prod.eu-west-1.ops",
            "current-context: kubernetes-admin@kind"
        )
    );
    // Comments elsewhere, a last line without a newline, another indentation: kept as they are.
    let odd = format!(
        "# mine\n\n{}x-last: 1",
        KUBECTL
            .replace("  name: a\n", "  name: a   # the lab\n")
            .replace("    token: x", "      token: x")
    );
    assert_eq!(
        Kubeconfig::parse(&odd).unwrap().current_context(),
        Some("prod.eu-west-1.ops")
    );
    let out = retargeted(&odd, name).unwrap();
    assert_eq!(
        out,
        odd.replace(
            "current-context: prod.eu-west-1.ops",
            &format!("current-context: {name}")
        )
    );
    let last = "apiVersion: v1\nkind: Config\ncurrent-context: a";
    assert_eq!(
        retargeted(last, "b").unwrap(),
        "apiVersion: v1\nkind: Config\ncurrent-context: b"
    );
}

#[test]
fn every_other_form_is_refused_so_the_file_is_rewritten_whole() {
    let line = "current-context: prod.eu-west-1.ops\n";
    let with = |new_line: &str| KUBECTL.replace(line, new_line);
    let cases: Vec<(String, &str)> = vec![
        (
            with("current-context: 'prod.eu-west-1.ops'\n"),
            "single-quoted value",
        ),
        (
            with("current-context: \"prod.eu-west-1.ops\"\n"),
            "double-quoted value",
        ),
        (
            with("current-context: prod.eu-west-1.ops # mine\n"),
            "comment after the value",
        ),
        (
            with("current-context: prod.eu-west-1.ops  \n"),
            "trailing spaces",
        ),
        (with("current-context: !!str prod.eu-west-1.ops\n"), "a tag"),
        (
            with("current-context: &c prod.eu-west-1.ops\n"),
            "an anchor",
        ),
        (
            with("current-context:   prod.eu-west-1.ops\n"),
            "more than one space",
        ),
        (
            with("current-context:\n  prod.eu-west-1.ops\n"),
            "the value on the next line",
        ),
        (
            with("\"current-context\": prod.eu-west-1.ops\n"),
            "a quoted key",
        ),
        (
            with("? current-context\n: prod.eu-west-1.ops\n"),
            "an explicit key",
        ),
        (KUBECTL.replace('\n', "\r\n"), "CRLF line ends"),
        (format!("\u{feff}{KUBECTL}"), "a byte-order mark"),
        (format!("---\n{KUBECTL}"), "a document start"),
        (format!("%YAML 1.1\n---\n{KUBECTL}"), "a directive"),
        (format!("{KUBECTL}---\nkind: Config\n"), "a second document"),
        (format!("{KUBECTL}...\n"), "a document end"),
        (
            with("current-context: prod.eu-west-1.ops\nx-note: \"a\\tb\"\n"),
            "a backslash",
        ),
        (
            format!("x-base: &b {{kind: Config}}\n<<: *b\n{KUBECTL}"),
            "a merge key",
        ),
        (
            KUBECTL.replace("name: kubernetes-admin@kind", "name: current-context-old"),
            "the key's bytes twice",
        ),
        (
            "{apiVersion: v1, kind: Config, contexts: [{name: prod.eu-west-1.ops, \
             context: {cluster: a, user: u}}],\ncurrent-context: prod.eu-west-1.ops}\n"
                .to_owned(),
            "flow style at the root",
        ),
        (
            KUBECTL
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>(),
            "an indented root",
        ),
    ];
    for (text, what) in &cases {
        // Every case but the second document is a kubeconfig eks-kc reads.
        let parsed = Kubeconfig::parse(text);
        assert!(parsed.is_ok() || *what == "a second document", "{what}");
        if let Ok(cfg) = &parsed {
            let current = cfg.current_context().unwrap_or_default().to_owned();
            assert!(
                retarget(text.as_bytes(), &current, "kubernetes-admin@kind").is_err(),
                "{what}: not refused"
            );
        }
    }
    // No current-context line at all, or an empty one: nothing to rewrite in place.
    let none = KUBECTL.replace(line, "");
    assert!(retarget(none.as_bytes(), "prod.eu-west-1.ops", "x").is_err());
    let empty = KUBECTL.replace(line, "current-context: \"\"\n");
    assert!(retarget(empty.as_bytes(), "", "x").is_err());
    // A value that is not the parsed one (a stale digest): refused.
    assert!(retarget(KUBECTL.as_bytes(), "staging", "x").is_err());
    // New names the writer quotes, or that are not plain in flow context.
    for name in [
        "yes", "no", "on", "null", "~", "1.5", "0x1f", "1:20", "a b", "a#b", "a,b", "[a]", "-a",
        "a:", "é", "",
    ] {
        assert!(retargeted(KUBECTL, name).is_err(), "{name:?}");
    }
}

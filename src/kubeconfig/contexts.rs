//! Contexts by name: their namespace, and the copies a shell of its own keeps of them (see
//! `crate::shell`). Pure, like the rest of the model.

use serde_yaml::{Mapping, Value};

use super::{Kubeconfig, Section, body_mut, name_of, named_entry};

/// The keys of a context a shell's copy does not take: extensions belong to the original
/// (eks-kc's marker among them: a copy is nobody's entry, never synced, pruned or forgotten).
const NOT_COPIED: [&str; 2] = ["extensions", "namespace"];

impl Kubeconfig {
    /// The body (`context:` mapping) of context `name`, when this file defines it.
    pub fn context(&self, name: &str) -> Option<&Mapping> {
        self.list(Section::Contexts)
            .iter()
            .find(|e| name_of(e) == Some(name))?
            .get(Section::Contexts.body())?
            .as_mapping()
    }

    pub fn has_context(&self, name: &str) -> bool {
        self.list(Section::Contexts)
            .iter()
            .any(|e| name_of(e) == Some(name))
    }

    /// The namespace context `name` sets in this file (`None`: not set, or no such context).
    pub fn context_namespace(&self, name: &str) -> Option<&str> {
        self.context(name)?
            .get("namespace")?
            .as_str()
            .filter(|ns| !ns.is_empty())
    }

    /// Every context of this file and the namespace it sets, in file order (one pass: no
    /// lookup by name per context).
    pub fn context_namespaces(&self) -> Vec<(String, Option<String>)> {
        self.list(Section::Contexts)
            .iter()
            .filter_map(|e| {
                let ns = e
                    .get(Section::Contexts.body())
                    .and_then(|b| b.get("namespace")?.as_str())
                    .filter(|ns| !ns.is_empty());
                Some((name_of(e)?.to_owned(), ns.map(str::to_owned)))
            })
            .collect()
    }

    /// Sets the namespace of context `name`, keeping everything else of it; `false` when this
    /// file does not define the context.
    pub fn set_context_namespace(&mut self, name: &str, namespace: &str) -> bool {
        let body = Section::Contexts.body();
        let Some(entry) = self
            .list_mut(Section::Contexts)
            .iter_mut()
            .find(|e| name_of(e) == Some(name))
        else {
            return false;
        };
        body_mut(entry, body).insert("namespace".into(), namespace.into());
        true
    }

    /// Makes context `name` here a copy of `original` (the body another file defines), with
    /// `namespace` (`None`: without one). The copy takes every field but the extensions, so it
    /// names the same cluster and user; an entry of that name already here is replaced.
    pub fn put_context_copy(&mut self, name: &str, original: &Mapping, namespace: Option<&str>) {
        let mut copy = Mapping::new();
        for (k, v) in original {
            if !k.as_str().is_some_and(|k| NOT_COPIED.contains(&k)) {
                copy.insert(k.clone(), v.clone());
            }
        }
        if let Some(ns) = namespace {
            copy.insert("namespace".into(), ns.into());
        }
        let body = Section::Contexts.body();
        let list = self.list_mut(Section::Contexts);
        let idx = match list.iter().position(|e| name_of(e) == Some(name)) {
            Some(i) => i,
            None => {
                list.push(named_entry(name, body));
                list.len() - 1
            }
        };
        *body_mut(&mut list[idx], body) = copy;
    }

    /// Removes context `name` from this file; whether it was there.
    pub fn remove_context(&mut self, name: &str) -> bool {
        let list = self.list_mut(Section::Contexts);
        let before = list.len();
        list.retain(|e: &Value| name_of(e) != Some(name));
        list.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOBAL: &str = "\
contexts:
- name: a
  context:
    cluster: c1
    user: u
    namespace: team
    extensions:
    - name: eks-kc
      extension: {managedBy: eks-kc, clusterName: c1, region: eu-west-1, profile: p}
- name: b
  context: {cluster: c2, user: u}
";

    #[test]
    fn namespaces_are_read_and_set_in_place() {
        let mut cfg = Kubeconfig::parse(GLOBAL).unwrap();
        assert_eq!(cfg.context_namespace("a"), Some("team"));
        assert_eq!(cfg.context_namespace("b"), None);
        assert_eq!(cfg.context_namespace("zz"), None);
        assert_eq!(
            cfg.context_namespaces(),
            vec![
                ("a".to_owned(), Some("team".to_owned())),
                ("b".to_owned(), None)
            ]
        );
        assert!(cfg.set_context_namespace("b", "no"));
        assert!(!cfg.set_context_namespace("zz", "x"));
        let again = Kubeconfig::parse(&cfg.to_yaml().unwrap()).unwrap();
        // A YAML 1.1 boolean spelling stays a string.
        assert_eq!(again.context_namespace("b"), Some("no"));
        assert_eq!(again.context("b").unwrap().get("cluster").unwrap(), "c2");
        assert!(!again.has_context("zz"));
    }

    #[test]
    fn a_copy_keeps_cluster_and_user_but_not_the_marker() {
        let global = Kubeconfig::parse(GLOBAL).unwrap();
        let mut shell = Kubeconfig::parse("current-context: a\n").unwrap();
        shell.put_context_copy("a", global.context("a").unwrap(), Some("mine"));
        assert_eq!(shell.context_namespace("a"), Some("mine"));
        let body = shell.context("a").unwrap();
        assert_eq!(body.get("cluster").unwrap(), "c1");
        assert_eq!(body.get("user").unwrap(), "u");
        assert!(body.get("extensions").is_none());
        assert!(!shell.has_managed_entries());
        // Replaced, not duplicated; without a namespace, none.
        shell.put_context_copy("a", global.context("a").unwrap(), None);
        assert_eq!(shell.context_names(), ["a"]);
        assert_eq!(shell.context_namespace("a"), None);
        assert!(shell.remove_context("a"));
        assert!(!shell.remove_context("a"));
    }
}

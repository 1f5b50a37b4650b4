//! Property tests (proptest) over the parsers that take outside input: KUBERNETES_EXEC_INFO,
//! kubeconfig parse -> merge -> write -> parse, token decoding in `verify`, cache entries. They
//! run a few hundred cases in `cargo test`; `bench/fuzz.sh` runs many more for a bounded time.

use std::collections::BTreeSet;

use chrono::Utc;
use eks_kc::cache::token::{TokenEntry, TokenKey};
use eks_kc::exec::{ClusterConfig, parse_exec_info};
use eks_kc::kubeconfig::{ClusterId, DesiredCluster, Kubeconfig, MergeOptions, NameTemplate};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,12}"
}

/// The committed seed corpus of one target: tests/fixtures/seeds/<target>/* (and, for the
/// kubeconfig, the fixtures written by aws, eksctl and a person).
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = match target {
        "kubeconfig" => root.join("kubeconfig"),
        other => root.join("seeds").join(other),
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// A seed with a few bytes overwritten, inserted or removed: what a corrupt file or a fuzzer
/// would feed the parser.
fn mutated(target: &'static str) -> impl Strategy<Value = String> {
    let seeds = seeds(target);
    let n = seeds.len();
    (
        0..n,
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..12),
    )
        .prop_map(move |(i, edits)| {
            let mut bytes = seeds[i].clone();
            for (pos, byte, op) in edits {
                let at = if bytes.is_empty() {
                    0
                } else {
                    pos % bytes.len()
                };
                match op {
                    0 if !bytes.is_empty() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if !bytes.is_empty() => {
                        bytes.remove(at);
                    }
                    _ => bytes.push(byte),
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    // Arbitrary bytes as KUBERNETES_EXEC_INFO: an answer or an error, never a panic.
    #[test]
    fn exec_info_never_panics(raw in ".{0,300}") {
        let _ = parse_exec_info(&raw);
    }

    // Well-formed exec info with any config values round-trips the values.
    #[test]
    fn exec_info_keeps_the_cluster_config(
        cluster in name(), region in name(), profile in proptest::option::of(name()),
        v1 in any::<bool>(), interactive in any::<bool>(),
    ) {
        let config = ClusterConfig {
            cluster_name: Some(cluster), region: Some(region), profile, ..Default::default()
        };
        let raw = serde_json::json!({
            "apiVersion": if v1 { "client.authentication.k8s.io/v1" } else { "client.authentication.k8s.io/v1beta1" },
            "kind": "ExecCredential",
            "spec": {"interactive": interactive, "cluster": {"server": "https://x", "config": config}},
        }).to_string();
        let info = parse_exec_info(&raw).unwrap();
        prop_assert_eq!(info.config, config);
        prop_assert_eq!(info.interactive, interactive);
    }

    // Mutated seeds of every target: parsed or refused, never a panic.
    #[test]
    fn mutated_seeds_never_panic(
        info in mutated("exec-info"),
        kubeconfig in mutated("kubeconfig"),
        token in mutated("token"),
        entry in mutated("cache-entry"),
    ) {
        let _ = parse_exec_info(&info);
        if let Ok(mut cfg) = Kubeconfig::parse(&kubeconfig) {
            let template = NameTemplate::parse("{cluster}").unwrap();
            let _ = cfg.merge(&[], &MergeOptions {
                template: &template, listed: &BTreeSet::new(), prune: true, exec_command: "eks-kc", taken_elsewhere: &Default::default(), exec_style: None, set_current_if_none: false,
            });
            let _ = Kubeconfig::parse(&cfg.to_yaml().unwrap()).unwrap();
        }
        let _ = eks_kc::token::verify::check(&token, Utc::now());
        let key = TokenKey::new("prod", "eu-west-1", Some("ops"), None, |_| None);
        let _ = TokenEntry::from_bytes(entry.as_bytes(), &key);
    }

    // Arbitrary text as a kubeconfig: parsed or refused, never a panic.
    #[test]
    fn kubeconfig_parse_never_panics(raw in "(?s).{0,400}") {
        let _ = Kubeconfig::parse(&raw);
    }

    // A merge never drops or changes a foreign entry, and what it writes parses back to the
    // same document.
    #[test]
    fn merge_keeps_foreign_entries_through_a_round_trip(
        foreign in proptest::collection::btree_set(name(), 0..6),
        clusters in proptest::collection::btree_set((name(), prop_oneof!["eu-west-1", "us-east-1"]), 0..8),
        extra_key in name(),
        prune in any::<bool>(),
    ) {
        let mut text = format!("apiVersion: v1\nkind: Config\nx-{extra_key}: {{a: [1, 2]}}\nclusters:\n");
        for f in &foreign {
            // Quoted: `n`, `y` or `no` unquoted would be booleans to kubectl (YAML 1.1).
            text.push_str(&format!("- name: '{f}'\n  cluster: {{server: 'https://{f}', x-keep: true}}\n"));
        }
        text.push_str("contexts:\n");
        for f in &foreign {
            text.push_str(&format!("- name: '{f}'\n  context: {{cluster: '{f}', user: someone}}\n"));
        }
        text.push_str("users:\n- name: someone\n  user: {token: abc}\ncurrent-context: ''\n");
        let original = Kubeconfig::parse(&text).unwrap();
        let desired: Vec<DesiredCluster> = clusters.iter().map(|(c, r)| DesiredCluster {
            id: ClusterId { profile: "p".into(), region: r.clone(), cluster_name: c.clone() },
            arn: None, account: None, server: format!("https://{c}.eks"), ca_data: None,
            exec: ClusterConfig { cluster_name: Some(c.clone()), region: Some(r.clone()), profile: Some("p".into()), ..Default::default() },
            naming: Default::default(),
        }).collect();
        let listed: BTreeSet<(String, String)> =
            [("p".to_owned(), "eu-west-1".to_owned()), ("p".to_owned(), "us-east-1".to_owned())].into();
        let template = NameTemplate::parse("{cluster}.{region}.{profile}").unwrap();
        let mut merged = original.clone();
        let changes = merged.merge(&desired, &MergeOptions {
            template: &template, listed: &listed, prune, exec_command: "eks-kc", taken_elsewhere: &Default::default(), exec_style: None, set_current_if_none: false,
        }).unwrap();
        prop_assert!(changes.conflicts.is_empty());
        let reparsed = Kubeconfig::parse(&merged.to_yaml().unwrap()).unwrap();
        prop_assert_eq!(&reparsed, &merged);
        for f in &foreign {
            prop_assert!(reparsed.context_names().contains(f));
        }
        prop_assert_eq!(reparsed.managed_contexts().len(), desired.len());
        prop_assert_eq!(reparsed.to_yaml().unwrap().contains(&format!("x-{extra_key}")), true);
        // Merging again changes nothing.
        let mut again = reparsed.clone();
        let second = again.merge(&desired, &MergeOptions {
            template: &template, listed: &listed, prune, exec_command: "eks-kc", taken_elsewhere: &Default::default(), exec_style: None, set_current_if_none: false,
        }).unwrap();
        prop_assert!(!second.writes());
    }

    // Any string given to `verify`: a report, never a panic; a prefixed base64url of any URL
    // is decoded and judged.
    #[test]
    fn verify_never_panics(raw in ".{0,200}", url in "(?s).{0,300}") {
        let _ = eks_kc::token::verify::check(&raw, Utc::now());
        let token = eks_kc::token::encode(&url);
        let f = eks_kc::token::verify::check(&token, Utc::now());
        prop_assert!(!f.ok() || url.starts_with("https://sts."));
    }

    // Any bytes as a cache entry: a miss, never a panic.
    #[test]
    fn cache_entries_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let key = TokenKey::new("c", "eu-west-1", None, None, |_| None);
        let _ = TokenEntry::from_bytes(&raw, &key);
        let _ = TokenEntry::decode(&raw);
    }
}

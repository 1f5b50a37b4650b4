//! completions/ and man/ are generated from src/cli.rs and committed. This test renders them in
//! memory and fails on drift; run with EKS_KC_REGENERATE=1 to rewrite them.

use std::fs;
use std::path::Path;
use std::process::Command;

const REGENERATE: &str = "EKS_KC_REGENERATE=1 cargo test --test it generated::";

#[test]
fn committed_completions_and_man_pages_match_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = eks_kc::generate::all().unwrap();
    let write = std::env::var_os("EKS_KC_REGENERATE").is_some();
    let mut drift = vec![];
    for (path, want) in &files {
        let full = root.join(path);
        if write {
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(&full, want).unwrap();
        } else if fs::read(&full).ok().as_deref() != Some(want.as_slice()) {
            drift.push(path.display().to_string());
        }
    }
    // Files left over from a removed subcommand are drift too.
    for dir in ["completions", "man"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let rel = Path::new(dir).join(entry.unwrap().file_name());
            if !files.contains_key(&rel) {
                if write {
                    fs::remove_file(root.join(&rel)).unwrap();
                } else {
                    drift.push(format!("{} (stale)", rel.display()));
                }
            }
        }
    }
    assert!(
        drift.is_empty(),
        "generated files are out of date: {drift:?}\nregenerate them with: {REGENERATE}"
    );
    // Deterministic: rendering twice gives the same bytes.
    assert_eq!(files, eks_kc::generate::all().unwrap());
}

#[test]
fn man_pages_render_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages: Vec<_> = fs::read_dir(root.join("man"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(pages.len() > 5);
    let out = Command::new("mandoc")
        .args(["-Tlint", "-W", "warning"])
        .args(&pages)
        .output()
        .expect("mandoc is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "mandoc -Tlint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// src/regions/partitions.rs is the AWS SDK's partition data (issue 35: a hand-kept list missed
/// the European Sovereign Cloud). Rendered from the endpoint library of the aws-sdk-sts eks-kc
/// links; fails on drift, so an SDK update that adds a partition or region is noticed.
#[test]
fn committed_partition_table_matches_the_sdk() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("src/regions/partitions.rs");
    let want = render_partitions(&sdk_partitions());
    if std::env::var_os("EKS_KC_REGENERATE").is_some() {
        fs::write(&path, &want).unwrap();
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "src/regions/partitions.rs differs from the SDK's partition data\n\
         regenerate it with: {REGENERATE}"
    );
}

/// The partitions JSON compiled into aws-sdk-sts (`endpoint_lib.rs`), found through
/// `cargo metadata` (no network: the crate is already in cargo's registry for this build).
fn sdk_partitions() -> serde_json::Value {
    // Only this machine's platform: other platforms' crates may not have been downloaded.
    let rustc = Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-sdk-sts")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("aws-sdk-sts is a dependency");
    let lib = Path::new(manifest).with_file_name("src/endpoint_lib.rs");
    let source = fs::read_to_string(&lib).unwrap();
    let start = source.find("new_from_json(b\"").unwrap_or_else(|| {
        panic!(
            "{}: no partition JSON literal (new SDK layout?)",
            lib.display()
        )
    }) + "new_from_json(b\"".len();
    let mut json = String::new();
    let mut chars = source[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => json.push(chars.next().unwrap()),
            c => json.push(c),
        }
    }
    serde_json::from_str(&json).unwrap()
}

fn render_partitions(data: &serde_json::Value) -> String {
    let quote = |s: &str| format!("{s:?}");
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
        format!("&[{}]", quoted.join(", "))
    };
    let mut out = String::from(
        "//! The AWS SDK's partition data, rendered from the endpoint library of the aws-sdk-sts\n\
         //! eks-kc links: do not edit. `EKS_KC_REGENERATE=1 cargo test --test it generated::`\n\
         //! rewrites it; that test fails when the SDK's data and this file differ.\n\n\
         use super::Partition;\n\n\
         #[rustfmt::skip]\n\
         pub(super) const PARTITIONS: &[Partition] = &[\n",
    );
    for p in data["partitions"].as_array().unwrap() {
        let outputs = &p["outputs"];
        let regex = p["regionRegex"].as_str().unwrap();
        let prefixes = prefixes_of(regex);
        let partition = |region: &str| {
            prefixes.iter().any(|pre| {
                region
                    .strip_prefix(pre.as_str())
                    .and_then(|r| r.strip_prefix('-'))
                    .and_then(|r| r.split_once('-'))
                    .is_some_and(|(w, n)| {
                        !w.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
                    })
            })
        };
        let mut regions: Vec<String> = p["regions"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|r| partition(r))
            .cloned()
            .collect();
        regions.sort();
        out += &format!(
            "    Partition {{\n        name: {},\n        dns_suffix: {},\n        supports_fips: {},\n        \
             implicit_global_region: {},\n        region_regex: {},\n        region_prefixes: {},\n        \
             regions: {},\n    }},\n",
            quote(outputs["name"].as_str().unwrap()),
            quote(outputs["dnsSuffix"].as_str().unwrap()),
            outputs["supportsFIPS"].as_bool().unwrap(),
            quote(outputs["implicitGlobalRegion"].as_str().unwrap()),
            quote(regex),
            list(&prefixes),
            list(&regions),
        );
    }
    out + "];\n"
}

/// The region prefixes of the SDK's one pattern shape, `^LABEL\-LABEL...\-\w+\-\d+$` with each
/// LABEL a word or `(a|b)`: every `LABEL-LABEL` combination (`^eusc\-(de)\-\w+\-\d+$` ->
/// `eusc-de`). Another shape fails here, so Partition::matches is taught it before it ships.
fn prefixes_of(regex: &str) -> Vec<String> {
    let body = regex
        .strip_prefix('^')
        .and_then(|r| r.strip_suffix(r"\-\w+\-\d+$"))
        .unwrap_or_else(|| panic!("new region pattern shape: {regex}"));
    let mut prefixes = vec![String::new()];
    for label in body.split(r"\-") {
        let options: Vec<&str> = match label.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
            Some(group) => group.split('|').collect(),
            None => vec![label],
        };
        for o in &options {
            assert!(
                !o.is_empty() && o.bytes().all(|b| b.is_ascii_alphanumeric()),
                "new region pattern shape: {regex}"
            );
        }
        prefixes = prefixes
            .iter()
            .flat_map(|p| {
                options.iter().map(move |o| {
                    if p.is_empty() {
                        o.to_string()
                    } else {
                        format!("{p}-{o}")
                    }
                })
            })
            .collect();
    }
    prefixes
}

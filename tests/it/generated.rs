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

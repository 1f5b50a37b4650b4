//! Kubeconfig text <-> YAML tree, read and written the way kubectl reads it.
//!
//! kubectl parses kubeconfigs with go-yaml under YAML 1.1 rules: a plain `yes`, `off` or `y` is a
//! boolean, `0x1f`, `012`, `1_000` and `1:20` are numbers, and `!!binary` scalars are decoded.
//! serde_yaml reads and writes by YAML 1.2 rules, so a rewrite through it changed what kubectl
//! reads (a quoted `"no"` came back as the boolean `no`; upstream serde-yaml issues 319 and 380,
//! unfixed). serde-saphyr reads with YAML 1.1 resolution (`strict_booleans: false`,
//! `legacy_octal_numbers: true`) and, by default, quotes on output every string that a YAML 1.1
//! or go-yaml reader would take for something else. Measured on an adversarial corpus
//! (tests/fixtures/kubeconfig/adversarial.yaml) with `kubectl config view --raw -o json` before
//! and after a round trip: serde_yaml changed the meaning of 517 output lines (kubectl then
//! refused the file), serde-saphyr none but plain underscore floats (`1_0.5`, a float to go-yaml,
//! a string here), which the README lists.
//!
//! The tree itself stays serde_yaml's `Value`, so the rest of the code keeps one document model.

use anyhow::{Result, anyhow};
use serde_yaml::Value;

/// Parses YAML text into a tree with YAML 1.1 scalar resolution.
pub fn from_str(text: &str) -> Result<Value> {
    let options = serde_saphyr::options! {
        strict_booleans: false,
        legacy_octal_numbers: true,
        // The error names line and column; a snippet of the file could show a token or key.
        with_snippet: false,
        // A kubeconfig of a few thousand clusters has a few hundred thousand nodes: keep the
        // alias-bomb limits, lift the size limits well above any real kubeconfig.
        budget: serde_saphyr::budget! {
            max_events: 50_000_000,
            max_nodes: 20_000_000,
            max_depth: 256,
        },
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| anyhow!("{e}"))
}

/// Writes a tree as YAML that YAML 1.1 and 1.2 readers both read back to the same values.
pub fn to_string(value: &impl serde::Serialize) -> Result<String> {
    let options = serde_saphyr::ser_options! {
        // YAML 1.1 quoting (the default), said explicitly: it is why this crate is used.
        yaml_12: false,
        // Long strings (certificate data) stay on one line and multi-line ones are quoted,
        // as kubectl writes them, instead of folded or literal block scalars.
        prefer_block_scalars: false,
    };
    serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| anyhow!("cannot write the kubeconfig as YAML: {e}"))
}

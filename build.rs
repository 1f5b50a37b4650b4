//! Links the eks-kc binary as a position-dependent executable on Linux.
//!
//! `eks-kc token` runs once per kubectl request and its cache hit must cost about as much as
//! `cat`. A PIE binary of this size spends most of its start-up applying ~20,000 dynamic
//! relocations (and dirtying the pages they touch); a non-PIE executable has them resolved at
//! link time. Libraries, tests and proc macros are unaffected (`-bins` only). Writes nothing.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

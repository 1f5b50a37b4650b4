//! The integration tests, in one test binary (as ripgrep and cargo do): one link instead of one
//! per file, and one module per command or concern. Run them all with `cargo test --test it`,
//! one module with `cargo test --test it token::`.
//!
//! - `harness`: the temporary HOME and environment of each test, running the real `eks-kc`,
//!   kubeconfig and token helpers;
//! - `fakes`: the peers on 127.0.0.1 (the token-checking API server, EKS, STS, moto, IAM
//!   Identity Center), started from the scripts in tests/support;
//! - every other module is tests. What each needs besides cargo (python3 and moto, kubectl, a
//!   pty...) is listed in scripts/test, which skips a module whose peers are missing.

mod fakes;
mod harness;

mod adopt;
mod alias;
mod botocore_equivalence;
mod clients;
mod config;
mod contributor;
mod credentials;
mod docs;
mod doctor;
mod fidelity;
mod firstrun;
mod generated;
mod hangs;
mod hardening;
mod honest;
mod identity;
mod kubectl;
mod kuberc;
mod network;
mod outposts;
mod picker;
mod pkce;
mod plugin;
mod properties;
mod session_names;
mod shells;
mod signin;
mod signin_storm;
mod sso;
mod surface;
mod sync;
mod token;

//! eks-kc's two caches and what invalidates them, side by side:
//!
//! - `token`: the token cache's policy (first level): what identifies a token, how an entry is
//!   stored, when it is still good (pure, the clock passed in);
//! - `credentials`: the credential cache (second level): temporary AWS credentials per identity,
//!   in the OS keyring or a 0600 file;
//! - `provenance`: the file stamps and the profile-chain fingerprint stored with every entry of
//!   either, so an entry is served only while the configuration that produced it is unchanged.
//!
//! The engine that serves tokens from them is `engine`; the kubeconfig digest, a cache of the
//! parsed kubeconfig, lives with the kubeconfig (`kubeconfig::digest`).

pub mod credentials;
pub mod provenance;
pub mod signin;
pub mod token;

//! One entry function per subcommand, plus what several of them share.

pub mod cache;
pub mod list;
pub mod login;
pub mod switch;
pub mod sync;
pub mod token;
pub mod verify;

use crate::cache::{TokenEntry, TokenKey};
use crate::kubeconfig::ManagedContext;
use crate::store::PrivateDir;

/// The cache key `eks-kc token` uses when kubectl runs it for this context (its exec extension,
/// then the environment, exactly as `token` resolves them). `None` without a region.
pub fn context_token_key(m: &ManagedContext) -> Option<TokenKey> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let cluster = m.exec.cluster_name.as_deref().unwrap_or(&m.id.cluster_name);
    let region = m
        .exec
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))?;
    Some(TokenKey::new(
        cluster,
        &region,
        m.exec.profile.as_deref(),
        m.exec.role_arn.as_deref(),
        env,
    ))
}

/// The cached token for `key`, if there is a readable one.
pub fn cached_token(dir: &PrivateDir, key: &TokenKey) -> Option<TokenEntry> {
    let bytes = dir.read(&format!("{}.json", key.file_stem())).ok()??;
    TokenEntry::from_bytes(&bytes, key).ok()
}

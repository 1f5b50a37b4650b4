//! One entry function per subcommand, plus what several of them share.

pub mod adopt;
pub mod alias;
pub mod cache;
pub mod config;
pub mod doctor;
pub mod forget;
pub mod init;
pub mod list;
pub mod login;
pub mod man;
pub mod prompt;
pub mod switch;
pub mod sync;
pub mod token;
pub mod verify;

use anyhow::Result;

use crate::cache::token::TokenKey;
use crate::cli::{CacheDir, GlobalArgs};
use crate::engine::TokenRequest;
use crate::kubeconfig::ManagedContext;
use crate::settings::{Flags, Settings};

/// The settings of a command whose only flag among them is `--cache-dir`.
fn plain_settings(global: &GlobalArgs, on_command: &CacheDir) -> Result<Settings> {
    Settings::of_process(Flags {
        cache_dir: global.cache_dir(on_command.cache_dir.as_deref()),
        ..Flags::default()
    })
}

/// The cache key `eks-kc token` uses when kubectl runs it for this context. `None` when the
/// region would have to come from the AWS config files.
pub fn context_token_key(m: &ManagedContext) -> Option<TokenKey> {
    TokenRequest::for_context(m, false).ok()?.cache_key()
}

/// What to do when there is no current context: pick one, or, when the kubeconfig has no
/// contexts at all (`has_contexts` false), discover some first.
pub fn pick_a_context(has_contexts: bool) -> String {
    let bin = crate::display::bin();
    if has_contexts {
        format!("pick one with `{bin} use CONTEXT`")
    } else {
        format!("the kubeconfig has no contexts yet: `{bin} sync` discovers your clusters")
    }
}

/// Why a context with eks-kc's marker but no usable cluster identity is skipped.
pub fn unusable_message(name: &str) -> String {
    format!(
        "context '{name}' carries an eks-kc marker without a cluster name (copied or edited by \
         hand?), so eks-kc skips it; remove its eks-kc extension, or run `{bin} sync` to write \
         a proper one",
        bin = crate::display::bin()
    )
}

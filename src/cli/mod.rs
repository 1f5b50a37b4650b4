//! The command line, as clap types only. Doc comments here are the `--help` text, the man pages
//! and the shell completions; no logic lives in this file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod adopt;
mod alias;
mod cache;
mod config;
mod context;
mod login;
mod name;
mod sync;
mod token;

pub use adopt::AdoptArgs;
pub use alias::{AliasAction, AliasArgs};
pub use cache::{CacheAction, CacheArgs};
pub use config::{ConfigAction, ConfigArgs};
pub use context::{InitArgs, NsArgs, PromptArgs, UseArgs};
pub use login::LoginArgs;
pub use name::{PLUGIN_FILE_NAME, VERSION, display_bin_name, invoked_as_plugin};
pub use sync::{DEFAULT_CONCURRENCY, ExecStyleArg, SsoSpec, SyncArgs, SyncOutput};
pub use token::{TokenArgs, TokenOutput};

/// Make Amazon EKS clusters feel local.
///
/// `eks-kc sync` discovers every EKS cluster your AWS profiles can reach, across regions, and
/// writes them to the kubeconfig; every context it writes authenticates through `eks-kc token`,
/// a cached exec plugin that answers kubectl in about a millisecond. `list`, `use` and shell
/// completion switch between them; `verify`, `doctor` and `cache` explain what is going on;
/// `forget` removes everything sync wrote. `sync --save` remembers targets for a bare `eks-kc
/// sync` in a config file, which `config` shows.
#[derive(Debug, Parser)]
#[command(
    name = "eks-kc",
    version = VERSION,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// `-v` and `--cache-dir` before the subcommand (`eks-kc -v sync`), kept working but hidden:
/// each is documented, completed and accepted on the subcommands where it does something
/// ([`Verbosity`], [`CacheDir`]).
#[derive(Debug, Default, Args)]
pub struct GlobalArgs {
    #[arg(short, long, action = clap::ArgAction::Count, hide = true)]
    pub verbose: u8,

    #[arg(long, value_name = "DIR", hide = true)]
    pub cache_dir: Option<PathBuf>,
}

impl GlobalArgs {
    /// The cache directory a command uses: its own `--cache-dir` (`on_command`), else the one
    /// before the subcommand.
    pub fn cache_dir<'a>(
        &'a self,
        on_command: Option<&'a std::path::Path>,
    ) -> Option<&'a std::path::Path> {
        on_command.or(self.cache_dir.as_deref())
    }
}

/// `-v`, on the commands that talk to AWS (the others have nothing to log).
#[derive(Debug, Clone, Default, Args)]
pub struct Verbosity {
    /// More diagnostics on stderr (-v: eks-kc's decisions and the AWS errors behind a message,
    /// -vv: also the AWS SDK's log). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--cache-dir`, on the commands that read or write the token cache.
#[derive(Debug, Default, Args)]
pub struct CacheDir {
    /// Where tokens are cached [default: the platform cache dir, ~/.cache/eks-kc on Linux].
    #[arg(
        long,
        env = "EKS_KC_CACHE_DIR",
        hide_env_values = true,
        value_name = "DIR"
    )]
    pub cache_dir: Option<PathBuf>,
}

/// `eks-kc token` alone, for the exec-plugin hot path: clap then builds one subcommand's
/// arguments instead of all of them (a measurable part of a millisecond call). Anything it does
/// not accept, `--help` included, falls back to the full [`Cli`], so behaviour is identical.
#[derive(Debug, Parser)]
#[command(
    name = "eks-kc token",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct TokenCli {
    #[command(flatten)]
    pub args: TokenArgs,
}

/// `eks-kc prompt` alone, the same way: a shell runs it for every prompt it draws.
#[derive(Debug, Parser)]
#[command(
    name = "eks-kc prompt",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct PromptCli {
    #[command(flatten)]
    pub args: PromptArgs,
}

impl Cli {
    /// Parses the command line, taking the short path for `eks-kc token` and `eks-kc prompt`.
    pub fn parse_fast() -> Self {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let rest = |name: &str| {
            std::iter::once(std::ffi::OsString::from(name)).chain(args.iter().skip(2).cloned())
        };
        let short = |command| Cli {
            global: GlobalArgs::default(),
            command,
        };
        match args.get(1).and_then(|a| a.to_str()) {
            Some("token") => {
                if let Ok(t) = TokenCli::try_parse_from(rest("eks-kc token")) {
                    return short(Command::Token(t.args));
                }
            }
            Some("prompt") => {
                if let Ok(p) = PromptCli::try_parse_from(rest("eks-kc prompt")) {
                    return short(Command::Prompt(p.args));
                }
            }
            _ => {}
        }
        Self::parse_noting_sources(args)
    }

    /// [`Parser::parse_from`], plus what the derived types cannot tell: which flags with a
    /// default value were given (see `SyncArgs::note_sources`).
    fn parse_noting_sources(args: Vec<std::ffi::OsString>) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        // A fixed name, not argv[0]'s: `eks-kc` whatever the path, `kubectl eks-kc` for the
        // kubectl plugin (`kubectl-eks_kc`).
        let bin = display_bin_name(args.first().map(|a| a.as_os_str()));
        let command = || Cli::command().bin_name(bin);
        let matches = command().get_matches_from(args);
        let mut cli =
            Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command()).exit());
        if let (Command::Sync(a), Some(("sync", m))) = (&mut cli.command, matches.subcommand()) {
            a.note_sources(m);
        }
        cli
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Sync(SyncArgs),
    List(ListArgs),
    Use(UseArgs),
    Ns(NsArgs),
    Prompt(PromptArgs),
    Init(InitArgs),
    Token(TokenArgs),
    Login(LoginArgs),
    Verify(VerifyArgs),
    Doctor(DoctorArgs),
    Adopt(AdoptArgs),
    Alias(AliasArgs),
    Cache(CacheArgs),
    Forget(ForgetArgs),
    Config(ConfigArgs),
    Completions(CompletionsArgs),
    Man(ManArgs),
}

/// List the contexts eks-kc manages, with their cluster, region, profile and token state.
///
/// Reads only the kubeconfig and the token cache: no AWS call. The current context is marked
/// with `*`. TOKEN is `fresh (renews in Nm)` while the cached token will be served (it is renewed
/// the refresh margin before it expires), `expiring` when the next use renews it, or `none`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
    pub output: ListOutput,

    /// The kubeconfig to read [default: KUBECONFIG's files, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The refresh margin `eks-kc token` uses, to tell fresh from expiring.
    #[arg(long, env = "EKS_KC_REFRESH_MARGIN", hide_env_values = true, value_name = "DURATION",
          default_value = "5m", value_parser = crate::duration::parse_margin)]
    pub refresh_margin: chrono::Duration,

    #[command(flatten)]
    pub cache: CacheDir,
}

/// `-o` of every command but `sync` and `token`: `text` for people (`table`, its old name,
/// still works), `json` for programs. `sync -o` takes the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListOutput {
    #[value(name = "text", alias = "table")]
    Table,
    Json,
}

/// Check a token against the rules the EKS authenticator applies, and optionally ask STS who it
/// is.
///
/// Without TOKEN, a token is minted for the current context (as kubectl would get it) and
/// checked. `-` reads the token from stdin. The offline checks cover the prefix and encoding,
/// size, scheme, host per partition, path, query keys, Action and Version, X-Amz-Expires, signed
/// headers and age; the signature itself can only be checked by STS: `--online`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token (`k8s-aws-v1.…`), or `-` to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// The cluster the token must be for (sent as x-k8s-aws-id with --online) [default: the
    /// current context's cluster].
    #[arg(long, short = 'c', value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// Send the presigned request to STS and print the caller and the ARN a cluster's access
    /// mapping sees (honours AWS_ENDPOINT_URL_STS).
    #[arg(long)]
    pub online: bool,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
    pub output: ListOutput,

    /// The kubeconfig whose current context is used without TOKEN.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub cache: CacheDir,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Explain why a cluster answers 401 Unauthorized or 403 Forbidden, and print the fix
///
/// Walks every link kubectl's access to the cluster of CONTEXT (default: the current context)
/// depends on, and reports each as ok, FAILED, could not check, or skipped, with its evidence:
///
///   1 credentials   the AWS credentials `eks-kc token` signs with for the context (source,
///                   access key id, expiry) and who AWS says they are (STS GetCallerIdentity)
///   2 principal     the IAM ARN the cluster matches: an assumed-role session maps to its
///                   role, without the role's path
///   3 cluster       EKS DescribeCluster: status, public/private endpoint access, and the
///                   authentication mode (CONFIG_MAP, API, API_AND_CONFIG_MAP)
///   4 access entry  the principal's access entry (ListAccessEntries, DescribeAccessEntry,
///                   ListAssociatedAccessPolicies): type, Kubernetes groups, access policies
///                   and their scope (cluster or namespaces); skipped on a CONFIG_MAP cluster
///   5 API server    a token obtained exactly as kubectl gets it (same cache), sent to
///                   /version and to SelfSubjectReview (what `kubectl auth whoami` asks): the
///                   username and groups the cluster assigns, or the HTTP status and message;
///                   DNS, TLS and timeout failures are named as such
///
/// The verdict names the first failing link and the commands that fix it: for example
/// `aws eks create-access-entry` and `aws eks associate-access-policy`, or on a CONFIG_MAP
/// cluster the aws-auth mapping to add. A diagnostic call the caller may not make (say
/// eks:ListAccessEntries is denied) makes its link "could not check", not failed. Every network
/// call is bounded by EKS_KC_TIMEOUT. No token or secret key is ever printed.
///
/// Exit status: 0 when no link failed (could-not-check included), 1 when one did.
///
/// Examples:
///
///   eks-kc doctor                          # the current context
///   eks-kc doctor prod.eu-west-1.ops
///   eks-kc doctor -o json | jq .verdict
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DoctorArgs {
    /// The context to check: a name, an alias (`eks-kc alias`), a unique prefix or substring
    /// [default: the current context].
    #[arg(value_name = "CONTEXT",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
    pub context: Option<String>,

    /// Output format: the report as text, or the same report as JSON.
    #[arg(long, short = 'o', value_enum, default_value_t = ListOutput::Table)]
    pub output: ListOutput,

    /// The kubeconfig to read [default: KUBECONFIG's files, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub cache: CacheDir,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Remove every entry eks-kc wrote to the kubeconfig: the undo of `sync`.
///
/// Removes the clusters and contexts that carry eks-kc's marker, and the shared `eks-kc` user,
/// from every kubeconfig file that has them (the files of KUBECONFIG, or --kubeconfig), each
/// under the same lock and atomic write as sync. Entries eks-kc did not write are never touched.
/// A current-context that named a removed context is cleared. Cached tokens and credentials are
/// separate: `eks-kc cache clear` removes those.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// Show what would be removed; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,

    /// The kubeconfig to clean [default: every file of KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Seconds to wait for another kubectl or eks-kc to release the kubeconfig lock.
    #[arg(long, value_name = "SECONDS",
          default_value_t = crate::settings::DEFAULT_LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,
}

/// Print a shell completion script
///
/// Completes subcommands and flags, and dynamically the context names and aliases for `use`,
/// `doctor`, `token --context` and `cache clear --context` (from the kubeconfig and the config
/// file), profile names for `--profile` (from the AWS config files), region names for
/// `--region` (eks-kc's list) and IAM Identity Center sessions for `--sso-session`. Completion
/// reads local files only. Install, for example:
///
///   bash:  echo 'source <(eks-kc completions bash)' >> ~/.bashrc
///   zsh:   echo 'source <(eks-kc completions zsh)' >> ~/.zshrc
///   fish:  eks-kc completions fish > ~/.config/fish/completions/eks-kc.fish
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CompletionsArgs {
    /// The shell to print the script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl Shell {
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Elvish => "elvish",
            Shell::Powershell => "powershell",
        }
    }
}

/// Print a man page (roff) on stdout, or install them all.
///
/// `eks-kc man | man -l -` shows eks-kc(1), `eks-kc man sync | man -l -` shows eks-kc-sync(1),
/// `eks-kc man cache clear` eks-kc-cache-clear(1). `cargo install` installs no man pages: `eks-kc
/// man --install` writes all of them where `man eks-kc-sync` finds them, or says what to add to
/// MANPATH.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`sync`, `cache clear`) [default: eks-kc(1)].
    #[arg(value_name = "COMMAND", conflicts_with = "install")]
    pub command: Vec<String>,

    /// Write every page (eks-kc.1 and eks-kc-*.1) into DIR/man1 (into DIR itself when it is
    /// named man1), creating it, instead of printing one. Without DIR: where man looks for this
    /// user, the share/man beside eks-kc's directory when that is on PATH and in your home
    /// (~/.cargo/share/man after `cargo install`), else ~/.local/share/man ($XDG_DATA_HOME/man).
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub install: Option<Option<PathBuf>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn version_names_commit_and_target() {
        assert!(VERSION.starts_with(concat!(env!("CARGO_PKG_VERSION"), " (commit ")));
        assert!(VERSION.ends_with(concat!(", ", env!("EKS_KC_TARGET"), ")")));
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
        TokenCli::command().debug_assert();
        PromptCli::command().debug_assert();
    }
}

//! `use`, `ns`, `prompt` and `init`: choosing the context and namespace, everywhere or per shell,
//! and showing them (clap types only; the doc comments are the help text).

use std::path::PathBuf;

use clap::Args;

use super::CacheDir;

/// Switch kubectl's current context, everywhere or in this shell only.
///
/// CONTEXT is an exact context name, else an alias (`eks-kc alias`), else a unique prefix,
/// else a unique substring of one; an ambiguous or unknown name is an error that lists the
/// candidates. `-` goes back to the
/// previous context. `-n NAMESPACE` sets the context's namespace too (`-n -`: its previous one).
///
/// Without CONTEXT (or with -i), on a terminal, a fuzzy picker opens: type to narrow the list
/// (the query matches a context's name and the line under it: cluster, region, account and role
/// or profile, namespace, token), Up and Down to move, Enter to switch as `use NAME` would,
/// Esc or Ctrl-C to leave with nothing changed (exit status 130). With the query empty, the
/// contexts used last come first: this shell's, then every shell's (the last 20 of each). With
/// -i, CONTEXT is the query it starts with. Not on a terminal, the context names are printed
/// one per line instead, in the kubeconfig's order (with -i and a query, the matching ones,
/// best first), and nothing changes.
///
/// Where the switch happens:
///
///   - By default, in the kubeconfig: every shell and tool that reads it follows. Only
///     current-context changes (and the context's namespace with -n), under the kubeconfig
///     lock. This is the only behaviour outside a shell set up with `eks-kc init`.
///   - --shell, in a shell set up with `eks-kc init bash|zsh|fish`: in this shell only. Its
///     KUBECONFIG then starts with a file of its own holding its current-context (and its
///     namespace), so kubectl, k9s and every client-go tool in it follow, other shells do not,
///     and `kubectl config use-context` in it stays in it. Without CONTEXT, the picker starts
///     on the context in use now, so Enter keeps it for this shell while the others move on;
///     not on a terminal, the shell keeps it without asking.
///   - In a shell that has a context of its own, plain `use` (and `use -`) switches that shell
///     only, where its context comes from; --global switches the kubeconfig and makes the
///     shell follow it again.
///
/// Examples:
///
///   eks-kc use                        # pick one (on a terminal)
///   eks-kc use -i prod                # pick, starting from the query "prod"
///   eks-kc use prod                   # the kubeconfig's current context
///   eks-kc use --shell staging -n web # this shell only, namespace web
///   eks-kc use -                      # back to the previous context (of this shell)
///   eks-kc use --global prod          # every shell again
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct UseArgs {
    /// The context to switch to, or `-` for the previous one; without it, pick one.
    #[arg(value_name = "CONTEXT",
          add = clap_complete::engine::ArgValueCandidates::new(crate::complete::contexts))]
    pub context: Option<String>,

    /// Pick in the fuzzy picker, CONTEXT being the query it starts with.
    #[arg(long, short = 'i')]
    pub interactive: bool,

    /// Also set the context's namespace; `-` for its previous one.
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        allow_hyphen_values = true
    )]
    pub namespace: Option<String>,

    /// Switch this shell only (needs `eks-kc init` in the shell's start-up file).
    #[arg(long, conflicts_with_all = ["global", "kubeconfig"])]
    pub shell: bool,

    /// Switch the kubeconfig, and make this shell follow it again if it had its own context.
    #[arg(long)]
    pub global: bool,

    /// The kubeconfig to change [default: KUBECONFIG's files, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Seconds to wait for another kubectl or eks-kc to release the kubeconfig lock.
    #[arg(long, value_name = "SECONDS",
          default_value_t = crate::settings::DEFAULT_LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,
}

/// Show or change the namespace of the current context.
///
/// With NAMESPACE, sets it on the current context; `-` goes back to the context's previous
/// namespace. Where, as for `use`: in the kubeconfig (the file that defines the context, under
/// its lock), or, in a shell that has a context of its own (or with --shell), in that shell
/// only. A NAMESPACE given is not checked against the cluster: eks-kc makes no call for it.
///
/// Without NAMESPACE, on a terminal, a fuzzy picker opens on the namespaces of the current
/// context's cluster, which the API server lists for the context's EKS token (each call bounded
/// by EKS_KC_TIMEOUT); Enter switches as `ns NAME` would, Esc or Ctrl-C leaves with nothing
/// changed (exit status 130). When they cannot be listed (the context is not an EKS one, the
/// cluster is unreachable or refuses the token), eks-kc says why and asks for a name instead.
/// Not on a terminal, it prints the cluster's namespaces, one per line (as kubens does), or
/// fails saying why they cannot be listed. --current prints the namespace kubectl uses now
/// (`default` when the context sets none).
///
/// Examples:
///
///   eks-kc ns                 # pick one (on a terminal)
///   eks-kc ns | grep web      # the cluster's namespaces
///   eks-kc ns --current       # the namespace in use
///   eks-kc ns kube-system
///   eks-kc ns -               # back to the previous one
///   eks-kc ns --shell web     # this shell only
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct NsArgs {
    /// The namespace to switch to, or `-` for the previous one; without it, pick (or list).
    #[arg(value_name = "NAMESPACE", allow_hyphen_values = true)]
    pub namespace: Option<String>,

    /// Pick among the cluster's namespaces (not on a terminal: print them), as without
    /// NAMESPACE.
    #[arg(long, short = 'i', conflicts_with = "namespace")]
    pub interactive: bool,

    /// Print the namespace of the current context (`default` when it sets none).
    #[arg(long, short = 'c', conflicts_with_all = ["namespace", "interactive", "shell", "global"])]
    pub current: bool,

    /// Change it in this shell only (needs `eks-kc init` in the shell's start-up file).
    #[arg(long, conflicts_with_all = ["global", "kubeconfig"])]
    pub shell: bool,

    /// Change it in the kubeconfig, and make this shell follow it again if it had its own
    /// context.
    #[arg(long)]
    pub global: bool,

    /// The kubeconfig to read and change [default: KUBECONFIG's files, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Seconds to wait for another kubectl or eks-kc to release the kubeconfig lock.
    #[arg(long, value_name = "SECONDS",
          default_value_t = crate::settings::DEFAULT_LOCK_TIMEOUT.as_secs())]
    pub lock_timeout: u64,
}

/// Print the current context (and namespace) for a shell prompt.
///
/// Prints `CONTEXT`, or `CONTEXT:NAMESPACE` when the context sets a namespace; nothing (and exit
/// status 0) when there is no current context. It reads the kubeconfig digest, not the
/// kubeconfig: about a millisecond, whatever the kubeconfig's size. The digest is checked
/// against every kubeconfig file's size, mtime and inode on each call, so a switch by kubectl,
/// another eks-kc or a hand edit shows at the next prompt.
///
/// Examples:
///
///   PS1='[$(eks-kc prompt)] \$ '                        # bash
///   PROMPT='[${$(eks-kc prompt)//\%/%%}] %# '          # zsh, with `setopt prompt_subst`
///   function fish_right_prompt; eks-kc prompt; end      # fish
///   eks-kc prompt --format '⎈ {context} ({namespace})'
///
/// starship: see README (a `[custom.eks_kc]` module running `eks-kc prompt`).
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PromptArgs {
    /// What to print: {context} and {namespace} (`default` when the context sets none) are
    /// replaced, `{{` and `}}` print a brace.
    #[arg(long, short = 'f', value_name = "FORMAT")]
    pub format: Option<String>,

    /// The kubeconfig to read [default: KUBECONFIG's files, else ~/.kube/config].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    #[command(flatten)]
    pub cache: CacheDir,
}

/// Print the shell integration: per-shell contexts and namespaces.
///
/// Load it from the shell's start-up file:
///
///   bash:  echo 'eval "$(eks-kc init bash)"' >> ~/.bashrc
///   zsh:   echo 'eval "$(eks-kc init zsh)"' >> ~/.zshrc
///   fish:  echo 'eks-kc init fish | source' >> ~/.config/fish/config.fish
///
/// It defines a shell function `eks-kc` that runs the binary and, for `use` and `ns`, applies
/// the change of KUBECONFIG they print (so `use --shell` can switch this shell alone), and sets
/// EKS_KC_SHELL to the shell's pid. Nothing changes until `eks-kc use --shell`: the shell reads
/// the kubeconfig as before. A shell's own file lives in $XDG_RUNTIME_DIR/eks-kc/shells (else
/// the state dir, ~/.local/state/eks-kc/shells; EKS_KC_STATE_DIR/shells when that is set),
/// and the files of shells that have exited are removed by the next `init`, `use` or `ns`.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct InitArgs {
    /// The shell to print the integration for.
    #[arg(value_enum)]
    pub shell: crate::shell::Dialect,
}

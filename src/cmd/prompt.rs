//! `eks-kc prompt`: the current context and namespace for a shell prompt, from the prompt
//! digest (see `crate::kubeconfig::digest`): no YAML is parsed while the kubeconfig is unchanged.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::GlobalArgs;
use crate::cli::PromptArgs;
use crate::exit;
use crate::kubeconfig;

/// One piece of a `--format`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Context,
    Namespace,
}

/// A parsed `--format`: `{context}`, `{namespace}`, `{{` and `}}`, and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format(Vec<Piece>);

impl Format {
    pub fn parse(text: &str) -> Result<Format> {
        let mut pieces = vec![];
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{{") {
                literal.push('{');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("}}") {
                literal.push('}');
                rest = after;
            } else if c == '{' {
                let Some(end) = rest.find('}') else {
                    bail!("--format {text:?}: a '{{' is not closed (write {{{{ for a brace)");
                };
                let piece = match &rest[1..end] {
                    "context" => Piece::Context,
                    "namespace" => Piece::Namespace,
                    other => bail!(
                        "--format {text:?}: unknown field {{{other}}}; the fields are {{context}} \
                         and {{namespace}}"
                    ),
                };
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
                rest = &rest[end + 1..];
            } else if c == '}' {
                bail!("--format {text:?}: a '}}' closes nothing (write }}}} for a brace)");
            } else {
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Format(pieces))
    }

    fn render(&self, context: &str, namespace: &str) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Context => context,
                Piece::Namespace => namespace,
            })
            .collect()
    }
}

/// What the prompt shows: `format` filled in, else `CONTEXT` or `CONTEXT:NAMESPACE` (when the
/// context sets one); nothing without a current context.
pub fn text(format: Option<&Format>, prompt: &kubeconfig::digest::Prompt) -> String {
    let Some(context) = prompt.context.as_deref() else {
        return String::new();
    };
    // The names come from the kubeconfig; the format (colours, say) is the user's own.
    let context = &*crate::display::safe(context);
    let namespace = prompt.namespace.as_deref().map(crate::display::safe);
    match (format, namespace.as_deref()) {
        (Some(f), ns) => f.render(context, super::switch::effective(ns)),
        (None, Some(ns)) => format!("{context}:{ns}"),
        (None, None) => context.to_owned(),
    }
}

/// `eks-kc prompt`. A prompt without a cache directory (no HOME) still works, parsing each time.
pub fn main(args: &PromptArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8> {
    let settings = super::plain_settings(global, &args.cache).ok();
    let cache_dir = settings.as_ref().and_then(|s| s.cache_dir().ok());
    run(args, cache_dir, out).map(|()| exit::SUCCESS)
}

pub fn run(args: &PromptArgs, cache_dir: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    let format = args.format.as_deref().map(Format::parse).transpose()?;
    let prompt = kubeconfig::digest::load_prompt(args.kubeconfig.as_deref(), cache_dir)?;
    let text = text(format.as_ref(), &prompt);
    if !text.is_empty() {
        writeln!(out, "{text}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(context: Option<&str>, namespace: Option<&str>) -> kubeconfig::digest::Prompt {
        kubeconfig::digest::Prompt {
            context: context.map(str::to_owned),
            namespace: namespace.map(str::to_owned),
        }
    }

    #[test]
    fn default_shows_the_namespace_only_when_the_context_sets_one() {
        assert_eq!(text(None, &prompt(Some("prod"), None)), "prod");
        assert_eq!(text(None, &prompt(Some("prod"), Some("web"))), "prod:web");
        assert_eq!(text(None, &prompt(None, Some("web"))), "");
    }

    #[test]
    fn formats_fill_fields_and_escape_braces() {
        let f = Format::parse("⎈ {context} ({namespace}) {{x}}").unwrap();
        assert_eq!(
            text(Some(&f), &prompt(Some("a"), None)),
            "⎈ a (default) {x}"
        );
        assert_eq!(text(Some(&f), &prompt(Some("a"), Some("n"))), "⎈ a (n) {x}");
        assert_eq!(text(Some(&f), &prompt(None, None)), "");
        for bad in ["{context", "{cluster}", "a}b", "{}"] {
            let err = Format::parse(bad).unwrap_err().to_string();
            assert!(err.contains("--format"), "{bad}: {err}");
        }
    }
}

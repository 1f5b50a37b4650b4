//! The config file's YAML, and the only YAML code of the config file: text to a tree that
//! remembers where each key and value is (line, byte offsets), so that an error names its line
//! and `--save` can replace one section and keep the rest of the file byte for byte; and
//! settings to YAML text, quoted by YAML 1.1 rules as the kubeconfig is (see
//! `kubeconfig::yaml`).
//!
//! A key that appears twice in one mapping is an error here, for every reader of the file (a
//! reader that took the first and one that took the last would disagree on what it says).
//!
//! Scalars keep their text: the schema decides what a scalar means, so an account id
//! `012345678901` stays that text (YAML 1.1 would read it as an octal number) and `yes` is a
//! boolean only where a boolean is expected.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, ScanError, Span, StructureStyle};

/// The deepest nesting read (the schema needs 4); deeper input is refused, not recursed into.
const MAX_DEPTH: usize = 32;
/// The most nodes one document may expand to, aliases included (an alias bomb stops here).
const MAX_NODES: usize = 100_000;

/// A YAML node and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    /// 1-based line of the node's first character.
    pub line: usize,
    /// Byte offset just past the node's last character (its last child's for a block
    /// collection).
    pub end: usize,
    /// Nodes in this one, itself included (to bound what aliases expand to).
    size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A scalar's text after escapes; `plain` when it was not quoted or a block scalar.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        flow: bool,
    },
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// 1-based line of the key.
    pub line: usize,
    /// Byte offset of the key's first character.
    pub start: usize,
    pub value: Node,
}

impl Node {
    /// Whether this is YAML's null: `~`, `null` or nothing at all, unquoted.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
}

/// A YAML error and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> YamlError {
    YamlError {
        line,
        message: message.into(),
    }
}

impl From<ScanError> for YamlError {
    fn from(e: ScanError) -> Self {
        err(e.marker().line(), format!("not valid YAML: {}", e.info()))
    }
}

/// Parses one YAML document; `None` when the text has none (empty, or only comments).
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut reader = Reader {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
        line: 1,
    };
    let mut doc = None;
    loop {
        match reader.next()? {
            (Event::StreamStart | Event::DocumentEnd, _) => {}
            (Event::StreamEnd, _) => return Ok(doc),
            (Event::DocumentStart(..), span) if doc.is_some() => {
                return Err(err(
                    span.start.line(),
                    "a second YAML document (after `---`): the config file is one document",
                ));
            }
            (Event::DocumentStart(..), _) => match reader.next()? {
                (Event::DocumentEnd, _) => {}
                (event, span) => doc = Some(reader.node(event, span, 0, "")?),
            },
            (_, span) => return Err(err(span.start.line(), "unexpected YAML structure")),
        }
    }
}

struct Reader<'a> {
    events: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    /// Anchored nodes by anchor id, for aliases.
    anchors: HashMap<usize, Node>,
    nodes: usize,
    /// Line of the last event, for an error at the end of the text.
    line: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.events.next_event() {
            Some(Ok((event, span))) => {
                self.line = span.start.line();
                Ok((event, span))
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(err(self.line, "the YAML text ends too early")),
        }
    }

    fn count(&mut self, size: usize, line: usize) -> Result<(), YamlError> {
        self.nodes += size;
        if self.nodes > MAX_NODES {
            return Err(err(
                line,
                "too many YAML nodes (aliases expanding without end?)",
            ));
        }
        Ok(())
    }

    /// The node that starts with `event`, at `path` (`sync.profiles[1]`, for errors).
    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        depth: usize,
        path: &str,
    ) -> Result<Node, YamlError> {
        let line = span.start.line();
        if depth > MAX_DEPTH {
            return Err(err(line, "nested too deeply"));
        }
        let byte = |span: &Span| span.end.byte_offset().unwrap_or_default();
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (
                Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    line,
                    end: byte(&span),
                    size: 1,
                },
                anchor,
            ),
            Event::SequenceStart(style, anchor, _) => {
                let mut items: Vec<Node> = vec![];
                let end = loop {
                    match self.next()? {
                        (Event::SequenceEnd, end) => break end,
                        (event, span) => {
                            let at = format!("{path}[{}]", items.len());
                            items.push(self.node(event, span, depth + 1, &at)?)
                        }
                    }
                };
                let flow = style == StructureStyle::Flow;
                (collection(Value::Seq(items), &span, &end, flow), anchor)
            }
            Event::MappingStart(style, anchor, _) => {
                let mut entries: Vec<Entry> = vec![];
                // Each key's line, to refuse a second one (a hash: a hostile file may hold
                // many keys).
                let mut seen: HashMap<String, usize> = HashMap::new();
                let end = loop {
                    let (event, key_span) = match self.next()? {
                        (Event::MappingEnd, end) => break end,
                        other => other,
                    };
                    let key = self.node(event, key_span, depth + 1, path)?;
                    let Value::Scalar { text, .. } = key.value else {
                        return Err(err(
                            key.line,
                            "a key must be a plain name, not a list or map",
                        ));
                    };
                    let at = match path {
                        "" => text.clone(),
                        _ => format!("{path}.{text}"),
                    };
                    if let Some(first) = seen.insert(text.clone(), key.line) {
                        return Err(err(
                            key.line,
                            format!(
                                "duplicate key '{}' (also on line {first}); keep one",
                                crate::display::safe(&at)
                            ),
                        ));
                    }
                    let (event, span) = self.next()?;
                    entries.push(Entry {
                        key: text,
                        line: key.line,
                        start: key_span.start.byte_offset().unwrap_or_default(),
                        value: self.node(event, span, depth + 1, &at)?,
                    });
                };
                let flow = style == StructureStyle::Flow;
                (
                    collection(Value::Map { entries, flow }, &span, &end, flow),
                    anchor,
                )
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).cloned() else {
                    return Err(err(line, "an alias (*name) without its anchor (&name)"));
                };
                self.count(target.size, line)?;
                return Ok(Node {
                    line,
                    end: byte(&span),
                    ..target
                });
            }
            _ => return Err(err(line, "unexpected YAML structure")),
        };
        self.count(1, line)?;
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// A collection node from its opening and closing events: in flow style it ends at its closing
/// bracket, in block style with its last child (the closing event stands at the next token).
fn collection(value: Value, open: &Span, close: &Span, flow: bool) -> Node {
    let (last, size) = match &value {
        Value::Seq(items) => (
            items.last().map(|n| n.end),
            items.iter().map(|n| n.size).sum(),
        ),
        Value::Map { entries, .. } => (
            entries.last().map(|e| e.value.end),
            entries.iter().map(|e| e.value.size).sum(),
        ),
        Value::Scalar { .. } => (None, 0),
    };
    let end = match (flow, last) {
        (false, Some(end)) => end,
        (false, None) => open.start.byte_offset().unwrap_or_default(),
        (true, _) => close.end.byte_offset().unwrap_or_default(),
    };
    Node {
        value,
        line: open.start.line(),
        end,
        size: 1 + size,
    }
}

/// `value` as YAML text that YAML 1.1 and 1.2 readers both read back to the same values.
pub fn to_string(value: &serde_yaml::Value) -> Result<String, String> {
    let options = serde_saphyr::ser_options! {
        yaml_12: false,
        prefer_block_scalars: false,
    };
    serde_saphyr::to_string_with_options(value, options).map_err(|e| e.to_string())
}

/// `text` with the top-level entry `key` replaced by `section` (YAML text of a one-key mapping,
/// ending in a newline), or `section` appended when there is no such entry. Everything else,
/// comments included, is kept byte for byte; the old entry's own comments go with it.
///
/// `doc` is `parse(text)`; a top level in flow style (`{sync: ...}`) is refused, as is anything
/// but a mapping.
pub fn replace_entry(
    text: &str,
    doc: Option<&Node>,
    key: &str,
    section: &str,
) -> Result<String, String> {
    let entries = match doc.map(|d| &d.value) {
        None => &[][..],
        Some(Value::Map {
            entries,
            flow: false,
        }) => entries.as_slice(),
        Some(_) => {
            return Err(
                "its top level is not a block mapping (`sync:` at the start of a line), so \
                 eks-kc cannot rewrite one section of it"
                    .into(),
            );
        }
    };
    let Some(entry) = entries.iter().find(|e| e.key == key) else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(section);
        return Ok(out);
    };
    let start = text[..entry.start].rfind('\n').map_or(0, |i| i + 1);
    let last = entry.value.end.max(entry.start + key.len()).min(text.len());
    let end = if last > 0 && text.as_bytes()[last - 1] == b'\n' {
        last
    } else {
        text[last..].find('\n').map_or(text.len(), |i| last + i + 1)
    };
    Ok(format!("{}{section}{}", &text[..start], &text[end..]))
}

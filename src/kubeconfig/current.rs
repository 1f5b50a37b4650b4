//! `use`'s one-line rewrite: the value of `current-context` changed in the kubeconfig's text
//! itself, every other byte kept, where that is provably the change that parsing the file,
//! setting the field and writing the document back makes (what `kubectl config use-context`
//! and eks-kc's own full rewrite do). Finding it costs a scan of the text; a parse of 10,000
//! contexts costs most of a second. Pure: text in, text out.
//!
//! The caller passes the value the parsed document has now (from a digest that vouches for
//! this very text, or from a parse). The text qualifies only when all of these hold, each
//! checked without a YAML parser:
//! 1. no backslash anywhere: no escape sequence can spell the key `current-context` (or a
//!    value) without its plain bytes;
//! 2. no merge key (`<<`): the root's keys are its own, not merged in from another mapping;
//! 3. a block mapping at the root, in one document: the first line that is not blank or a
//!    comment starts with a letter at column 0 (not `---`, `%`, `{`, `[`, `-`, `?`, a tag, an
//!    anchor, a quote or a byte-order mark), and no line starts with `---` or `...`;
//! 4. the key's bytes occur exactly once, at the start of a line, followed by `: `: since the
//!    parsed root has the key and nothing else can spell it, that occurrence is the root's key,
//!    at indentation 0;
//! 5. the rest of that line is exactly the current value, in the characters of a plain scalar
//!    (letters, digits, `-._/:@`, no trailing `:`): a quote, tag, anchor, comment, trailing
//!    space, CR (CRLF line ends) or a value continued on the next line would make the parsed
//!    value differ from those bytes;
//! 6. the new name is one the YAML writer writes plain, `current-context: NAME` (so not `yes`,
//!    `1.5`, `null` or anything YAML 1.1 or 1.2 reads as another type), in the same characters
//!    (so it is a plain scalar in flow context too).
//!
//! Anything else is refused with the reason, and the caller parses and rewrites the file.

use std::ops::Range;

use serde_yaml::{Mapping, Value};

const KEY: &[u8] = b"current-context";

/// Why the text cannot be rewritten in place (the caller then rewrites the whole file).
pub type Refusal = &'static str;

/// `text` with `name` as its current context, `current` being the value the parsed document
/// has now; the reason it cannot be done without a full rewrite otherwise.
pub fn retarget(text: &[u8], current: &str, name: &str) -> Result<Vec<u8>, Refusal> {
    let at = value_range(text, current)?;
    if !writes_plain(name) {
        return Err("the new name needs quoting in YAML");
    }
    let mut out = Vec::with_capacity(text.len() + name.len());
    out.extend_from_slice(&text[..at.start]);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&text[at.end..]);
    Ok(out)
}

/// Where the value of the root's `current-context` is, when provably there (see the module's
/// rules).
fn value_range(text: &[u8], current: &str) -> Result<Range<usize>, Refusal> {
    if memchr::memchr(b'\\', text).is_some() {
        return Err("the file has a backslash (an escape could spell the key)");
    }
    if memchr::memmem::find(text, b"<<").is_some() {
        return Err("the file may have a merge key (<<)");
    }
    if !block_mapping_root(text) {
        return Err("the root is not a block mapping starting at column 0");
    }
    if memchr::memmem::find(text, b"\n---").is_some()
        || memchr::memmem::find(text, b"\n...").is_some()
    {
        return Err("the file has a document marker (--- or ...)");
    }
    let mut found = memchr::memmem::find_iter(text, KEY);
    let (Some(at), None) = (found.next(), found.next()) else {
        return Err("current-context does not occur exactly once");
    };
    if at > 0 && text.get(at - 1) != Some(&b'\n') {
        return Err("current-context is not a key at the start of a line");
    }
    let start = at + KEY.len() + 2;
    if text.get(at + KEY.len()..start) != Some(b": ") {
        return Err("current-context is not followed by ': '");
    }
    let rest = text.get(start..).unwrap_or_default();
    let end = memchr::memchr(b'\n', rest).map_or(text.len(), |n| start + n);
    if text.get(start..end) != Some(current.as_bytes()) || !plain_characters(current) {
        return Err("the value is not written as a plain scalar on its line");
    }
    Ok(start..end)
}

/// Whether the first line that is not blank or a comment starts with a letter at column 0.
fn block_mapping_root(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n')
        .find(|line| {
            let content = line.trim_ascii_start();
            content.first().is_some_and(|c| *c != b'#')
        })
        .and_then(|line| line.first())
        .is_some_and(u8::is_ascii_alphabetic)
}

/// Whether `s` is in the characters of a plain scalar in block and flow context alike.
fn plain_characters(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphanumeric() || matches!(b[0], b'_' | b'.' | b'/'))
        && b[b.len() - 1] != b':'
        && b.iter().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/' | b':' | b'@')
        })
}

/// Whether the kubeconfig's YAML writer writes `name` plain, as `current-context: NAME`.
fn writes_plain(name: &str) -> bool {
    if !plain_characters(name) {
        return false;
    }
    let mut m = Mapping::new();
    m.insert("current-context".into(), Value::String(name.to_owned()));
    super::yaml::to_string(&m).is_ok_and(|t| t == format!("current-context: {name}\n"))
}

#[cfg(test)]
mod tests;

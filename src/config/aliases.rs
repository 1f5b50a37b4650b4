//! The `aliases:` section of the config file: short names for contexts (`eks-kc alias`), which
//! every command that takes a context accepts. Pure: the section read from the YAML tree, each
//! mistake naming its line, and written back as YAML text.
//!
//! ```yaml
//! aliases:
//!   prod: prod.eu-west-1.ops
//!   stg: arn:aws:eks:eu-west-1:111122223333:cluster/staging
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::{Mapping, Value as Yaml};

use super::schema::{self, Checked, problem};
use super::yaml::{Node, Value};
use super::{ConfigError, yaml};

/// The top-level key of the section.
pub const SECTION: &str = "aliases";

/// The longest alias: a short name, so a DNS label's length is plenty.
const MAX_LEN: usize = 63;

/// Alias to context name, sorted by alias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases(pub BTreeMap<String, String>);

impl Aliases {
    /// The context `alias` names.
    pub fn get(&self, alias: &str) -> Option<&str> {
        self.0.get(alias).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The section as YAML text (ending in a newline); empty when there is no alias, so that
    /// writing it removes the section.
    pub fn render(&self) -> Result<String, String> {
        if self.0.is_empty() {
            return Ok(String::new());
        }
        let mut section = Mapping::new();
        for (alias, context) in &self.0 {
            section.insert(alias.as_str().into(), context.as_str().into());
        }
        let mut top = Mapping::new();
        top.insert(SECTION.into(), Yaml::Mapping(section));
        yaml::to_string(&Yaml::Mapping(top))
    }
}

/// Whether `alias` may be an alias: 1 to 63 letters, digits, `.`, `_` and `-`, starting with a
/// letter or digit (so it is never `-`, the previous context, nor taken for a flag). The error
/// says the rule.
pub fn check_name(alias: &str) -> Result<(), String> {
    let b = alias.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= MAX_LEN
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if ok {
        return Ok(());
    }
    Err(format!(
        "'{}' is not a valid alias: 1 to {MAX_LEN} letters, digits, '.', '_' and '-', starting \
         with a letter or digit",
        crate::display::safe(alias)
    ))
}

/// The aliases of a document (`None`: an empty file).
pub fn read(doc: Option<&Node>) -> Checked<Aliases> {
    let entries = match doc.map(|d| &d.value) {
        Some(Value::Map { entries, .. }) => entries.as_slice(),
        _ => &[],
    };
    let Some(section) = entries.iter().find(|e| e.key == SECTION) else {
        return Ok(Aliases::default());
    };
    let mut aliases = BTreeMap::new();
    for entry in schema::map(&section.value, SECTION)? {
        check_name(&entry.key).map_err(|e| problem(entry.line, format!("'{SECTION}': {e}")))?;
        let context = schema::string(&entry.value, &format!("{SECTION}.{}", entry.key))?;
        aliases.insert(entry.key.clone(), context);
    }
    Ok(Aliases(aliases))
}

/// The aliases of config file text: only its YAML and its `aliases:` section are checked.
pub fn of_text(path: &Path, text: &str) -> Result<Aliases, ConfigError> {
    let error = |line, message| ConfigError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let doc = yaml::parse(text).map_err(|e| error(e.line, e.message))?;
    read(doc.as_ref()).map_err(|p| error(p.line, p.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigFile;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("/c.yaml"), Some(text.to_owned()))
    }

    #[test]
    fn names_are_short_plain_words() {
        for good in [
            "p",
            "prod",
            "prod-eu.1",
            "a_b",
            "0x1f",
            "yes",
            &"a".repeat(63),
        ] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-",
            "-p",
            ".p",
            "a b",
            "a:b",
            "a/b",
            "é",
            "a\x1b",
            &"a".repeat(64),
        ] {
            let err = check_name(bad).unwrap_err();
            assert!(err.contains("not a valid alias"), "{err}");
        }
        assert!(check_name("a\x1b").unwrap_err().contains("\\x1b"));
    }

    #[test]
    fn the_section_is_read_with_lines_in_its_errors() {
        let file =
            parse("sync:\n  prune: true\naliases:\n  p: prod.eu-west-1.ops\n  'yes': y\n").unwrap();
        assert_eq!(file.aliases.get("p"), Some("prod.eu-west-1.ops"));
        assert_eq!(file.aliases.get("yes"), Some("y"));
        assert!(file.sync.prune);
        for (text, line, what) in [
            ("aliases: [a]\n", 1, "expected a mapping"),
            ("aliases:\n  p: a\n  p: b\n", 3, "duplicate key 'aliases.p'"),
            ("aliases:\n  'a b': c\n", 2, "not a valid alias"),
            ("aliases:\n  p: ''\n", 2, "expected a name"),
            ("aliases:\n  p: [x]\n", 2, "expected a name"),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.message.contains(what), "{text}: {err}");
        }
        // Only the aliases are checked for `use`: a mistake under sync does not stop it.
        let text = "sync:\n  regoins: [x]\naliases:\n  p: prod\n";
        assert!(parse(text).is_err());
        let aliases = of_text(Path::new("/c.yaml"), text).unwrap();
        assert_eq!(aliases.get("p"), Some("prod"));
        assert!(of_text(Path::new("/c.yaml"), "").unwrap().is_empty());
    }

    #[test]
    fn writing_keeps_the_rest_of_the_file_byte_for_byte() {
        let text = "# mine\nsync:\n  profiles: [a]   # keep\naliases:\n  old: x\n# tail\n";
        let file = parse(text).unwrap();
        let mut aliases = file.aliases.clone();
        aliases
            .0
            .insert("new".into(), "arn:aws:eks:eu-west-1:1:cluster/yes".into());
        aliases.0.insert("no".into(), "on".into());
        let out = file.with_aliases(&aliases).unwrap();
        assert!(
            out.starts_with("# mine\nsync:\n  profiles: [a]   # keep\n"),
            "{out}"
        );
        assert!(out.ends_with("# tail\n"), "{out}");
        let back = parse(&out).unwrap();
        assert_eq!(back.aliases, aliases);
        assert_eq!(back.sync, file.sync);
        // YAML 1.1 words are quoted, so every reader reads the same strings.
        assert!(out.contains("\"no\": \"on\""), "{out}");
        // No alias left: no section.
        let empty = file.with_aliases(&Aliases::default()).unwrap();
        assert_eq!(empty, "# mine\nsync:\n  profiles: [a]   # keep\n# tail\n");
        // A new file gets a header that says what it is.
        let new = ConfigFile::parse(Path::new("/c.yaml"), None).unwrap();
        let out = new.with_aliases(&aliases).unwrap();
        assert!(out.starts_with("# eks-kc's config file"), "{out}");
        assert_eq!(parse(&out).unwrap().aliases, aliases);
    }
}

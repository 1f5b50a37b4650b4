//! eks-kc's config file (`config.yaml`, see `paths::config_file`): the targets and options a
//! bare `eks-kc sync` runs with, and `sync --save` writes, and the aliases of contexts. Pure
//! but for `file`, which reads and writes it; `cmd::config` lays the command line over the
//! saved settings (`cmd::config::merge`).
//!
//! - `yaml`: text to a tree that knows each key's line and byte range, and settings to text;
//! - `schema`: the tree to [`SyncSettings`], each error naming line and key;
//! - `aliases`: the `aliases:` section (short names for contexts);
//! - `file`: the file on disk (trusted read, lock, atomic write), the one edge of this module.
//!
//! Top-level sections other than `sync` belong to other commands ([`OTHER_SECTIONS`]): they are
//! accepted here, read by their owners, and kept byte for byte when `--save` rewrites `sync`.

pub mod aliases;
pub mod file;
mod schema;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::kubeconfig::ExecStyle;
pub use aliases::Aliases;

/// Top-level sections other parts of eks-kc own and parse themselves: add a section's name
/// here when it is created, so that this reader accepts it.
pub const OTHER_SECTIONS: &[&str] = &[aliases::SECTION];

/// The keys of the file, spelled like the flags.
pub mod keys {
    /// Under `sync:`, in the order `--save` writes them.
    pub const SYNC: &[&str] = &[
        "profiles",
        "all-profiles",
        "regions",
        "all-regions",
        "role-arn",
        "role-session-name",
        "sso",
        "name-template",
        "prune",
        "exec-style",
        "concurrency",
    ];
    /// In each entry of `sync.sso`.
    pub const SSO: &[&str] = &["session", "start-url", "sso-region", "roles", "accounts"];
    /// The values of `sync.exec-style` (those of `--exec-style`).
    pub const EXEC_STYLES: &[&str] = &["shared", "per-context"];
}

/// The `sync:` section: the saved targets and options. Empty lists, `false` and `None` are
/// "not saved" (the flag's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSettings {
    pub profiles: Vec<String>,
    pub all_profiles: bool,
    pub regions: Vec<String>,
    pub all_regions: bool,
    pub role_arn: Option<String>,
    /// The name of the role sessions eks-kc starts (`--role-session-name`).
    pub role_session_name: Option<String>,
    /// IAM Identity Center logins, each with its own role and account filters.
    pub sso: Vec<SsoSpec>,
    pub name_template: Option<String>,
    pub prune: bool,
    pub exec_style: Option<ExecStyle>,
    pub concurrency: Option<u16>,
}

/// One IAM Identity Center login to discover through, with its filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsoSpec {
    /// An `[sso-session NAME]` of the AWS config; `None` with `start_url`.
    pub session: Option<String>,
    /// A start URL without a config section (then `region` is required).
    pub start_url: Option<String>,
    /// The IAM Identity Center region (overrides the section's `sso_region`).
    pub region: Option<String>,
    /// Preferred roles, first match per account wins; empty: every role.
    pub roles: Vec<String>,
    /// Account id or name globs; empty: every account.
    pub accounts: Vec<String>,
}

/// A config file that is not valid: its path, the line, and what is wrong with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The config file as read: its text (kept, to rewrite one section of it) and its settings.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Whether the file exists (a missing one reads as empty).
    pub exists: bool,
    text: String,
    doc: Option<yaml::Node>,
    pub sync: SyncSettings,
    /// The `aliases:` section (`eks-kc alias`).
    pub aliases: Aliases,
    /// The line of each `sync` key the file sets.
    pub lines: BTreeMap<&'static str, usize>,
}

impl ConfigFile {
    /// The file at `path` with content `text` (`None`: no such file), checked.
    pub fn parse(path: &Path, text: Option<String>) -> Result<ConfigFile, ConfigError> {
        let error = |line, message| ConfigError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let exists = text.is_some();
        let text = text.unwrap_or_default();
        let doc = yaml::parse(&text).map_err(|e| error(e.line, e.message))?;
        let (sync, lines) = schema::read(doc.as_ref()).map_err(|p| error(p.line, p.message))?;
        let aliases = aliases::read(doc.as_ref()).map_err(|p| error(p.line, p.message))?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            exists,
            text,
            doc,
            sync,
            aliases,
            lines,
        })
    }

    /// The file's text as read (empty for a missing file).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file's new text with `sync` as its `sync:` section: the rest of the file is kept
    /// byte for byte; a new file gets a header comment.
    pub fn with_sync(&self, sync: &SyncSettings) -> Result<String, String> {
        self.with_section("sync", &render(sync)?)
    }

    /// The file's new text with `aliases` as its `aliases:` section (none when it is empty),
    /// the rest kept byte for byte, as [`ConfigFile::with_sync`] does.
    pub fn with_aliases(&self, aliases: &Aliases) -> Result<String, String> {
        self.with_section(aliases::SECTION, &aliases.render()?)
    }

    fn with_section(&self, key: &str, section: &str) -> Result<String, String> {
        let text = if self.exists || !self.text.is_empty() {
            self.text.clone()
        } else {
            "# eks-kc's config file: `eks-kc sync --help` lists its keys.\n".to_owned()
        };
        yaml::replace_entry(&text, self.doc.as_ref(), key, section)
    }
}

/// `sync` as the YAML text of a `sync:` section (ending in a newline).
pub fn render(sync: &SyncSettings) -> Result<String, String> {
    let mut top = Mapping::new();
    top.insert("sync".into(), to_value(sync));
    yaml::to_string(&Value::Mapping(top))
}

/// `sync` as a tree, keys in file order, unsaved ones left out.
pub fn to_value(s: &SyncSettings) -> Value {
    let list =
        |items: &[String]| Value::Sequence(items.iter().map(|i| i.as_str().into()).collect());
    let mut m = Mapping::new();
    let mut put = |key: &str, value: Value| {
        m.insert(key.into(), value);
    };
    if !s.profiles.is_empty() {
        put("profiles", list(&s.profiles));
    }
    if s.all_profiles {
        put("all-profiles", true.into());
    }
    if !s.regions.is_empty() {
        put("regions", list(&s.regions));
    }
    if s.all_regions {
        put("all-regions", true.into());
    }
    if let Some(arn) = &s.role_arn {
        put("role-arn", arn.as_str().into());
    }
    if let Some(name) = &s.role_session_name {
        put("role-session-name", name.as_str().into());
    }
    if !s.sso.is_empty() {
        let entries = s.sso.iter().map(|spec| {
            let mut e = Mapping::new();
            let fields = [
                ("session", &spec.session),
                ("start-url", &spec.start_url),
                ("sso-region", &spec.region),
            ];
            for (key, value) in fields {
                if let Some(v) = value {
                    e.insert(key.into(), v.as_str().into());
                }
            }
            if !spec.roles.is_empty() {
                e.insert("roles".into(), list(&spec.roles));
            }
            if !spec.accounts.is_empty() {
                e.insert("accounts".into(), list(&spec.accounts));
            }
            Value::Mapping(e)
        });
        put("sso", Value::Sequence(entries.collect()));
    }
    if let Some(t) = &s.name_template {
        put("name-template", t.as_str().into());
    }
    if s.prune {
        put("prune", true.into());
    }
    if let Some(style) = s.exec_style {
        let name = match style {
            ExecStyle::Shared => "shared",
            ExecStyle::PerContext => "per-context",
        };
        put("exec-style", name.into());
    }
    if let Some(n) = s.concurrency {
        put("concurrency", u64::from(n).into());
    }
    Value::Mapping(m)
}

#[cfg(test)]
pub(crate) mod tests;

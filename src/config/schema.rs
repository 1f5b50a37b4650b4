//! The config file's schema: a YAML tree (see `yaml`) to [`SyncSettings`], every key and value
//! checked, each error naming its line and key (with the nearest known key for a typo).

use std::collections::BTreeMap;

use super::SsoSpec;
use super::yaml::{Entry, Node, Value};
use super::{OTHER_SECTIONS, SyncSettings, keys};
use crate::kubeconfig::ExecStyle;
use crate::kubeconfig::NameTemplate;
use crate::regions;

/// What is wrong, and on which 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

pub(super) type Checked<T> = Result<T, Problem>;

pub(super) fn problem(line: usize, message: impl Into<String>) -> Problem {
    Problem {
        line,
        message: message.into(),
    }
}

/// The sync settings of a document, and the line each key set is on.
pub fn read(doc: Option<&Node>) -> Checked<(SyncSettings, BTreeMap<&'static str, usize>)> {
    let mut lines = BTreeMap::new();
    let Some(doc) = doc.filter(|d| !d.is_null()) else {
        return Ok((SyncSettings::default(), lines));
    };
    let Value::Map { entries, .. } = &doc.value else {
        return Err(problem(
            doc.line,
            "the config file must be a mapping of sections (`sync:` and its keys)",
        ));
    };
    let mut sync = SyncSettings::default();
    for entry in unique(entries, "")? {
        match entry.key.as_str() {
            "sync" => sync = read_sync(&entry.value, &mut lines)?,
            other if OTHER_SECTIONS.contains(&other) => {}
            other => {
                let hint = if keys::SYNC.contains(&other) {
                    format!("; did you mean 'sync.{other}'? (sync settings go under `sync:`)")
                } else {
                    did_you_mean(other, &[&["sync"], OTHER_SECTIONS].concat())
                };
                return Err(problem(entry.line, format!("unknown key '{other}'{hint}")));
            }
        }
    }
    Ok((sync, lines))
}

fn read_sync(node: &Node, lines: &mut BTreeMap<&'static str, usize>) -> Checked<SyncSettings> {
    let mut s = SyncSettings::default();
    for entry in map(node, "sync")? {
        let Some(key) = keys::SYNC.iter().copied().find(|k| *k == entry.key) else {
            return Err(unknown(entry, "sync", keys::SYNC));
        };
        let v = &entry.value;
        if v.is_null() {
            continue;
        }
        let path = format!("sync.{key}");
        match key {
            "profiles" => s.profiles = strings(v, &path)?,
            "all-profiles" => s.all_profiles = boolean(v, &path)?,
            "regions" => {
                s.regions = strings(v, &path)?;
                for (i, r) in s.regions.iter().enumerate() {
                    regions::parse(r)
                        .map_err(|e| problem(item_line(v, i), format!("'{path}': {e}")))?;
                }
            }
            "all-regions" => s.all_regions = boolean(v, &path)?,
            "role-arn" => {
                let arn = string(v, &path)?;
                if !arn.starts_with("arn:") {
                    return Err(problem(
                        v.line,
                        format!(
                            "'{path}': '{arn}' is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                        ),
                    ));
                }
                s.role_arn = Some(arn);
            }
            "role-session-name" => {
                let name = string(v, &path)?;
                let name = crate::source::check_session_name(&name)
                    .map_err(|e| problem(v.line, format!("'{path}': {e}")))?;
                s.role_session_name = Some(name);
            }
            "sso" => s.sso = sso_list(v)?,
            "name-template" => {
                let t = string(v, &path)?;
                NameTemplate::parse(&t).map_err(|e| problem(v.line, format!("'{path}': {e}")))?;
                s.name_template = Some(t);
            }
            "prune" => s.prune = boolean(v, &path)?,
            "exec-style" => s.exec_style = Some(exec_style(v, &path)?),
            "concurrency" => s.concurrency = Some(concurrency(v, &path)?),
            _ => unreachable!("every key of keys::SYNC is read"),
        }
        lines.insert(key, entry.line);
    }
    // The same exclusions as the flags', named at the later key.
    for (a, b, set) in [
        (
            "profiles",
            "all-profiles",
            !s.profiles.is_empty() && s.all_profiles,
        ),
        (
            "regions",
            "all-regions",
            !s.regions.is_empty() && s.all_regions,
        ),
        ("sso", "all-profiles", !s.sso.is_empty() && s.all_profiles),
        ("sso", "role-arn", !s.sso.is_empty() && s.role_arn.is_some()),
    ] {
        if set {
            let (first, second) = if lines[a] <= lines[b] { (a, b) } else { (b, a) };
            return Err(problem(
                lines[second],
                format!(
                    "'sync.{second}' and 'sync.{first}' (line {}) exclude each other; keep one",
                    lines[first]
                ),
            ));
        }
    }
    Ok(s)
}

fn sso_list(node: &Node) -> Checked<Vec<SsoSpec>> {
    let items = match &node.value {
        Value::Seq(items) => items.as_slice(),
        _ => {
            return Err(expected(
                node,
                "sync.sso",
                "a list of IAM Identity Center logins",
            ));
        }
    };
    let mut specs = vec![];
    for (i, item) in items.iter().enumerate() {
        let at = format!("sync.sso[{i}]");
        let mut spec = SsoSpec::default();
        let mut region_line = item.line;
        for entry in map(item, &at)? {
            let Some(key) = keys::SSO.iter().copied().find(|k| *k == entry.key) else {
                return Err(unknown(entry, &at, keys::SSO));
            };
            let v = &entry.value;
            if v.is_null() {
                continue;
            }
            let path = format!("{at}.{key}");
            match key {
                "session" => spec.session = Some(string(v, &path)?),
                "start-url" => spec.start_url = Some(string(v, &path)?),
                "sso-region" => {
                    let r = string(v, &path)?;
                    regions::parse(&r).map_err(|e| problem(v.line, format!("'{path}': {e}")))?;
                    spec.region = Some(r);
                    region_line = entry.line;
                }
                "roles" => spec.roles = strings(v, &path)?,
                "accounts" => spec.accounts = strings(v, &path)?,
                _ => unreachable!("every key of keys::SSO is read"),
            }
        }
        match (&spec.session, &spec.start_url, &spec.region) {
            (Some(_), Some(_), _) => {
                return Err(problem(
                    item.line,
                    format!("'{at}': give either session or start-url, not both"),
                ));
            }
            (None, None, _) => {
                return Err(problem(
                    item.line,
                    format!(
                        "'{at}': needs a session (an [sso-session NAME] of the AWS config) or a \
                         start-url with its sso-region"
                    ),
                ));
            }
            (None, Some(_), None) => {
                return Err(problem(
                    region_line,
                    format!("'{at}': start-url needs sso-region (its IAM Identity Center region)"),
                ));
            }
            _ => specs.push(spec),
        }
    }
    Ok(specs)
}

/// A mapping's entries, each key once.
pub(super) fn map<'n>(node: &'n Node, path: &str) -> Checked<&'n [Entry]> {
    if node.is_null() {
        return Ok(&[]);
    }
    match &node.value {
        Value::Map { entries, .. } => unique(entries, path),
        _ => Err(expected(node, path, "a mapping of keys")),
    }
}

fn unique<'n>(entries: &'n [Entry], path: &str) -> Checked<&'n [Entry]> {
    for (i, e) in entries.iter().enumerate() {
        if let Some(first) = entries[..i].iter().find(|f| f.key == e.key) {
            return Err(problem(
                e.line,
                format!(
                    "duplicate key '{}' (also on line {})",
                    dotted(path, &e.key),
                    first.line
                ),
            ));
        }
    }
    Ok(entries)
}

fn dotted(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn unknown(entry: &Entry, path: &str, known: &[&str]) -> Problem {
    problem(
        entry.line,
        format!(
            "unknown key '{}'{}",
            dotted(path, &entry.key),
            did_you_mean(&entry.key, known)
        ),
    )
}

/// `; did you mean 'x'?` for the known key nearest to `typed`, when it is close enough to be a
/// typo (snake_case and case differences are free, two swapped letters count as one edit),
/// else the list of known keys.
fn did_you_mean(typed: &str, known: &[&str]) -> String {
    let norm = typed.to_ascii_lowercase().replace('_', "-");
    let nearest = known
        .iter()
        .map(|k| {
            let d = if swapped(&norm, k) {
                1
            } else {
                regions::edit_distance(&norm, k)
            };
            (d, *k)
        })
        .min()
        .filter(|(d, k)| *d <= 3 && *d * 3 <= k.len().max(norm.len()));
    match nearest {
        Some((_, k)) => format!("; did you mean '{k}'?"),
        None => format!(" (known: {})", known.join(", ")),
    }
}

/// Whether `a` is `b` with two neighbouring letters swapped (`snyc`, `sync`).
fn swapped(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a.get(i) != b.get(i)).collect();
    a.len() == b.len() && matches!(differ[..], [i, j] if j == i + 1 && a[i] == b[j] && a[j] == b[i])
}

pub(super) fn expected(node: &Node, path: &str, what: &str) -> Problem {
    let got = match &node.value {
        Value::Scalar { text, .. } => format!("'{text}'"),
        Value::Seq(_) => "a list".into(),
        Value::Map { .. } => "a mapping".into(),
    };
    problem(node.line, format!("'{path}': expected {what}, got {got}"))
}

pub(super) fn string(node: &Node, path: &str) -> Checked<String> {
    match &node.value {
        Value::Scalar { text, .. } if !text.trim().is_empty() => Ok(text.clone()),
        _ => Err(expected(node, path, "a name")),
    }
}

/// A list of names; a single name is a list of one.
fn strings(node: &Node, path: &str) -> Checked<Vec<String>> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| string(n, &format!("{path}[{i}]")))
            .collect(),
        Value::Scalar { .. } => Ok(vec![string(node, path)?]),
        Value::Map { .. } => Err(expected(node, path, "a list of names")),
    }
}

fn item_line(node: &Node, i: usize) -> usize {
    match &node.value {
        Value::Seq(items) => items.get(i).map_or(node.line, |n| n.line),
        _ => node.line,
    }
}

/// YAML 1.1's booleans, unquoted (`yes`, `on`, `true` ...), as go-yaml and kubectl read them.
fn boolean(node: &Node, path: &str) -> Checked<bool> {
    if let Value::Scalar { text, plain: true } = &node.value {
        match text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
                return Ok(true);
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off"
            | "OFF" => return Ok(false),
            _ => {}
        }
    }
    Err(expected(node, path, "true or false"))
}

fn exec_style(node: &Node, path: &str) -> Checked<ExecStyle> {
    let text = string(node, path)?;
    match text.as_str() {
        "shared" => Ok(ExecStyle::Shared),
        "per-context" => Ok(ExecStyle::PerContext),
        _ => Err(()),
    }
    .map_err(|_: ()| {
        let hint = did_you_mean(&text, keys::EXEC_STYLES);
        let hint = if hint.starts_with(';') {
            hint
        } else {
            String::new()
        };
        problem(
            node.line,
            format!(
                "'{path}': expected {}, got '{text}'{hint}",
                keys::EXEC_STYLES.join(" or ")
            ),
        )
    })
}

fn concurrency(node: &Node, path: &str) -> Checked<u16> {
    let n = match &node.value {
        Value::Scalar { text, plain: true } if text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u64>().ok()
        }
        _ => None,
    };
    match n {
        Some(n @ 1..=1024) => Ok(n as u16),
        _ => Err(expected(node, path, "a number from 1 to 1024")),
    }
}

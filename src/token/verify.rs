//! Checking a token against the rules the EKS authenticator (aws-iam-authenticator) applies
//! before it replays the URL to STS, and mapping the caller ARN STS reports to the ARN an EKS
//! access entry or aws-auth mapping sees. Pure: the clock is a parameter.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::token;

/// Query keys the authenticator accepts, each at most once.
pub const ALLOWED_KEYS: [&str; 9] = [
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
];
/// How long after `X-Amz-Date` the authenticator accepts a token.
pub const MAX_AGE: Duration = Duration::minutes(15);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub rule: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// What the offline checks found out about a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Findings {
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub url: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
}

impl Findings {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    fn check(&mut self, rule: &'static str, ok: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check {
            rule,
            ok,
            detail: detail.into(),
        });
        ok
    }
}

/// Applies every rule to `token` at time `now`. Checks that need the URL stop at the first
/// failure that makes the URL unreadable.
pub fn check(token_text: &str, now: DateTime<Utc>) -> Findings {
    let mut f = Findings::default();
    let Some(uri) = check_encoding(&mut f, token_text.trim()) else {
        return f;
    };
    f.check(
        "scheme",
        uri.scheme_str() == Some("https"),
        format!("{} (must be https)", uri.scheme_str().unwrap_or("none")),
    );
    f.check(
        "path",
        uri.path() == "/",
        format!("'{}' (must be '/')", uri.path()),
    );
    let query = check_query_keys(&mut f, &uri);
    let get = |k: &str| query.get(k).map(String::as_str);
    check_parameters(&mut f, get);
    check_scope(&mut f, get);
    check_host(&mut f, &uri);
    check_age(&mut f, get("X-Amz-Date"), now);
    f
}

/// Size, prefix and base64url: the token's URL (recorded in `f`) when it can be read.
fn check_encoding(f: &mut Findings, t: &str) -> Option<http::Uri> {
    f.check(
        "size",
        t.len() <= token::MAX_TOKEN_BYTES,
        format!("{} bytes (at most {})", t.len(), token::MAX_TOKEN_BYTES),
    );
    if !f.check(
        "prefix",
        t.starts_with(token::TOKEN_PREFIX),
        format!("must start with '{}'", token::TOKEN_PREFIX),
    ) {
        return None;
    }
    let body = &t[token::TOKEN_PREFIX.len()..];
    let url = match token::decode(t) {
        Ok(url) if !body.contains('=') => url,
        Ok(_) => {
            f.check("base64url", false, "padding '=' is not accepted");
            return None;
        }
        Err(e) => {
            f.check("base64url", false, e.to_string());
            return None;
        }
    };
    f.check("base64url", true, "unpadded base64url");
    f.url = Some(url.clone());
    match url.parse() {
        Ok(u) => Some(u),
        Err(e) => {
            f.check("url", false, format!("not a URL: {e}"));
            None
        }
    }
}

/// Query: allowed keys, each once. The decoded query, for the checks of its values.
fn check_query_keys(f: &mut Findings, uri: &http::Uri) -> BTreeMap<String, String> {
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    let mut bad_keys = vec![];
    for pair in uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode_str(k).decode_utf8_lossy().into_owned();
        let v = percent_decode_str(v).decode_utf8_lossy().into_owned();
        if !ALLOWED_KEYS.contains(&k.as_str()) {
            bad_keys.push(format!("unexpected key {k}"));
        } else if query.insert(k.clone(), v).is_some() {
            bad_keys.push(format!("duplicate key {k}"));
        }
    }
    f.check(
        "query keys",
        bad_keys.is_empty(),
        if bad_keys.is_empty() {
            "only the allowed keys, each once".to_owned()
        } else {
            bad_keys.join(", ")
        },
    );
    query
}

/// Action, Version, X-Amz-Expires, the signed headers and the signature's form.
fn check_parameters<'a>(f: &mut Findings, get: impl Fn(&str) -> Option<&'a str>) {
    f.check(
        "Action",
        get("Action") == Some("GetCallerIdentity"),
        format!(
            "{:?} (must be GetCallerIdentity)",
            get("Action").unwrap_or("missing")
        ),
    );
    f.check(
        "Version",
        get("Version") == Some("2011-06-15"),
        format!(
            "{:?} (must be 2011-06-15)",
            get("Version").unwrap_or("missing")
        ),
    );
    let expires = get("X-Amz-Expires").and_then(|e| e.parse::<i64>().ok());
    f.check(
        "X-Amz-Expires",
        expires.is_some_and(|e| (0..=900).contains(&e)),
        format!(
            "{} (must be 0..=900)",
            get("X-Amz-Expires").unwrap_or("missing")
        ),
    );
    let signed: Vec<&str> = get("X-Amz-SignedHeaders")
        .unwrap_or("")
        .split(';')
        .collect();
    f.check(
        "signed headers",
        signed.contains(&"host") && signed.contains(&token::CLUSTER_ID_HEADER),
        format!(
            "'{}' (must include host and x-k8s-aws-id, which binds the token to one cluster)",
            get("X-Amz-SignedHeaders").unwrap_or("")
        ),
    );
    f.check(
        "signature",
        get("X-Amz-Signature")
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
        "X-Amz-Signature is 64 hex digits",
    );
}

/// Credential scope: AKID/yyyymmdd/region/sts/aws4_request; its key id and region go into
/// `f`.
fn check_scope<'a>(f: &mut Findings, get: impl Fn(&str) -> Option<&'a str>) {
    let scope: Vec<&str> = get("X-Amz-Credential").unwrap_or("").split('/').collect();
    let scope_ok = scope.len() == 5 && scope[3] == "sts" && scope[4] == "aws4_request";
    f.check(
        "credential scope",
        scope_ok,
        format!(
            "'{}' (must be KEY/DATE/REGION/sts/aws4_request)",
            get("X-Amz-Credential").unwrap_or("")
        ),
    );
    if scope_ok {
        f.access_key_id = Some(scope[0].to_owned());
        f.region = Some(scope[2].to_owned());
    }
}

/// Host: the regional STS endpoint (or FIPS, or the global one) of the signing region.
fn check_host(f: &mut Findings, uri: &http::Uri) {
    let host = uri.host().unwrap_or_default();
    let allowed_host = f.region.as_deref().is_some_and(|r| {
        uri.port().is_none()
            && (host == token::sts_host(r, false)
                || host == token::sts_host(r, true)
                || host == format!("sts.{}", token::partition_of(r).dns_suffix))
    });
    f.check(
        "host",
        allowed_host,
        format!(
            "'{}' (must be the STS endpoint of {})",
            uri.authority().map(|a| a.as_str()).unwrap_or(""),
            f.region.as_deref().unwrap_or("the signing region")
        ),
    );
}

/// Age: `X-Amz-Date` (recorded in `f`) at most 15 minutes before `now`, and not ahead of it.
fn check_age(f: &mut Findings, x_amz_date: Option<&str>, now: DateTime<Utc>) {
    let date = x_amz_date
        .and_then(|d| NaiveDateTime::parse_from_str(d, "%Y%m%dT%H%M%SZ").ok())
        .map(|d| d.and_utc());
    f.signed_at = date;
    let (ok, detail) = match date {
        None => (false, "X-Amz-Date is missing or malformed".to_owned()),
        Some(d) if now - d > MAX_AGE => (
            false,
            format!(
                "signed {} min ago; the authenticator accepts 15",
                (now - d).num_minutes()
            ),
        ),
        Some(d) if d - now > Duration::minutes(5) => {
            (false, "signed in the future (clock skew?)".to_owned())
        }
        Some(d) => (
            true,
            format!(
                "signed {}s ago (accepted for 15 min)",
                (now - d).num_seconds()
            ),
        ),
    };
    f.check("age", ok, detail);
}

/// The ARN an EKS access entry (or aws-auth mapping) matches for a caller ARN from STS: an
/// assumed-role session maps to its role (`arn:P:sts::A:assumed-role/R/S` ->
/// `arn:P:iam::A:role/R`); other identities map to themselves. Role paths are not part of an
/// assumed-role ARN, so the mapped ARN has none: map access with the path-less role ARN.
pub fn mapped_arn(caller: &str) -> String {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    if let [arn, partition, "sts", "", account, resource] = parts.as_slice()
        && let Some(rest) = resource.strip_prefix("assumed-role/")
        && let Some((role, _session)) = rest.split_once('/')
    {
        return format!("{arn}:{partition}:iam::{account}:role/{role}");
    }
    caller.to_owned()
}

/// The role session name of an assumed-role caller (`arn:P:sts::A:assumed-role/R/S` -> `S`),
/// what the cluster sees in the caller's ARN; `None` for other identities.
pub fn session_name(caller: &str) -> Option<&str> {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    if let [_, _, "sts", "", _, resource] = parts.as_slice()
        && let Some(rest) = resource.strip_prefix("assumed-role/")
        && let Some((_role, session)) = rest.split_once('/')
        && !session.is_empty()
    {
        return Some(session);
    }
    None
}

/// The text of the first `<tag>…</tag>` in a small STS XML reply.
pub fn xml_field(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'"),
    )
}

#[cfg(test)]
mod tests;

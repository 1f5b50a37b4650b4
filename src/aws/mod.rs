//! The AWS edge: the only module that uses tokio and the AWS SDK. Everything here is reached
//! only on a cache miss; a runtime is built on demand and dropped when the call returns.

pub mod creds;
pub mod eks;
pub mod profiles;
pub mod sign;

/// Formats an error with its whole source chain on one line ("dispatch failure: io error: tcp
/// connect error: Connection refused"). The SDK's own `Display` says little more than
/// "dispatch failure", and its `Debug` is not for people.
pub(crate) fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![];
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A single-threaded runtime for one short burst of SDK work.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

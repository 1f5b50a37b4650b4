//! The AWS edge: the only module that uses tokio and the AWS SDK. Everything here is reached
//! only on a cache miss; a runtime is built on demand and dropped when the call returns.

pub mod creds;
pub mod sign;

/// Formats an SDK error with its whole source chain on one line (the SDK's own `Display` says
/// little more than "dispatch failure").
pub(crate) fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let text = aws_smithy_types::error::display::DisplayErrorContext(err).to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A single-threaded runtime for one short burst of SDK work.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

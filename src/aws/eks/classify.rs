//! What a failed EKS call means for its target: not enabled, rejected credentials, not set
//! up, or failed (with the fix where one is known).

use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};

use super::Outcome;

/// One line saying why a call in `region` failed, and whether it means "region not enabled"
/// (only an opt-in region can be: see `regions::is_opt_in`) or "credentials rejected".
pub(super) fn classify<E, R>(call: &str, region: &str, err: SdkError<E, R>) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    let text = match (&code, &message) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.clone(),
        _ => crate::aws::sdk::error_text(&err),
    };
    if crate::aws::sdk::untrusted_certificate(&err) {
        return Outcome::Failed(format!(
            "{call}: {text}; {}",
            crate::aws::sdk::UNTRUSTED_CERTIFICATE_FIX
        ));
    }
    // The SDK's own credentials provider failed (no code: it never reached AWS). Its error
    // type is erased by then, so this edge reads the SDK's words; nothing above does.
    if code.is_none() && text.contains("credential") {
        return Outcome::NotSetUp(crate::problem::SetupError::credentials(
            None,
            format!(
                "{call}: no usable credentials ({text}); check the profile with \
                 `aws sts get-caller-identity --profile NAME`"
            ),
        ));
    }
    match code.as_deref() {
        Some("UnrecognizedClientException") | Some("InvalidClientTokenId")
            if crate::regions::is_opt_in(region) =>
        {
            Outcome::NotEnabled(format!(
                "{call}: {text} (the opt-in region {region} is probably not enabled for this \
                 account)"
            ))
        }
        Some("UnrecognizedClientException") | Some("InvalidClientTokenId") => {
            Outcome::Rejected(format!("{call} in {region}: {text}"))
        }
        Some("AccessDeniedException") => Outcome::Failed(format!(
            "{call}: access denied: {}",
            message.unwrap_or_default()
        )),
        _ => Outcome::Failed(format!("{call}: {text}")),
    }
}

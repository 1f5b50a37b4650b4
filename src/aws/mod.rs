//! The AWS edge: the only module that uses tokio and the AWS SDK. Everything here is reached
//! only on a cache miss; a runtime is built on demand and dropped when the call returns.

pub mod creds;
pub mod device;
pub mod eks;
pub mod inspect;
pub mod kubeapi;
pub mod mfa;
pub mod org;
pub mod pkce;
pub mod profiles;
pub mod retry;
pub mod sdk;
pub mod sign;
pub mod signin;
pub mod sso;
pub mod sts;
pub mod trust;

pub use sdk::{AwsCredentials, CredentialSource, Timeouts, error_text};

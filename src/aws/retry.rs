//! Retries for the calls of organisation-wide discovery (IAM Identity Center portal and EKS):
//! a throttled or transiently failed call waits and tries again instead of failing its target.
//!
//! The SDK's own retries stop after three attempts and share a retry quota that a burst of
//! throttling empties, which would fail whole accounts of a 200-account run; so these clients
//! run with SDK retries off and every call goes through [`retrying`]: exponential backoff with
//! full jitter, capped, a bounded number of attempts, and the concurrency permit given back
//! while waiting so other work proceeds.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Error codes AWS services use for throttling (botocore's list).
const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// How a call is retried.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first wait's upper bound; doubled per attempt up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// Attempts for throttling (a throttled call is cheap and the run wants it to succeed).
    pub throttled_attempts: u32,
    /// Attempts for transient failures (time-outs, connection errors, 5xx).
    pub transient_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(3),
            throttled_attempts: 40,
            transient_attempts: 3,
        }
    }
}

impl Backoff {
    /// The wait before retry number `attempt` (1 = the first retry): full jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Why a call failed, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Throttled,
    Transient,
    Final,
}

pub fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Failure {
    let status = err.raw_response().map(|r| r.status().as_u16());
    if status == Some(429) || err.code().is_some_and(|c| THROTTLE_CODES.contains(&c)) {
        return Failure::Throttled;
    }
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Transient
        }
        _ if status.is_some_and(|s| s >= 500) => Failure::Transient,
        _ => Failure::Final,
    }
}

/// What happened over all attempts of one call.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub throttled: u32,
    pub retried: u32,
}

/// Runs `call` until it succeeds, fails for good, or runs out of attempts; each attempt holds a
/// permit of `limit` (the first may come with the call: `first`), released while waiting.
/// Returns the tally with the result.
pub async fn retrying<T, E, F, Fut>(
    limit: &Arc<Semaphore>,
    mut first: Option<OwnedSemaphorePermit>,
    backoff: &Backoff,
    mut call: F,
) -> (Result<T, SdkError<E, HttpResponse>>, Tally)
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let mut tally = Tally::default();
    let mut attempt = 0;
    loop {
        let result = {
            let _permit = match first.take() {
                Some(p) => Some(p),
                None => limit.clone().acquire_owned().await.ok(),
            };
            call().await
        };
        let err = match result {
            Ok(v) => return (Ok(v), tally),
            Err(e) => e,
        };
        attempt += 1;
        let allowed = match classify(&err) {
            Failure::Throttled => {
                tally.throttled += 1;
                backoff.throttled_attempts
            }
            Failure::Transient => backoff.transient_attempts,
            Failure::Final => 0,
        };
        if attempt >= allowed {
            return (Err(err), tally);
        }
        tally.retried += 1;
        tokio::time::sleep(backoff.delay(attempt)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_are_jittered_below_it() {
        let b = Backoff::default();
        for attempt in 1..60 {
            let d = b.delay(attempt);
            assert!(d <= b.cap, "{attempt}: {d:?}");
            assert!(d <= b.base * 2u32.pow(attempt.min(16)), "{attempt}: {d:?}");
        }
        // Worst case of a throttled call: bounded (no hang).
        let worst: Duration = (1..b.throttled_attempts)
            .map(|a| b.base.saturating_mul(1 << a.min(16)).min(b.cap))
            .sum();
        assert!(worst < Duration::from_secs(150), "{worst:?}");
    }
}

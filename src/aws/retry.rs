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
use std::time::{Duration, Instant};

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
    /// No retry starts after this long (waits for the pace included): a throttled call fails
    /// its target after about this long instead of waiting without end.
    pub max_wait: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        // A short cap: the caller's concurrency bound already limits how hard a throttled API is
        // asked, and a long sleep leaves the throttle's capacity unused at the end of a run.
        Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_secs(1),
            throttled_attempts: 60,
            transient_attempts: 3,
            max_wait: Duration::from_secs(120),
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

/// A shared pace for one throttled operation (all its callers in a run), in the spirit of the
/// SDKs' adaptive retry mode: unpaced until the first throttling answer; then paced a little
/// above the rate the API is accepting (measured over the last second), so its capacity stays
/// in use to the end of the run while only a few calls a second are refused. Without refusals
/// for a second, the pace probes upwards (5% per call) in case the limit was higher.
#[derive(Debug, Default)]
pub struct Pacer(std::sync::Mutex<Pace>);

/// The pacing state (pure: every method takes the time).
#[derive(Debug, Default, Clone)]
pub struct Pace {
    /// Calls per second; `None` while nothing was throttled.
    pub rate: Option<f64>,
    next: Option<Instant>,
    last_throttle: Option<Instant>,
    /// When pacing began: the accepted rate means something only a window later.
    paced_since: Option<Instant>,
    /// When calls succeeded, over the last second.
    recent: std::collections::VecDeque<Instant>,
}

const MIN_RATE: f64 = 0.5;
/// The first pace, unless more got through in the last second.
const START_RATE: f64 = 10.0;
const WINDOW: Duration = Duration::from_secs(1);
/// How far above the accepted rate to pace: a throttle without burst capacity refuses calls
/// that arrive a little early, so pacing at exactly its rate would leave some of it unused.
const HEADROOM: f64 = 1.5;

impl Pace {
    /// Takes the slot when a call may go now (`None`); else says when to ask again. Nothing is
    /// reserved ahead, so a pace that changes applies to every waiting call at once.
    pub fn take(&mut self, now: Instant) -> Option<Instant> {
        let rate = self.rate?;
        match self.next {
            Some(next) if next > now => Some(next),
            _ => {
                self.next = Some(now + Duration::from_secs_f64(1.0 / rate));
                None
            }
        }
    }

    pub fn succeeded(&mut self, now: Instant) {
        self.recent.push_back(now);
        self.forget_before(now);
        if let Some(r) = self.rate {
            let calm = self
                .last_throttle
                .is_none_or(|t| now.duration_since(t) > WINDOW);
            self.rate = Some(if calm { r * 1.05 } else { r + 1.0 / r });
        }
    }

    pub fn throttled(&mut self, now: Instant) {
        self.forget_before(now);
        self.last_throttle = Some(now);
        let accepted = HEADROOM * self.recent.len() as f64;
        let settled = self
            .paced_since
            .is_some_and(|t| now.duration_since(t) >= WINDOW);
        self.rate = Some(match self.rate {
            None => {
                self.paced_since = Some(now);
                accepted.max(START_RATE)
            }
            // Refusals of calls sent before the pace took hold say nothing about it.
            Some(r) if !settled => r,
            Some(r) => accepted.min(r).max(MIN_RATE),
        });
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            self.recent.pop_front();
        }
    }
}

impl Pacer {
    fn with<T>(&self, f: impl FnOnce(&mut Pace) -> T) -> T {
        match self.0.lock() {
            Ok(mut p) => f(&mut p),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Waits for a slot, but not past `deadline` (then the call goes anyway).
    async fn wait(&self, deadline: Instant) {
        while let Some(again) = self.with(|p| p.take(Instant::now())) {
            if again >= deadline {
                return;
            }
            tokio::time::sleep_until(again.into()).await;
        }
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
    pacer: Option<&Pacer>,
    mut call: F,
) -> (Result<T, SdkError<E, HttpResponse>>, Tally)
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let mut tally = Tally::default();
    let mut attempt = 0;
    let deadline = Instant::now() + backoff.max_wait;
    loop {
        if let Some(p) = pacer {
            p.wait(deadline).await;
        }
        let result = {
            let _permit = match first.take() {
                Some(p) => Some(p),
                None => limit.clone().acquire_owned().await.ok(),
            };
            call().await
        };
        let err = match result {
            Ok(v) => {
                if let Some(p) = pacer {
                    p.with(|p| p.succeeded(Instant::now()));
                }
                return (Ok(v), tally);
            }
            Err(e) => e,
        };
        attempt += 1;
        let failure = classify(&err);
        let allowed = match failure {
            Failure::Throttled => {
                tally.throttled += 1;
                backoff.throttled_attempts
            }
            Failure::Transient => backoff.transient_attempts,
            Failure::Final => 0,
        };
        if attempt >= allowed || Instant::now() >= deadline {
            return (Err(err), tally);
        }
        tally.retried += 1;
        match (failure, pacer) {
            // The pace is the wait: the next slot comes when the API can take the call.
            (Failure::Throttled, Some(p)) => p.with(|p| p.throttled(Instant::now())),
            _ => tokio::time::sleep(backoff.delay(attempt)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_follows_what_the_api_accepts() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut p = Pace::default();
        assert_eq!(p.take(t0), None, "unpaced until throttled");
        p.succeeded(ms(10));
        p.throttled(ms(20));
        assert_eq!(p.rate, Some(START_RATE), "a slow start is not the limit");
        p.throttled(ms(30));
        assert_eq!(
            p.rate,
            Some(START_RATE),
            "the rest of the first burst changes nothing"
        );
        // Calls go 1/rate apart; the others are told when to ask again.
        assert_eq!(p.take(ms(100)), None);
        assert_eq!(p.take(ms(100)), Some(ms(200)));
        assert_eq!(p.take(ms(199)), Some(ms(200)));
        assert_eq!(p.take(ms(200)), None);
        // A second without refusals: probe upwards.
        p.succeeded(ms(1100));
        assert!((p.rate.unwrap() - START_RATE * 1.05).abs() < 1e-9);
        // Refused while 20 a second get through: a little above 20, never above the pace.
        let mut p = Pace {
            rate: Some(40.0),
            paced_since: Some(t0),
            ..Pace::default()
        };
        for i in 0..20 {
            p.succeeded(ms(2000 + i * 50));
        }
        p.throttled(ms(2990));
        assert!((p.rate.unwrap() - 30.0).abs() < 1e-9, "{:?}", p.rate);
        p.succeeded(ms(3000));
        assert!(p.rate.unwrap() < 30.1, "slow growth right after a refusal");
        // Nothing accepted: the floor.
        p.throttled(ms(9000));
        assert_eq!(p.rate, Some(MIN_RATE));
    }

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

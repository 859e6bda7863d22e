//! Pacing of API Gateway control-plane calls to the account's quotas, with retries.
//!
//! The quotas are per account and Region and shared by every caller, so one [`Pacer`] is shared by
//! every task of a run (`&self` methods; wrap it in an `Arc` to hand it to spawned tasks). Each
//! HTTP attempt takes a token from the operation's own bucket (when the operation has its own
//! quota, see [`OPERATION_QUOTAS`]) and then one from the bucket of all operations together
//! ([`ALL_OPERATIONS`]). Every attempt is counted per operation, because benchmarks and restore
//! plans report call counts.
//!
//! Throttling (429) adapts the rate instead of backing off long per call (AIMD): AWS refused the
//! request, so its bucket took no token, and the pacer gives its own back; the account bucket's
//! rate is lowered a step ([`DECREASE`], at most once per [`DECREASE_EVERY`]: a burst of 429s is
//! one signal, not to [`MIN_RATE`] of the quota), and the call is retried through the buckets
//! after a short wait ([`RetryPolicy::base`] / 8; a call throttled again in a row backs off
//! exponentially). Each success raises the rate back by [`INCREASE`] of the quota, up to the
//! quota. Server errors (5xx) and dropped connections are retried with exponential backoff and
//! jitter. Log lines and errors say what AWS answered (status, code, message on one line, see
//! [`crate::awsconf::said`]), never a body.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};
use tokio::time::Instant;

use crate::awsconf::{is_transient, said, status_of};

/// The factor the account bucket's rate is multiplied by on throttling.
pub const DECREASE: f64 = 0.8;
/// The shortest time between two decreases of the rate.
pub const DECREASE_EVERY: Duration = Duration::from_secs(1);
/// The share of the quota added back to the rate by each call that succeeds.
pub const INCREASE: f64 = 0.04;
/// The share of the quota the rate never goes below.
pub const MIN_RATE: f64 = 0.25;

/// A token bucket: `burst` calls at once, refilled at `per_second` calls per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub burst: f64,
    pub per_second: f64,
}

impl Quota {
    /// `calls` per `seconds`, with a burst of `calls`.
    pub const fn per(calls: u32, seconds: u32) -> Quota {
        Quota {
            burst: calls as f64,
            per_second: calls as f64 / seconds as f64,
        }
    }

    /// The shortest time in which `n` calls fit, starting with a full bucket.
    pub fn min_duration(&self, n: u64) -> Duration {
        let excess = n as f64 - self.burst;
        if excess <= 0.0 || self.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(excess / self.per_second)
        }
    }
}

/// All API Gateway management operations together: 10 requests/s, burst 40.
pub const ALL_OPERATIONS: Quota = Quota {
    burst: 40.0,
    per_second: 10.0,
};

/// Operations with a quota of their own (on top of [`ALL_OPERATIONS`]), keyed by the operation's
/// name as in the API reference. API Gateway v2 operations whose name is also a v1 operation with
/// a different quota are prefixed `v2:`. `CreateRestApi`/`ImportRestApi` carry the Regional and
/// private quota; edge-optimized APIs are slower (1 per 30 s) and are recovered as Regional.
pub const OPERATION_QUOTAS: &[(&str, Quota)] = &[
    ("CreateRestApi", Quota::per(1, 3)),
    ("ImportRestApi", Quota::per(1, 3)),
    ("PutRestApi", Quota::per(1, 1)),
    ("CreateDeployment", Quota::per(1, 5)),
    ("DeleteRestApi", Quota::per(1, 30)),
    ("CreateResource", Quota::per(5, 1)),
    ("DeleteResource", Quota::per(5, 1)),
    ("CreateApiKey", Quota::per(5, 1)),
    ("DeleteApiKey", Quota::per(5, 1)),
    ("GetResources", Quota::per(5, 2)),
    ("UpdateAccount", Quota::per(1, 20)),
    ("UpdateUsagePlan", Quota::per(1, 20)),
    ("CreateDocumentationVersion", Quota::per(1, 20)),
    ("CreateDomainName", Quota::per(1, 30)),
    ("UpdateDomainName", Quota::per(1, 30)),
    ("DeleteDomainName", Quota::per(1, 30)),
    ("ImportDocumentationParts", Quota::per(1, 30)),
    ("v2:CreateVpcLink", Quota::per(1, 15)),
    ("v2:DeleteVpcLink", Quota::per(1, 30)),
];

/// The operation's own quota, if it has one.
pub fn quota_of(op: &str) -> Option<Quota> {
    OPERATION_QUOTAS
        .iter()
        .find(|(name, _)| *name == op)
        .map(|(_, q)| *q)
}

/// The shortest time the quotas allow for a multiset of calls `(operation, count)`, starting from
/// full buckets: the largest of the times each bucket (all operations together, and each
/// operation's own) needs for its share. A schedule that spreads every operation evenly over that
/// time meets all buckets at once, so this is the optimum up to one call's spacing; it ignores
/// the calls' own latency and any retries.
pub fn min_duration(ops: &[(&str, u64)]) -> Duration {
    let mut per_op: BTreeMap<&str, u64> = BTreeMap::new();
    for (op, n) in ops {
        *per_op.entry(op).or_insert(0) += n;
    }
    let total: u64 = per_op.values().sum();
    let mut longest = ALL_OPERATIONS.min_duration(total);
    for (op, n) in per_op {
        if let Some(q) = quota_of(op) {
            longest = longest.max(q.min_duration(n));
        }
    }
    longest
}

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles for each further retry.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Tiny delays, for tests.
    pub fn for_tests() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(4),
        }
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1).min(30))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

#[derive(Debug)]
struct Bucket {
    quota: Quota,
    /// The refill rate in force: the quota's, or lower after throttling.
    rate: f64,
    tokens: f64,
    at: Instant,
    /// When the rate was last lowered.
    lowered: Option<Instant>,
}

impl Bucket {
    fn new(quota: Quota, now: Instant) -> Self {
        Bucket {
            quota,
            rate: quota.per_second,
            tokens: quota.burst,
            at: now,
            lowered: None,
        }
    }

    /// Adds the tokens refilled since the last update, at the rate in force.
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.quota.burst);
        self.at = now;
    }

    /// Reserves one token and returns how long to wait before it may be used. Tokens go
    /// negative while calls are queued, so waiting callers are served in order.
    fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 || self.rate <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// Gives back the token of an attempt AWS refused (it took none of its own).
    fn give_back(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens + 1.0).min(self.quota.burst);
    }

    /// Throttled: lowers the rate a step, at most once per [`DECREASE_EVERY`], never below
    /// [`MIN_RATE`] of the quota.
    fn slow_down(&mut self, now: Instant) {
        if self
            .lowered
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_EVERY)
        {
            return;
        }
        self.refill(now);
        self.rate = (self.rate * DECREASE).max(self.quota.per_second * MIN_RATE);
        self.lowered = Some(now);
    }

    /// A call went through: raises the rate a step, up to the quota.
    fn speed_up(&mut self, now: Instant) {
        if self.rate < self.quota.per_second {
            self.refill(now);
            self.rate = (self.rate + self.quota.per_second * INCREASE).min(self.quota.per_second);
        }
    }
}

#[derive(Debug)]
struct State {
    all: Bucket,
    per_op: HashMap<&'static str, Bucket>,
    calls: BTreeMap<&'static str, u64>,
}

/// Token buckets for the control-plane quotas, shared by every task of a run, plus retries and
/// per-operation call counts.
#[derive(Debug)]
pub struct Pacer {
    policy: RetryPolicy,
    all: Quota,
    state: Mutex<State>,
    seed: AtomicU64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(RetryPolicy::default())
    }
}

impl Pacer {
    /// A pacer with the documented quotas and the given retry policy.
    pub fn new(policy: RetryPolicy) -> Self {
        Pacer::with_quota(policy, ALL_OPERATIONS)
    }

    /// Quotas as documented, tiny retry delays: for tests.
    pub fn for_tests() -> Self {
        Pacer::new(RetryPolicy::for_tests())
    }

    /// A pacer whose bucket for all operations together is `all` (the per-operation quotas stay
    /// as documented). Useful where an account has a raised quota.
    pub fn with_quota(policy: RetryPolicy, all: Quota) -> Self {
        let now = Instant::now();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Pacer {
            policy: RetryPolicy {
                max_attempts: policy.max_attempts.max(1),
                ..policy
            },
            all,
            state: Mutex::new(State {
                all: Bucket::new(all, now),
                per_op: HashMap::new(),
                calls: BTreeMap::new(),
            }),
            seed: AtomicU64::new(seed),
        }
    }

    /// The retry policy in force.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// HTTP attempts made so far, per operation (retries included).
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        self.lock().calls.clone()
    }

    /// HTTP attempts made so far, all operations together.
    pub fn total_calls(&self) -> u64 {
        self.lock().calls.values().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is a single step.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until operation `op` may be called: first for its own quota, then for the quota
    /// of all operations together (so a call that waits long for its own token does not hold a
    /// shared token meanwhile).
    pub async fn acquire(&self, op: &'static str) {
        let own = {
            let mut st = self.lock();
            let now = Instant::now();
            match quota_of(op) {
                Some(q) => st
                    .per_op
                    .entry(op)
                    .or_insert_with(|| Bucket::new(q, now))
                    .reserve(now),
                None => Duration::ZERO,
            }
        };
        if !own.is_zero() {
            tracing::debug!(
                op,
                wait_ms = own.as_millis() as u64,
                "waiting for the operation's quota"
            );
            tokio::time::sleep(own).await;
        }
        let shared = {
            let mut st = self.lock();
            st.all.reserve(Instant::now())
        };
        if !shared.is_zero() {
            tracing::trace!(
                op,
                wait_ms = shared.as_millis() as u64,
                "waiting for the account quota"
            );
            tokio::time::sleep(shared).await;
        }
    }

    /// The account bucket's rate in force, calls per second (the quota's unless throttling
    /// lowered it).
    pub fn account_rate(&self) -> f64 {
        self.lock().all.rate
    }

    /// Runs one SDK call paced to the quotas: waits for tokens, makes the call, and retries
    /// transient failures (see [`is_transient`]) up to the policy's attempts: throttling through
    /// the buckets at an adapted rate, other failures with exponential backoff and jitter (see
    /// the module doc). `f` is called once per attempt and must build and send the request.
    /// Every attempt is counted under `op`.
    pub async fn call<T, E, F, Fut>(
        &self,
        op: &'static str,
        f: F,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_retrying(op, |_| true, f).await
    }

    /// [`Pacer::call`], retrying only the transient failures for which `retry` holds; any
    /// other failure is returned at once (a create whose reply may have been lost is looked
    /// for before it is sent again: `restore::once`).
    pub async fn call_retrying<T, E, F, Fut>(
        &self,
        op: &'static str,
        retry: impl Fn(&SdkError<E, HttpResponse>) -> bool,
        mut f: F,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut attempt = 1u32;
        // Throttled attempts in a row.
        let mut throttled = 0u32;
        loop {
            self.acquire(op).await;
            *self.lock().calls.entry(op).or_insert(0) += 1;
            let err = match f().await {
                Ok(v) => {
                    self.lock().all.speed_up(Instant::now());
                    return Ok(v);
                }
                Err(e) => e,
            };
            let status = status_of(&err);
            if status == Some(429) {
                throttled += 1;
                self.throttled(op);
            } else {
                throttled = 0;
            }
            if attempt >= self.policy.max_attempts || !is_transient(&err) || !retry(&err) {
                if attempt > 1 {
                    tracing::warn!(
                        op,
                        attempts = attempt,
                        status,
                        error = %said(&err),
                        "giving up"
                    );
                }
                return Err(err);
            }
            let delay = match throttled {
                1 => self.policy.base / 8,
                0 => self.backoff(attempt),
                n => self.backoff(n - 1),
            };
            tracing::info!(
                op,
                attempt,
                status,
                delay_ms = delay.as_millis() as u64,
                error = %said(&err),
                "transient failure, retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// AWS throttled an attempt at `op`: its tokens go back, the account rate goes down.
    fn throttled(&self, op: &'static str) {
        let now = Instant::now();
        let mut st = self.lock();
        st.all.give_back(now);
        st.all.slow_down(now);
        if let Some(b) = st.per_op.get_mut(op) {
            b.give_back(now);
        }
    }

    /// "Equal jitter": half the ceiling for sure, the other half at random, so throttled callers
    /// both back off and spread out.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.policy.ceiling(retry);
        let half = ceiling / 2;
        let spread = (ceiling - half).as_nanos() as u64;
        let jitter = if spread == 0 {
            0
        } else {
            self.random() % (spread + 1)
        };
        half + Duration::from_nanos(jitter)
    }

    /// splitmix64 over an atomic counter: enough randomness for jitter, no dependency.
    fn random(&self) -> u64 {
        let mut z = self
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The shortest time the quotas allow for a multiset of calls (see [`min_duration`]).
    pub fn min_duration(ops: &[(&str, u64)]) -> Duration {
        min_duration(ops)
    }

    /// The bucket for all operations together.
    pub fn all_operations_quota(&self) -> Quota {
        self.all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        (d.as_secs_f64() * 1000.0).round() / 1000.0
    }

    #[test]
    fn min_duration_of_nothing_or_a_burst_is_zero() {
        assert_eq!(min_duration(&[]), Duration::ZERO);
        assert_eq!(
            Pacer::min_duration(&[("GetRestApis", 41)]),
            Duration::from_millis(100)
        );
        assert_eq!(min_duration(&[("GetRestApis", 40)]), Duration::ZERO);
        assert_eq!(min_duration(&[("GetResources", 5)]), Duration::ZERO);
    }

    #[test]
    fn min_duration_is_bound_by_the_account_quota() {
        // 140 calls: 40 at once, then 100 at 10/s.
        assert_eq!(
            secs(min_duration(&[("GetStages", 100), ("GetModels", 40)])),
            10.0
        );
        // The same operation listed twice counts once with the sum.
        assert_eq!(
            secs(min_duration(&[("GetStages", 70), ("GetStages", 70)])),
            10.0
        );
    }

    #[test]
    fn min_duration_is_bound_by_an_operations_own_quota() {
        // 15 GetResources: 5 at once, then 10 at 2.5/s.
        assert_eq!(secs(min_duration(&[("GetResources", 15)])), 4.0);
        // 10 CreateDeployment: 1 at once, 9 more at one per 5 s, well inside 10/s overall.
        assert_eq!(
            secs(min_duration(&[
                ("CreateDeployment", 10),
                ("PutRestApi", 10)
            ])),
            45.0
        );
        assert_eq!(secs(min_duration(&[("DeleteRestApi", 2)])), 30.0);
        // The slowest bucket wins: 1,040 calls need 100 s overall, deployments only 45 s.
        assert_eq!(
            secs(min_duration(&[
                ("CreateDeployment", 10),
                ("PutMethod", 1030)
            ])),
            100.0
        );
    }

    #[test]
    fn quotas_table() {
        assert_eq!(
            quota_of("GetResources"),
            Some(Quota {
                burst: 5.0,
                per_second: 2.5
            })
        );
        assert_eq!(quota_of("GetStages"), None);
        let names: std::collections::BTreeSet<_> =
            OPERATION_QUOTAS.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names.len(),
            OPERATION_QUOTAS.len(),
            "an operation is listed twice"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = Pacer::new(RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        });
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.backoff(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d20 = p.backoff(20);
            assert!(
                d20 >= Duration::from_millis(500) && d20 <= Duration::from_secs(1),
                "{d20:?}"
            );
        }
    }

    #[tokio::test]
    async fn tokens_pace_an_operation_beyond_its_burst() {
        let p = Pacer::for_tests();
        let start = Instant::now();
        for _ in 0..5 {
            p.acquire("GetResources").await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(300),
            "the burst is immediate"
        );
        p.acquire("GetResources").await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(350),
            "the 6th GetResources waits ~0.4 s: {waited:?}"
        );
        // Other operations are not held up by GetResources' own quota.
        let t = Instant::now();
        p.acquire("GetStages").await;
        assert!(t.elapsed() < Duration::from_millis(300));
    }

    #[tokio::test]
    async fn the_account_quota_is_shared_by_all_operations() {
        let p = Pacer::with_quota(
            RetryPolicy::for_tests(),
            Quota {
                burst: 2.0,
                per_second: 20.0,
            },
        );
        let start = Instant::now();
        p.acquire("GetStages").await;
        p.acquire("GetModels").await;
        p.acquire("GetAuthorizers").await;
        p.acquire("GetStages").await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(90),
            "two calls beyond the burst at 20/s: {waited:?}"
        );
    }

    #[derive(Debug)]
    struct Failed(aws_smithy_types::error::ErrorMetadata);
    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("failed")
        }
    }
    impl std::error::Error for Failed {}
    impl ProvideErrorMetadata for Failed {
        fn meta(&self) -> &aws_smithy_types::error::ErrorMetadata {
            &self.0
        }
    }

    /// A service error with this status, AWS error code and response body.
    fn http_error_with(status: u16, code: &str, body: &str) -> SdkError<Failed, HttpResponse> {
        let raw = HttpResponse::new(
            status.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::from(body.to_string()),
        );
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code(code)
            .message("Too Many Requests")
            .build();
        SdkError::service_error(Failed(meta), raw)
    }

    fn http_error(status: u16) -> SdkError<Failed, HttpResponse> {
        let raw = HttpResponse::new(
            status.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        SdkError::service_error(Failed(Default::default()), raw)
    }

    /// A pacer whose account bucket holds `burst` tokens refilled at `per_second`.
    fn small(burst: f64, per_second: f64) -> Pacer {
        Pacer::with_quota(RetryPolicy::default(), Quota { burst, per_second })
    }

    /// Calls `op` once; the attempts answer `statuses` in turn, then succeed.
    async fn call_through(p: &Pacer, op: &'static str, statuses: &[u16]) -> Duration {
        let start = Instant::now();
        let mut n = 0;
        p.call(op, || {
            n += 1;
            let out = match statuses.get(n - 1) {
                Some(s) => Err(http_error(*s)),
                None => Ok(()),
            };
            async move { out }
        })
        .await
        .unwrap();
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_attempt_gives_its_token_back_and_retries_soon() {
        // One token a second: a throttled attempt is retried after base/8, on the token it gave
        // back, where a server error waits for the next token and a backoff.
        let p = small(1.0, 1.0);
        let took = call_through(&p, "GetStages", &[429]).await;
        assert_eq!(took, RetryPolicy::default().base / 8, "{took:?}");
        assert_eq!(p.calls().get("GetStages"), Some(&2));

        let p = small(1.0, 1.0);
        let took = call_through(&p, "GetStages", &[503]).await;
        assert!(took >= Duration::from_secs(1), "{took:?}");

        // An operation's own bucket gets its token back too: 5 GetResources are its burst.
        let p = Pacer::default();
        for _ in 0..4 {
            call_through(&p, "GetResources", &[]).await;
        }
        let took = call_through(&p, "GetResources", &[429]).await;
        assert_eq!(took, RetryPolicy::default().base / 8, "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_throttled_again_in_a_row_backs_off() {
        let p = small(40.0, 10.0);
        let took = call_through(&p, "GetStages", &[429, 429]).await;
        let base = RetryPolicy::default().base;
        assert!(
            took >= base / 8 + base / 2 && took <= base / 8 + base,
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_lowers_the_rate_once_a_window_and_successes_raise_it() {
        let p = small(40.0, 10.0);
        assert_eq!(p.account_rate(), 10.0);
        // Three throttled attempts in one window: one step down (the success adds a step).
        call_through(&p, "GetStages", &[429]).await;
        call_through(&p, "GetModels", &[429]).await;
        let after_one = 10.0 * DECREASE + 2.0 * 10.0 * INCREASE;
        assert!(
            (p.account_rate() - after_one).abs() < 1e-9,
            "{}",
            p.account_rate()
        );
        // A later window lowers it again.
        tokio::time::advance(DECREASE_EVERY).await;
        p.throttled("GetStages");
        assert!((p.account_rate() - after_one * DECREASE).abs() < 1e-9);
        // Never below the floor.
        for _ in 0..50 {
            tokio::time::advance(DECREASE_EVERY).await;
            p.throttled("GetStages");
        }
        assert!((p.account_rate() - 10.0 * MIN_RATE).abs() < 1e-9);
        // Each success adds INCREASE of the quota, up to the quota.
        call_through(&p, "GetStages", &[]).await;
        assert!((p.account_rate() - 10.0 * (MIN_RATE + INCREASE)).abs() < 1e-9);
        for _ in 0..100 {
            call_through(&p, "GetStages", &[]).await;
        }
        assert_eq!(p.account_rate(), 10.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lower_rate_paces_the_calls() {
        // A bucket with no burst to speak of, at 10/s: 10 calls take ~0.9 s; once throttling
        // has lowered the rate to the floor (2.5/s), 10 calls take ~3.6 s.
        let p = small(1.0, 10.0);
        let t = Instant::now();
        for _ in 0..10 {
            p.acquire("GetStages").await;
        }
        assert_eq!(secs(t.elapsed()), 0.9);
        for _ in 0..20 {
            tokio::time::advance(DECREASE_EVERY).await;
            p.throttled("GetStages");
        }
        p.acquire("GetStages").await;
        let t = Instant::now();
        for _ in 0..10 {
            p.acquire("GetStages").await;
        }
        assert_eq!(secs(t.elapsed()), 4.0);
    }

    /// Everything logged at every level while `f` runs.
    async fn logs_of<F: Future<Output = ()>>(f: F) -> String {
        let buf = crate::awsconf::tests::LogBuf::default();
        let guard = tracing::subscriber::set_default(buf.subscriber());
        f.await;
        drop(guard);
        buf.text()
    }

    #[tokio::test(start_paused = true)]
    async fn retry_log_lines_carry_no_body() {
        const VALUE: &str = "k3yV4lu3InTheBody0123456789abcdef";
        let body = format!(r#"{{"item":[{{"id":"k1","value":"{VALUE}"}}]}}"#);
        let logs = logs_of(async {
            let p = Pacer::default();
            for status in [429, 500] {
                let r: Result<(), _> = p
                    .call("GetApiKeys", || {
                        let e = http_error_with(status, "TooManyRequestsException", &body);
                        async move { Err(e) }
                    })
                    .await;
                let err = r.unwrap_err();
                // The body is there to leak: the SDK's own display shows it.
                let dump = format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&err)
                );
                assert!(dump.contains(VALUE), "the test error holds no body");
            }
        })
        .await;
        assert!(!logs.contains(VALUE), "{logs}");
        assert!(logs.contains("transient failure, retrying"), "{logs}");
        assert!(logs.contains("giving up"), "{logs}");
        assert!(
            logs.contains("HTTP 429 TooManyRequestsException: Too Many Requests")
                && logs.contains("HTTP 500")
                && logs.contains("GetApiKeys"),
            "{logs}"
        );
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_every_attempt_counted() {
        let p = Pacer::for_tests();
        let mut n = 0;
        let r = p
            .call("GetStages", || {
                n += 1;
                let out = if n < 3 {
                    Err(http_error(if n == 1 { 429 } else { 503 }))
                } else {
                    Ok(n)
                };
                async move { out }
            })
            .await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(p.calls().get("GetStages"), Some(&3));
        assert_eq!(p.total_calls(), 3);
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        let p = Pacer::for_tests();
        let r: Result<(), _> = p.call("GetStages", || async { Err(http_error(400)) }).await;
        assert_eq!(status_of(&r.unwrap_err()), Some(400));
        assert_eq!(p.total_calls(), 1);
    }

    #[tokio::test]
    async fn retries_stop_after_max_attempts() {
        let p = Pacer::for_tests();
        let r: Result<(), _> = p.call("GetModels", || async { Err(http_error(500)) }).await;
        assert!(r.is_err());
        assert_eq!(
            p.calls().get("GetModels"),
            Some(&(RetryPolicy::for_tests().max_attempts as u64))
        );
    }
}

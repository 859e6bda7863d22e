//! Creates that make nothing twice when a reply is lost.
//!
//! A create that reached API Gateway may have been applied although its reply never came back
//! (the connection reset or timed out after the request was sent, or a 5xx): sending it again
//! would make a second REST API, resource, usage plan... with the same natural key, which a
//! comparison by natural key cannot see. [`create_once`] sends a create through the pacer
//! without retrying such an ambiguous failure; after one, it looks in the target for what the
//! attempt may have made (`find`: by name, path, route key, stage name, the `apigw-dr:source`
//! tag or the job's deployment description) and adopts it, and sends the create again only if
//! nothing is there. Throttling (429) says the request was not applied: the pacer retries it as
//! any other call. A conflict (409) answered to a create sent again after an ambiguous failure
//! means the first attempt did make it: it is looked for once more and adopted.

use std::future::Future;

use aws_sdk_apigateway::config::http::HttpResponse;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};

use crate::awsconf::{is_transient, status_of};
use crate::pacing::Pacer;
use crate::{Error, Result};

/// What one SDK request gives: its output or the SDK's error.
pub type Sent<O, E> = std::result::Result<O, SdkError<E, HttpResponse>>;

/// An operation's error type, as the SDK error mapping wants it.
pub trait OpError: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static {}
impl<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static> OpError for E {}

/// Whether a failed create may nevertheless have been applied: a transient failure other than
/// throttling, and not a look-alike saying it lacks the operation.
pub fn ambiguous<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    is_transient(e) && status_of(e) != Some(429) && !crate::capture::unimplemented(e)
}

/// Sends a create (`send`, one request per call) at most once per ambiguous failure, adopting
/// what `find` finds in the target after one (see the module doc). `pick` takes what the
/// caller keeps (an id, say) from the create's output; `fail` turns the final SDK error into
/// the caller's error. Every attempt and every look is paced and counted.
pub async fn create_once<O, T, E, S, SF, F, FF>(
    pacer: &Pacer,
    op: &'static str,
    mut send: S,
    pick: impl FnOnce(O) -> T,
    mut find: F,
    fail: impl FnOnce(SdkError<E, HttpResponse>) -> Error,
) -> Result<T>
where
    S: FnMut() -> SF,
    SF: Future<Output = Sent<O, E>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>>>,
    E: OpError,
{
    let mut lost = 0u32;
    loop {
        let err = match pacer.call_retrying(op, |e| !ambiguous(e), &mut send).await {
            Ok(out) => return Ok(pick(out)),
            Err(e) => e,
        };
        let unclear = ambiguous(&err);
        if unclear || (lost > 0 && status_of(&err) == Some(409)) {
            tracing::info!(
                op,
                status = status_of(&err),
                "a create may have been applied without a reply: looking for it in the target"
            );
            if let Some(found) = find().await? {
                tracing::info!(op, "adopted what an earlier attempt made");
                return Ok(found);
            }
        }
        lost += 1;
        if !unclear || lost >= pacer.policy().max_attempts {
            return Err(fail(err));
        }
        tokio::time::sleep(pacer.policy().base.saturating_mul(lost)).await;
    }
}

/// One paced read of a single item: `None` when the target answers 404 (no such item, or a
/// look-alike that does not serve the read).
pub async fn get<O, E, S, SF>(
    pacer: &Pacer,
    op: &'static str,
    send: S,
    what: &str,
) -> Result<Option<O>>
where
    S: FnMut() -> SF,
    SF: Future<Output = Sent<O, E>>,
    E: OpError,
{
    match pacer.call(op, send).await {
        Ok(out) => Ok(Some(out)),
        Err(e) if status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(crate::awsconf::sdk_error(
            &format!("looking for {what} ({op})"),
            e,
        )),
    }
}

/// Every item of a paged list (`page(position or token)` sends one request), for a look after a
/// lost reply: a look-alike that does not serve the list gives none.
pub async fn list<T, E, P, PF>(
    pacer: &Pacer,
    op: &'static str,
    page: P,
    what: &str,
) -> Result<Vec<T>>
where
    P: FnMut(Option<String>) -> PF,
    PF: Future<Output = Sent<(Vec<T>, Option<String>), E>>,
    E: OpError,
{
    match crate::capture::paged(pacer, op, page).await {
        Ok(items) => Ok(items),
        Err(e) if crate::capture::unimplemented(&e) => Ok(Vec::new()),
        Err(e) => Err(crate::awsconf::sdk_error(
            &format!("looking for {what} ({op})"),
            e,
        )),
    }
}

/// [`list`] over a v1 (`limit`, `position`) or v2 (`MaxResults`, `NextToken`) list request
/// `$req` (its other parameters set): `looked!(pacer, v1, "GetUsagePlans", what, req)`.
macro_rules! looked {
    ($pacer:expr, v1, $op:literal, $what:expr, $req:expr) => {
        $crate::restore::once::list(
            $pacer,
            $op,
            |pos| {
                let req = $req.limit($crate::capture::PAGE).set_position(pos);
                async move {
                    req.send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.position))
                }
            },
            $what,
        )
        .await
    };
    ($pacer:expr, v2, $op:literal, $what:expr, $req:expr) => {
        $crate::restore::once::list(
            $pacer,
            $op,
            |token| {
                let req = $req
                    .max_results($crate::capture::PAGE_V2)
                    .set_next_token(token);
                async move {
                    req.send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.next_token))
                }
            },
            $what,
        )
        .await
    };
}
pub(crate) use looked;

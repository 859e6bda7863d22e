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

use std::collections::{BTreeMap, HashMap};
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

/// A map as a request takes it: none when empty.
pub fn hm<V: Clone>(m: &BTreeMap<String, V>) -> Option<HashMap<String, V>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The id of the listed item named `key` (`parts`: an item's name and id), after a lost reply.
pub fn named<X>(
    all: Vec<X>,
    key: &str,
    parts: impl Fn(X) -> (Option<String>, Option<String>),
) -> Option<String> {
    all.into_iter()
        .map(parts)
        .find(|(name, _)| name.as_deref() == Some(key))
        .and_then(|(_, id)| id)
}

/// Natural key -> id of the items an applier starts from (`pair`: an item's key and its id).
pub fn ids<T>(items: &[T], pair: impl Fn(&T) -> (&String, &String)) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|x| {
            let (key, id) = pair(x);
            (key.clone(), id.clone())
        })
        .collect()
}

/// Whether a listed API is this job's (after a lost reply): the name and the source tag
/// (`apigw-dr:source`) it was given.
pub fn ours(
    name: Option<&str>,
    tags: Option<&HashMap<String, String>>,
    want: &str,
    source_tag: &str,
) -> bool {
    let tag = tags.and_then(|t| t.get(crate::restore::difference::TAG_SOURCE));
    name == Some(want) && tag.map(String::as_str) == Some(source_tag)
}

/// The target API an applier writes to, held for as long as it works: its client, its
/// pacer and its id, and how its failures name it. [`Target::scope`] lends it for calls.
pub struct Target<'a, C> {
    pub client: &'a C,
    pub pacer: &'a Pacer,
    pub api_id: String,
    /// `REST API` or `API`, as messages name it.
    pub family: &'static str,
    /// A call the target does not implement is a gap, not a failure (v2 on the local AWS).
    gaps: bool,
}

impl<'a, C> Target<'a, C> {
    pub fn new(
        client: &'a C,
        pacer: &'a Pacer,
        api_id: &str,
        family: &'static str,
        gaps: bool,
    ) -> Self {
        Target {
            client,
            pacer,
            api_id: api_id.to_string(),
            family,
            gaps,
        }
    }

    pub fn scope(&self) -> Scope<'_, C> {
        Scope::new(
            self.client,
            self.pacer,
            &self.api_id,
            self.family,
            self.gaps,
        )
    }
}

/// One API of the target as an applier calls it (REST's or v2's client): every call paced,
/// every create sent through [`create_once`], every failure told with the item (`key`) and the
/// API it concerns. Each request is made by a closure given the client and the API's id.
pub struct Scope<'a, C> {
    pub client: &'a C,
    pub pacer: &'a Pacer,
    pub api_id: &'a str,
    /// How errors name the API: `REST API`, `API`.
    pub family: &'static str,
    /// Whether a look-alike's missing operation is a gap of the target
    /// ([`Error::Unimplemented`]) rather than a failure.
    pub gaps: bool,
}

impl<'a, C> Scope<'a, C> {
    /// The API `api_id` through `client`, named `family` in errors (`gaps`: see the field).
    pub fn new(
        client: &'a C,
        pacer: &'a Pacer,
        api_id: &'a str,
        family: &'static str,
        gaps: bool,
    ) -> Self {
        Scope {
            client,
            pacer,
            api_id,
            family,
            gaps,
        }
    }

    /// The error for a failed call about `key`.
    pub fn failed<E: OpError>(&self, op: &str, key: &str, e: SdkError<E, HttpResponse>) -> Error {
        if self.gaps && crate::capture::unimplemented(&e) {
            Error::Unimplemented(format!(
                "the target does not implement {op} ({key} left as it is)"
            ))
        } else {
            let what = format!(
                "restoring {key} into {} {} ({op})",
                self.family, self.api_id
            );
            crate::awsconf::sdk_error(&what, e)
        }
    }

    /// One paced call about `key`; its output is not kept.
    pub async fn call<T, E, F, Fut>(&self, op: &'static str, key: &str, send: F) -> Result<()>
    where
        F: Fn(&'a C, &'a str) -> Fut,
        Fut: Future<Output = Sent<T, E>>,
        E: OpError,
    {
        self.pacer
            .call(op, || send(self.client, self.api_id))
            .await
            .map(drop)
            .map_err(|e| self.failed(op, key, e))
    }

    /// A create sent at most once per lost reply ([`create_once`]): `find` looks in this API
    /// for what an attempt may have made.
    pub async fn create<O, T, E, S, SF, F, FF>(
        &self,
        op: &'static str,
        key: &str,
        send: S,
        pick: impl FnOnce(O) -> T,
        find: F,
    ) -> Result<T>
    where
        S: Fn(&'a C, &'a str) -> SF,
        SF: Future<Output = Sent<O, E>>,
        F: FnMut() -> FF,
        FF: Future<Output = Result<Option<T>>>,
        E: OpError,
    {
        create_once(
            self.pacer,
            op,
            || send(self.client, self.api_id),
            pick,
            find,
            |e| self.failed(op, key, e),
        )
        .await
    }

    /// Whether the item a read names (`key`) is in this API (404: it is not).
    pub async fn exists<O, E, S, SF>(
        &self,
        op: &'static str,
        key: &str,
        send: S,
    ) -> Result<Option<()>>
    where
        S: Fn(&'a C, &'a str) -> SF,
        SF: Future<Output = Sent<O, E>>,
        E: OpError,
    {
        let what = format!("{key} in {} {}", self.family, self.api_id);
        self.get(op, &what, send).await.map(|o| o.map(drop))
    }

    /// [`get`] in this API (`what`: the item, for the error).
    pub async fn get<O, E, S, SF>(&self, op: &'static str, what: &str, send: S) -> Result<Option<O>>
    where
        S: Fn(&'a C, &'a str) -> SF,
        SF: Future<Output = Sent<O, E>>,
        E: OpError,
    {
        get(self.pacer, op, || send(self.client, self.api_id), what).await
    }
}

/// One paced call whose output is not kept (`what`: the call's purpose, for the error).
pub async fn sent<O, E, S, SF>(pacer: &Pacer, op: &'static str, what: &str, send: S) -> Result<()>
where
    S: FnMut() -> SF,
    SF: Future<Output = Sent<O, E>>,
    E: OpError,
{
    sent_retrying(pacer, op, what, |_| true, send).await
}

/// [`sent`], sent again only when `retry` holds for a transient failure.
pub async fn sent_retrying<O, E, S, SF>(
    pacer: &Pacer,
    op: &'static str,
    what: &str,
    retry: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    send: S,
) -> Result<()>
where
    S: FnMut() -> SF,
    SF: Future<Output = Sent<O, E>>,
    E: OpError,
{
    pacer
        .call_retrying(op, retry, send)
        .await
        .map(drop)
        .map_err(|e| crate::awsconf::sdk_error(&format!("{what} ({op})"), e))
}

/// When a whole definition sent in one call (an import) is sent again: throttling as for any
/// call, a server error once at most. A refused import falls back to call by call, which is
/// sooner than backing off for half a minute on a document the server cannot take.
pub fn whole<E>() -> impl Fn(&SdkError<E, HttpResponse>) -> bool {
    let server_errors = std::sync::atomic::AtomicU32::new(0);
    move |e| {
        status_of(e) == Some(429)
            || server_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 1
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
        $crate::restore::once::looked!(@pages $pacer, $op, $what, |pos| $req
            .limit($crate::capture::PAGE)
            .set_position(pos), position)
    };
    ($pacer:expr, v2, $op:literal, $what:expr, $req:expr) => {
        $crate::restore::once::looked!(@pages $pacer, $op, $what, |token| $req
            .max_results($crate::capture::PAGE_V2)
            .set_next_token(token), next_token)
    };
    // `$page` makes one page's request from the position or token; `$next` names it in a reply.
    (@pages $pacer:expr, $op:literal, $what:expr, |$at:ident| $page:expr, $next:ident) => {
        $crate::restore::once::list(
            $pacer,
            $op,
            |$at| {
                let req = $page;
                async move {
                    req.send()
                        .await
                        .map(|o| (o.items.unwrap_or_default(), o.$next))
                }
            },
            $what,
        )
        .await
    };
}
pub(crate) use looked;

/// [`looked!`] over a list request of an applier's [`Target`] API (after a lost reply: what
/// an attempt may have made): `listed!(self.at, v1, "GetResources", req)`.
macro_rules! listed {
    ($t:expr, $v:ident, $op:literal, $req:expr) => {{
        let what = format!("what {} may have made in {} {}", $op, $t.family, $t.api_id);
        $crate::restore::once::looked!($t.pacer, $v, $op, &what, $req)
    }};
}
pub(crate) use listed;

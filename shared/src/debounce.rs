//! Debouncing change events: a burst of changes to one REST API (a deployment pipeline making
//! twenty calls in a minute) gives ONE recovery point shortly after the burst ends, and no
//! change is ever lost: the point is taken after the last change of the burst was seen.
//!
//! # How
//! Two halves, both stateless Lambdas around one DynamoDB item and one SQS queue:
//!
//! - [`Debouncer::record_change`], for each change event of API `id` at event time `t`: one
//!   UpdateItem on the catalog table, item `pk`="pending", `sk`=`id`, that sets
//!   `last` = max(`last`, `t`) (a condition, so an older event that arrives late never lowers
//!   it), `first` = `first` if it exists else `t`, `count` += 1, `trigger` = the trigger of the
//!   newest change, and `expiresAt` (the catalog's TTL) a day later; then ONE SQS message to the
//!   debounce queue, delayed by `quiet` (default 60 s, at most 900 s, SQS's limit), with the
//!   body `{"api": id, "seenLast": last}` where `last` is the value the update left (`t`, or
//!   the newer time already there for an out-of-order event).
//! - [`Debouncer::on_due`], when a message comes due: reads the item (consistent read).
//!   - No item: an earlier message already took the point: nothing to do.
//!   - `last` = `seenLast`: this message is the newest, so no change came for `quiet`: the
//!     item is deleted on the condition `last = seenLast` and one [`SnapshotRequest`] returned.
//!     Had a change raced in between the read and the delete, the condition fails, the item
//!     stays and that change's own message takes the point.
//!   - `last` > `seenLast`: a later change exists and its own message will come: dropped,
//!     unless the stream has been going for `max_defer` (default 300 s) since `first`: then a
//!     request is returned now AND the item is kept (only `first` is reset to now, on the
//!     condition that no other message did so first), so a never-ending stream still gets a
//!     point at least every `max_defer` and the newest message still takes a final point that
//!     reflects the last change. A final point that finds the API unchanged since costs
//!     nothing (same manifest, no new object).
//!
//! Delivery is at least once everywhere (SQS, Lambda retries): a repeated `record_change` only
//! counts one change too many; a repeated message finds the item gone or newer. A failure
//! between the update and the send is an error, so the event is retried and the message sent.
//!
//! # Worst-case delay from a change to its recovery point (RPO)
//! The sum of:
//! - CloudTrail-to-EventBridge delivery of the change event (best effort, typically under
//!   1-2 minutes);
//! - `quiet` (60 s) after the LAST change of a burst; in a stream that never pauses for
//!   `quiet`, at most `max_defer` (300 s) after its first change (plus the gap to the next
//!   message coming due, under `quiet`);
//! - the snapshot's own time (the EventBridge hand-off and the capture).
//!
//! With the defaults: about 2 + 1 minutes after a burst, at most about 2 + 5 + 1 minutes in a
//! continuous stream, plus the capture. An event CloudTrail never delivers (best effort) is
//! covered by the scheduled sweep: then the bound is the sweep's period.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::SqsEvent;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};

use crate::awsconf::sdk_error;
use crate::events::SnapshotRequest;
use crate::{Error, Result};

/// The partition key of pending (debounced) changes in the catalog table.
pub const PENDING: &str = "pending";
/// The default quiet time: a point is taken this long after the last change of a burst.
pub const DEFAULT_QUIET: Duration = Duration::from_secs(60);
/// The default longest deferral: a continuous stream of changes still gets a point this often.
pub const DEFAULT_MAX_DEFER: Duration = Duration::from_secs(300);
/// SQS's longest message delay: a longer quiet time is cut to this.
pub const MAX_QUIET: Duration = Duration::from_secs(900);
/// How long a pending item outlives its last change (the catalog's TTL removes it): far longer
/// than any message delay; only an item whose messages were all lost lives that long, and the
/// scheduled sweep covers its change.
const PENDING_TTL_SECS: i64 = 86_400;
/// A write loses a race with a delete or another write at most this often before giving up.
const ATTEMPTS: usize = 5;

/// The body of a debounce message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DueMessage {
    api: String,
    seen_last: i64,
}

/// The pending item as read.
struct Pending {
    last: i64,
    first: i64,
    count: i64,
    trigger: String,
}

pub struct Debouncer {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    quiet: Duration,
    max_defer: Duration,
}

impl Debouncer {
    /// `home`: the configuration of the recovery Region (where table and queue live). `table`:
    /// the catalog table (`TABLE` or `dynamodb://TABLE`). `quiet` is cut to 900 s.
    pub fn new(
        home: &SdkConfig,
        table: &str,
        queue_url: &str,
        quiet: Duration,
        max_defer: Duration,
    ) -> Self {
        Debouncer {
            ddb: aws_sdk_dynamodb::Client::new(home),
            table: table
                .strip_prefix("dynamodb://")
                .unwrap_or(table)
                .to_string(),
            sqs: aws_sdk_sqs::Client::new(home),
            queue_url: queue_url.to_string(),
            quiet: quiet.min(MAX_QUIET),
            max_defer,
        }
    }

    /// The quiet time in effect (after the cut to 900 s).
    pub fn quiet(&self) -> Duration {
        self.quiet
    }

    /// The message delay: the quiet time in whole seconds, rounded up.
    fn delay_seconds(&self) -> i32 {
        let q = self.quiet;
        let secs = q.as_secs() + u64::from(q.subsec_nanos() > 0);
        secs.min(MAX_QUIET.as_secs()) as i32
    }

    fn key(&self, api: &str) -> [(String, AttributeValue); 2] {
        [
            ("pk".into(), AttributeValue::S(PENDING.into())),
            ("sk".into(), AttributeValue::S(api.into())),
        ]
    }

    fn what(&self, doing: &str, api: &str) -> String {
        format!(
            "{doing} the pending change of REST API {api} in the table '{}'",
            self.table
        )
    }

    /// Records one change of REST API `api` made at `at_ms` (the event's time, milliseconds
    /// since the epoch) by `trigger` (`PutMethod` or `change:PutMethod`), and queues its
    /// delayed message.
    pub async fn record_change(&self, api: &str, at_ms: i64, trigger: &str) -> Result<()> {
        if api.trim().is_empty() {
            return Err(Error::Invalid(
                "a change to debounce names no REST API id".into(),
            ));
        }
        let trigger = trigger.strip_prefix("change:").unwrap_or(trigger);
        let last = self.update_pending(api, at_ms, trigger).await?;
        let body = serde_json::to_string(&DueMessage {
            api: api.to_string(),
            seen_last: last,
        })
        .map_err(|e| Error::decode("encoding a debounce message", e))?;
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .delay_seconds(self.delay_seconds())
            .message_body(body)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &format!(
                        "queueing the debounce message of REST API {api} on {}",
                        self.queue_url
                    ),
                    e,
                )
            })?;
        Ok(())
    }

    /// The UpdateItem of [`Self::record_change`]; returns `last` as written.
    async fn update_pending(&self, api: &str, at_ms: i64, trigger: &str) -> Result<i64> {
        let t = AttributeValue::N(at_ms.to_string());
        let expires = AttributeValue::N((at_ms.div_euclid(1000) + PENDING_TTL_SECS).to_string());
        for _ in 0..ATTEMPTS {
            // The newest change so far (or the first): it sets `last` and `trigger`.
            let newest = self
                .ddb
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key(api).into_iter().collect()))
                .update_expression(
                    "SET #last = :t, #first = if_not_exists(#first, :t), #trigger = :trigger, \
                     #count = if_not_exists(#count, :zero) + :one, #exp = :exp",
                )
                .condition_expression("attribute_not_exists(#last) OR #last <= :t")
                .expression_attribute_names("#last", "last")
                .expression_attribute_names("#first", "first")
                .expression_attribute_names("#trigger", "trigger")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#exp", "expiresAt")
                .expression_attribute_values(":t", t.clone())
                .expression_attribute_values(":trigger", AttributeValue::S(trigger.into()))
                .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":exp", expires.clone())
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match newest {
                Ok(out) => return number(out.attributes(), "last", api),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(sdk_error(&self.what("recording", api), e)),
            }
            // An older change that arrived late: count it, keep the newer `last` and trigger.
            let older = self
                .ddb
                .update_item()
                .table_name(&self.table)
                .set_key(Some(self.key(api).into_iter().collect()))
                .update_expression("SET #count = #count + :one, #exp = :exp")
                .condition_expression("#last > :t")
                .expression_attribute_names("#last", "last")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#exp", "expiresAt")
                .expression_attribute_values(":t", t.clone())
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":exp", expires.clone())
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match older {
                Ok(out) => return number(out.attributes(), "last", api),
                // The item was taken (deleted) in between: start again.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(sdk_error(&self.what("recording", api), e)),
            }
        }
        Err(Error::Unavailable(format!(
            "{} kept racing with other writers ({ATTEMPTS} attempts); try again",
            self.what("recording", api)
        )))
    }

    /// A debounce message came due at `now_ms`: the snapshot request to send, if any (see the
    /// module documentation). A body that is not a debounce message is [`Error::Invalid`].
    pub async fn on_due(&self, body: &str, now_ms: i64) -> Result<Option<SnapshotRequest>> {
        let msg: DueMessage = serde_json::from_str(body).map_err(|e| {
            Error::Invalid(format!(
                "malformed debounce message ({e}): expected {{\"api\": ID, \"seenLast\": MS}}"
            ))
        })?;
        let api = msg.api.as_str();
        if api.trim().is_empty() {
            return Err(Error::Invalid(
                "debounce message names no REST API id".into(),
            ));
        }
        let Some(item) = self.read_pending(api).await? else {
            return Ok(None); // already taken by an earlier message
        };
        let request = |more_pending: bool| {
            let s = if item.count == 1 { "" } else { "s" };
            let more = if more_pending { "; more pending" } else { "" };
            SnapshotRequest {
                apis: vec![api.to_string()],
                trigger: format!(
                    "change:{} (debounced {} change{s}{more})",
                    item.trigger, item.count
                ),
                cause: None,
            }
        };
        let seen = AttributeValue::N(msg.seen_last.to_string());
        if item.last == msg.seen_last {
            // The newest message: take the point and the item, unless a change raced in.
            let deleted = self
                .ddb
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(self.key(api).into_iter().collect()))
                .condition_expression("#last = :seen")
                .expression_attribute_names("#last", "last")
                .expression_attribute_values(":seen", seen)
                .send()
                .await;
            return match deleted {
                Ok(_) => Ok(Some(request(false))),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(None)
                }
                Err(e) => Err(sdk_error(&self.what("taking", api), e)),
            };
        }
        let max_defer = i64::try_from(self.max_defer.as_millis()).unwrap_or(i64::MAX);
        if now_ms.saturating_sub(item.first) < max_defer {
            return Ok(None); // a later change's message will come
        }
        // Deferred long enough: a point now, and the item stays for the newest message's final
        // point. Resetting `first` (only if no other message did) spaces these points out.
        let reset = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(api).into_iter().collect()))
            .update_expression("SET #first = :now")
            .condition_expression("#first = :first")
            .expression_attribute_names("#first", "first")
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .expression_attribute_values(":first", AttributeValue::N(item.first.to_string()))
            .send()
            .await;
        match reset {
            Ok(_) => Ok(Some(request(true))),
            // Another message took the intermediate point, or the item is gone.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error(&self.what("deferring", api), e)),
        }
    }

    async fn read_pending(&self, api: &str) -> Result<Option<Pending>> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(api).into_iter().collect()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&self.what("reading", api), e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let attrs = Some(item);
        Ok(Some(Pending {
            last: number(attrs, "last", api)?,
            first: number(attrs, "first", api)?,
            count: number(attrs, "count", api)?,
            trigger: item
                .get("trigger")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
        }))
    }
}

fn number(
    item: Option<&std::collections::HashMap<String, AttributeValue>>,
    name: &str,
    api: &str,
) -> Result<i64> {
    item.and_then(|i| i.get(name))
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            Error::Integrity(format!(
                "the pending change of REST API {api} has no number '{name}': delete the item \
                 (pk '{PENDING}', sk '{api}'); the next change or sweep takes a point"
            ))
        })
}

/// The message bodies of an SQS Lambda event (`{"Records": [{"eventSource": "aws:sqs",
/// "body": ...}, ...]}`). Anything else is [`Error::Invalid`].
pub fn parse_sqs_event(event: &serde_json::Value) -> Result<Vec<String>> {
    let ev: SqsEvent = serde_json::from_value(event.clone()).map_err(|e| {
        Error::Invalid(format!(
            "malformed event ({e}): the debounce function takes SQS events from its queue"
        ))
    })?;
    if ev.records.is_empty() {
        return Err(Error::Invalid(
            "SQS event without records: the debounce function takes SQS events from its queue"
                .into(),
        ));
    }
    ev.records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let source = r.event_source.as_deref().unwrap_or("");
            if source != "aws:sqs" {
                return Err(Error::Invalid(format!(
                    "record {i} comes from '{source}', not 'aws:sqs': the debounce function \
                     takes SQS events from its queue"
                )));
            }
            r.body
                .ok_or_else(|| Error::Invalid(format!("SQS record {i} has no body")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sqs_record(body: &str) -> serde_json::Value {
        json!({
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185"
            },
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
            "awsRegion": "us-east-2"
        })
    }

    #[test]
    fn sqs_events_give_their_bodies() {
        let ev =
            json!({"Records": [sqs_record("{\"api\":\"a\",\"seenLast\":1}"), sqs_record("x")]});
        assert_eq!(
            parse_sqs_event(&ev).unwrap(),
            vec!["{\"api\":\"a\",\"seenLast\":1}".to_string(), "x".into()]
        );
    }

    #[test]
    fn other_events_are_invalid() {
        let mut sns = sqs_record("x");
        sns["eventSource"] = json!("aws:sns");
        let mut no_body = sqs_record("x");
        no_body.as_object_mut().unwrap().remove("body");
        for ev in [
            json!({"Records": []}),
            json!({"Records": [sns]}),
            json!({"Records": [no_body]}),
            json!({"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}),
            json!(42),
        ] {
            assert!(
                matches!(parse_sqs_event(&ev), Err(Error::Invalid(_))),
                "{ev}"
            );
        }
    }

    #[test]
    fn delay_is_quiet_rounded_up_and_capped() {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let d = |q| Debouncer::new(&sdk, "dynamodb://t", "q", q, DEFAULT_MAX_DEFER);
        assert_eq!(d(DEFAULT_QUIET).delay_seconds(), 60);
        assert_eq!(d(Duration::from_millis(1500)).delay_seconds(), 2);
        assert_eq!(d(Duration::ZERO).delay_seconds(), 0);
        assert_eq!(d(Duration::from_secs(3600)).delay_seconds(), 900);
        assert_eq!(d(Duration::from_secs(3600)).quiet(), MAX_QUIET);
        assert_eq!(d(DEFAULT_QUIET).table, "t");
    }
}

//! Calls each step of an HTTP or WebSocket API's plan needs.

use std::collections::BTreeMap;

use crate::model::v2::ApiSnapshot;
use crate::restore::difference::{Change, Difference, add_calls};
use crate::restore::kind::{Kind, estate_kinds, rest_kinds};

/// Calls one step needs.
pub fn step_calls(d: &Difference, desired: &ApiSnapshot, out: &mut BTreeMap<&'static str, u64>) {
    if d.is_duplicate() {
        return;
    }
    let mut add = |op: Option<&'static str>, n: u64| add_calls(out, op, n);
    let verb = |create, update, delete| d.change.verb(create, update, delete);
    match d.kind {
        Kind::Api => add(verb("CreateApi", "UpdateApi", "DeleteApi"), 1),
        Kind::ModelV2 => add(verb("CreateModel", "UpdateModel", "DeleteModel"), 1),
        Kind::AuthorizerV2 => add(
            verb("CreateAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer"),
            1,
        ),
        Kind::Integration => {
            add(
                verb(
                    "CreateIntegration",
                    "UpdateIntegration",
                    "DeleteIntegration",
                ),
                1,
            );
            if d.change != Change::Delete {
                let keys = desired.integration_keys();
                let n = desired
                    .integrations
                    .iter()
                    .find(|i| keys.get(&i.integration_id) == Some(&d.key))
                    .map_or(0, |i| i.integration_responses.len() as u64);
                add(Some("CreateIntegrationResponse"), n);
            }
        }
        Kind::Route => {
            add(verb("CreateRoute", "UpdateRoute", "DeleteRoute"), 1);
            if d.change != Change::Delete {
                let n = desired
                    .routes
                    .iter()
                    .find(|r| r.route_key == d.key)
                    .map_or(0, |r| r.route_responses.len() as u64);
                add(Some("CreateRouteResponse"), n);
            }
        }
        Kind::StageV2 => add(verb("CreateStage", "UpdateStage", "DeleteStage"), 1),
        // Kinds of other families never reach an HTTP or WebSocket API's plan.
        rest_kinds!() | estate_kinds!() => {}
    }
}

//! apigw-dr's integration tests: one binary, run against a local AWS (moto) that the harness
//! starts and resets for every test.

mod capture;
mod capture_v2;
mod catalog;
mod check;
mod debounce;
mod dns;
mod drill;
mod estate;
mod failover;
mod fast_restore;
mod harness;
mod lambdas;
mod lost_replies;
mod metrics;
mod openapi;
mod points;
mod recovery;
mod restore;
mod restore_estate;
mod restore_v2;
mod stages;
mod standby;

use serde_json::Value;

/// An AWS-shaped event from tests/fixtures/events, with `REST_API_ID` replaced.
pub fn event(name: &str, api_id: &str) -> Value {
    let path = tests::workspace_root()
        .join("tests/fixtures/events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text.replace("REST_API_ID", api_id)).unwrap()
}

/// Progress sink for library calls in tests.
pub fn quiet(_: String) {}

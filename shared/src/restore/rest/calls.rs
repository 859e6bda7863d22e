//! Calls each step of a REST API's plan needs.

use std::collections::BTreeMap;

use crate::model::v1::RestApiSnapshot;
use crate::restore::difference::{Difference, add_calls};
use crate::restore::kind::{Kind, estate_kinds, v2_kinds};

/// Calls one step needs. Every kind is named: a new kind must say what it costs.
pub fn step_calls(
    d: &Difference,
    desired: &RestApiSnapshot,
    out: &mut BTreeMap<&'static str, u64>,
) {
    let c = &d.change;
    let mut add = |op: Option<&'static str>, n: u64| add_calls(out, op, n);
    match d.kind {
        Kind::RestApi => add(c.op(Some("CreateRestApi"), Some("UpdateRestApi"), None), 1),
        Kind::Model => add(c.verb("CreateModel", "UpdateModel", "DeleteModel"), 1),
        Kind::RequestValidator => add(
            c.verb(
                "CreateRequestValidator",
                "UpdateRequestValidator",
                "DeleteRequestValidator",
            ),
            1,
        ),
        Kind::Authorizer => add(
            c.verb("CreateAuthorizer", "UpdateAuthorizer", "DeleteAuthorizer"),
            1,
        ),
        Kind::Resource => add(
            c.op(Some("CreateResource"), None, Some("DeleteResource")),
            1,
        ),
        Kind::Method => {
            add(c.op(None, Some("DeleteMethod"), Some("DeleteMethod")), 1);
            if let Some(m) = c
                .op(Some("PutMethod"), Some("PutMethod"), None)
                .and_then(|_| {
                    let (path, verb) = d.key.rsplit_once(' ')?;
                    desired
                        .methods
                        .iter()
                        .find(|m| m.path == path && m.http_method == verb)
                })
            {
                add(Some("PutMethod"), 1);
                add(Some("PutMethodResponse"), m.method_responses.len() as u64);
                if let Some(i) = &m.method_integration {
                    add(Some("PutIntegration"), 1);
                    let n = i.integration_responses.len() as u64;
                    add(Some("PutIntegrationResponse"), n);
                }
            }
        }
        Kind::GatewayResponse => {
            let put = "PutGatewayResponse";
            add(c.verb(put, put, "DeleteGatewayResponse"), 1)
        }
        Kind::DocumentationPart => add(c.op(Some("CreateDocumentationPart"), None, None), 1),
        Kind::DocumentationVersion => add(c.op(Some("CreateDocumentationVersion"), None, None), 1),
        Kind::Stage => {
            add(c.op(Some("CreateStage"), None, Some("DeleteStage")), 1);
            add(c.op(Some("UpdateStage"), Some("UpdateStage"), None), 1);
        }
        // The served definition imported whole and deployed, then each of its stages and
        // the canaries the target holds pointed at that deployment.
        Kind::ServedDefinition => {
            add(c.op(Some("PutRestApi"), None, None), 1);
            add(c.op(Some("CreateDeployment"), None, None), 1);
            let updates = super::served::stage_updates(d);
            add(c.op(Some("UpdateStage"), None, None), updates);
        }
        // Kinds of other families never reach a REST API's plan.
        v2_kinds!() | estate_kinds!() => {}
    }
}

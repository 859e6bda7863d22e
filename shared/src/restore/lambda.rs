//! The Lambda functions a REST API calls (Lambda and Lambda-proxy integrations, Lambda
//! authorizers): checked to exist in the target before a restore, and granted the invoke
//! permission for the recovered API afterwards, as API Gateway needs to call them.

use std::collections::BTreeMap;

use aws_config::SdkConfig;

use crate::Result;
use crate::awsconf::{sdk_error, status_of};
use crate::model::Source;
use crate::model::v1::RestApiSnapshot;

const FUNCTIONS: &str = ":lambda:path/2015-03-31/functions/";

/// The function ARN inside a Lambda integration or authorizer URI. None for other URIs and
/// for functions named through stage variables (`${stageVariables.fn}`), which have no
/// fixed function.
pub fn function_of_uri(uri: &str) -> Option<String> {
    let start = uri.find(FUNCTIONS)? + FUNCTIONS.len();
    let rest = &uri[start..];
    let arn = rest.strip_suffix("/invocations").unwrap_or(rest);
    (arn.starts_with("arn:") && !arn.contains("${")).then(|| arn.to_string())
}

/// Function ARN -> what calls it (`Method /pets POST`, `Authorizer token-auth`).
pub fn functions_called(api: &RestApiSnapshot) -> BTreeMap<String, Vec<String>> {
    let methods = api.methods.iter().map(|m| {
        let uri = m.method_integration.as_ref().and_then(|i| i.uri.as_deref());
        (uri, format!("Method {} {}", m.path, m.http_method))
    });
    let authorizers = api.authorizers.iter().map(|a| {
        (
            a.authorizer_uri.as_deref(),
            format!("Authorizer {}", a.name),
        )
    });
    callers(methods.chain(authorizers), function_of_uri)
}

/// Function ARN -> what calls it, from each caller's URI (None: it calls nothing) and name,
/// in order; `of` reads the function ARN of a URI (None: no fixed function).
pub fn callers<'a>(
    calls: impl IntoIterator<Item = (Option<&'a str>, String)>,
    of: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (uri, caller) in calls {
        if let Some(f) = uri.and_then(&of) {
            out.entry(f).or_default().push(caller);
        }
    }
    out
}

/// The functions that do not exist in the target.
pub async fn missing(
    sdk: &SdkConfig,
    functions: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<String>> {
    let client = aws_sdk_lambda::Client::new(sdk);
    let mut out = vec![];
    for f in functions.keys() {
        match client.get_function().function_name(f).send().await {
            Ok(_) => {}
            Err(e) if status_of(&e) == Some(404) => out.push(f.clone()),
            Err(e) => {
                return Err(sdk_error(
                    &format!("checking that Lambda function {f} exists (GetFunction)"),
                    e,
                ));
            }
        }
    }
    Ok(out)
}

/// Lets API Gateway invoke each function for the API `api_id` in `target` (one statement per
/// function and API, so running it again changes nothing). Returns what was granted and what
/// could not be.
pub async fn grant(
    sdk: &SdkConfig,
    functions: &[String],
    api_id: &str,
    target: &Source,
) -> (Vec<String>, Vec<String>) {
    let client = aws_sdk_lambda::Client::new(sdk);
    let source_arn = format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        target.partition, target.region, target.account
    );
    let (mut granted, mut failed) = (vec![], vec![]);
    for f in functions {
        let res = client
            .add_permission()
            .function_name(f)
            .statement_id(format!("apigw-dr-{api_id}"))
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(&source_arn)
            .send()
            .await;
        match res {
            Ok(_) => granted.push(f.clone()),
            // The statement is there from an earlier run.
            Err(e) if status_of(&e) == Some(409) => granted.push(f.clone()),
            Err(e) => failed.push(format!(
                "Lambda permission for {f}: {}",
                sdk_error(
                    &format!("letting API {api_id} invoke {f} (AddPermission)"),
                    e
                )
            )),
        }
    }
    (granted, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns_in_uris() {
        let uri = "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:222222222222:function:pets:live/invocations";
        assert_eq!(
            function_of_uri(uri).as_deref(),
            Some("arn:aws:lambda:us-west-2:222222222222:function:pets:live")
        );
        assert_eq!(
            function_of_uri("arn:aws:apigateway:us-west-2:sqs:action/SendMessage"),
            None
        );
        assert_eq!(
            function_of_uri(
                "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:1:function:${stageVariables.fn}/invocations"
            ),
            None
        );
        assert_eq!(function_of_uri("https://example.com/x"), None);
    }

    #[test]
    fn callers_are_grouped_by_function_in_order() {
        let f = "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:1:function:f/invocations";
        let calls = [
            (Some(f), "Method /a GET".to_string()),
            (None, "Method /b GET".to_string()),
            (Some("https://example.com/x"), "Method /c GET".to_string()),
            (Some(f), "Authorizer tok".to_string()),
        ];
        let got = callers(calls, function_of_uri);
        assert_eq!(
            got,
            BTreeMap::from([(
                "arn:aws:lambda:us-west-2:1:function:f".to_string(),
                vec!["Method /a GET".to_string(), "Authorizer tok".to_string()]
            )])
        );
    }
}

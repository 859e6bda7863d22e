//! Data-driven tests: one fixture file per rule under `fixtures/` (see `Fixture` for the format),
//! run by one test that names every case that fails; plus the mapping file and reports.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use super::*;

/// A fixture file: defaults for its cases, and the cases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    /// The rule the file is about; a case's rewrites must use it unless the case says otherwise.
    rule: Rule,
    source: Source,
    target: Source,
    #[serde(default)]
    mapping: Value,
    #[serde(default)]
    ids: BTreeMap<String, String>,
    cases: Vec<Case>,
}

/// One case: either `input` (a string, through `translate_str`) with `output` (`null` = stays)
/// or `problem` (a part of the error), or `entry` (through `translate_entries`) with `value`
/// (the entry's value afterwards), `problems` (pointers), `pending` (source ids).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    rule: Option<Rule>,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    target: Option<Source>,
    #[serde(default)]
    mapping: Option<Value>,
    #[serde(default)]
    ids: Option<BTreeMap<String, String>>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default, deserialize_with = "some")]
    output: Option<Option<String>>,
    #[serde(default)]
    problem: Option<String>,
    #[serde(default)]
    entry: Option<Entry>,
    #[serde(default)]
    value: Option<Value>,
    /// The rules of the rewrites, in order, where they are not all the case's rule.
    #[serde(default)]
    rules: Option<Vec<Rule>>,
    #[serde(default)]
    problems: Vec<String>,
    #[serde(default)]
    pending: Vec<String>,
}

/// Tells `"output": null` (stays) from no `output` at all.
fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn mapping_of(v: &Value) -> Result<Mapping, String> {
    if v.is_null() {
        return Ok(Mapping::empty());
    }
    Mapping::parse(&v.to_string(), Some("json")).map_err(|e| e.to_string())
}

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/translate/fixtures")
}

/// Runs one case; `Err` says what went wrong.
fn run_case(f: &Fixture, c: &Case) -> Result<(), String> {
    let rule = c.rule.unwrap_or(f.rule);
    let ctx = Context {
        source: c.source.clone().unwrap_or_else(|| f.source.clone()),
        target: c.target.clone().unwrap_or_else(|| f.target.clone()),
        mapping: mapping_of(c.mapping.as_ref().unwrap_or(&f.mapping))?,
        ids: c.ids.clone().unwrap_or_else(|| f.ids.clone()),
    };
    // Translating the result again, with the target as source, must change nothing.
    let again = Context {
        source: ctx.target.clone(),
        ids: BTreeMap::new(),
        ..ctx.clone()
    };
    match (&c.input, &c.entry) {
        (Some(input), None) => {
            let got = translate_str(input, &ctx);
            match (&c.output, &c.problem) {
                (Some(None), None) => {
                    if got != Ok(None) {
                        return Err(format!("expected no change, got {got:?}"));
                    }
                }
                (Some(Some(want)), None) => {
                    let want = Ok(Some((want.clone(), rule)));
                    if got != want {
                        return Err(format!("expected {want:?}, got {got:?}"));
                    }
                    let second = translate_str(&got.unwrap().unwrap().0, &again);
                    if second != Ok(None) {
                        return Err(format!("not idempotent: again gave {second:?}"));
                    }
                }
                (None, Some(part)) => match got {
                    Err(why) if why.contains(part.as_str()) => {}
                    other => {
                        return Err(format!("expected a problem with {part:?}, got {other:?}"));
                    }
                },
                _ => return Err("give `output` or `problem`".into()),
            }
        }
        (None, Some(entry)) => {
            let mut entries = vec![entry.clone()];
            let report = translate_entries(&mut entries, &ctx);
            if let Some(want) = &c.value
                && &entries[0].value != want
            {
                return Err(format!(
                    "expected value\n{want:#}\ngot\n{:#}\nreport: {:#?}",
                    entries[0].value, report
                ));
            }
            let rules: Vec<Rule> = report.rewrites.iter().map(|r| r.rule).collect();
            match &c.rules {
                Some(want) if &rules != want => {
                    return Err(format!(
                        "expected rewrites by {want:?}, got {:?}",
                        report.rewrites
                    ));
                }
                Some(_) => {}
                None => {
                    if let Some(r) = report.rewrites.iter().find(|r| r.rule != rule) {
                        return Err(format!(
                            "rewrite by {} where {rule} was expected: {r:?}",
                            r.rule
                        ));
                    }
                }
            }
            let problems: Vec<&str> = report.problems.iter().map(|p| p.pointer.as_str()).collect();
            if problems != c.problems {
                return Err(format!(
                    "expected problems at {:?}, got {:?}",
                    c.problems, report.problems
                ));
            }
            let pending: Vec<&str> = report.pending.iter().map(|p| p.id.as_str()).collect();
            if pending != c.pending {
                return Err(format!(
                    "expected pending {:?}, got {:?}",
                    c.pending, report.pending
                ));
            }
            let second = translate_entries(&mut entries, &again);
            if !second.rewrites.is_empty() || !second.problems.is_empty() {
                return Err(format!("not idempotent: again gave {second:?}"));
            }
        }
        _ => return Err("give either `input` or `entry`".into()),
    }
    Ok(())
}

#[test]
fn fixtures() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut rules_covered = std::collections::BTreeSet::new();
    let mut count = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let f: Fixture = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        assert_eq!(
            name,
            format!("{}.json", f.rule),
            "a fixture file is named after its rule"
        );
        rules_covered.insert(f.rule);
        for c in &f.cases {
            count += 1;
            if let Err(e) = run_case(&f, c) {
                failures.push(format!("{name}: {}: {e}", c.name));
            }
        }
    }
    let missing: Vec<_> = Rule::ALL
        .iter()
        .filter(|r| !rules_covered.contains(r))
        .collect();
    assert!(missing.is_empty(), "rules without a fixture: {missing:?}");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{count} translation cases passed");
}

fn src() -> Source {
    Source {
        partition: "aws".into(),
        account: "111111111111".into(),
        region: "us-east-1".into(),
    }
}

fn dst() -> Source {
    Source {
        partition: "aws".into(),
        account: "222222222222".into(),
        region: "us-west-2".into(),
    }
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","333333333333"]},"Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/*"},{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0123456789abcdef0"}}}]}"#;

#[test]
fn policy_text_is_rewritten_in_place_and_nothing_else_moves() {
    let mut ctx = Context::new(src(), dst());
    ctx.mapping =
        Mapping::parse(include_str!("fixtures/mapping-example.toml"), Some("toml")).unwrap();
    ctx.ids.insert("a1b2c3d4e5".into(), "z9y8x7w6v5".into());
    // Also in the escaped form AWS sometimes returns.
    for policy in [POLICY.to_string(), POLICY.replace('"', "\\\"")] {
        let mut entries = vec![Entry {
            id: "restapi:orders".into(),
            kind: "RestApi".into(),
            value: json!({"id": "a1b2c3d4e5", "name": "orders", "policy": policy}),
        }];
        let report = translate_entries(&mut entries, &ctx);
        let want = policy
            .replace(
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:root",
            )
            .replace(
                "arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/*",
                "arn:aws:execute-api:us-west-2:222222222222:z9y8x7w6v5/*",
            )
            .replace("vpce-0123456789abcdef0", "vpce-0fedcba9876543210");
        assert_eq!(entries[0].value["policy"], want.as_str());
        assert_eq!(entries[0].value["id"], "a1b2c3d4e5", "own id stays");
        let rules: Vec<Rule> = report.rewrites.iter().map(|r| r.rule).collect();
        assert_eq!(rules, [Rule::Arn, Rule::ExecuteApi, Rule::NetworkId]);
        assert!(report.problems.is_empty() && report.pending.is_empty());
    }
}

#[test]
fn a_method_translates_its_uris_ids_and_templates_and_reports_lines() {
    let mut ctx = Context::new(src(), dst());
    ctx.ids.insert("auth01".into(), "auth99".into());
    let mut entries = vec![Entry {
        id: "method:orders:/pets:GET".into(),
        kind: "Method".into(),
        value: json!({
            "resourceId": "res01",
            "path": "/pets",
            "httpMethod": "GET",
            "authorizerId": "auth01",
            "description": "calls arn:aws:lambda:us-east-1:111111111111:function:x",
            "methodIntegration": {
                "type": "AWS_PROXY",
                "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111111111111:function:pets/invocations",
                "connectionId": "vl0001",
                "requestTemplates": {
                    "application/json": "{\"QueueUrl\": \"https://sqs.us-east-1.amazonaws.com/111111111111/orders\", \"Cert\": \"arn:aws:acm:us-east-1:111111111111:certificate/abc\"}"
                }
            },
            "restApiId": "a1b2c3d4e5"
        }),
    }];
    let report = translate_entries(&mut entries, &ctx);
    let v = &entries[0].value;
    assert_eq!(v["authorizerId"], "auth99");
    assert_eq!(v["resourceId"], "res01", "unknown ids stay");
    assert_eq!(
        v["methodIntegration"]["connectionId"], "vl0001",
        "not a VPC link"
    );
    assert_eq!(
        v["description"], "calls arn:aws:lambda:us-east-1:111111111111:function:x",
        "free text stays"
    );
    assert_eq!(
        v["methodIntegration"]["requestTemplates"]["application/json"],
        "{\"QueueUrl\": \"https://sqs.us-west-2.amazonaws.com/222222222222/orders\", \"Cert\": \"arn:aws:acm:us-east-1:111111111111:certificate/abc\"}"
    );
    let lines = report_lines(&report);
    assert_eq!(
        lines,
        [
            "method:orders:/pets:GET /authorizerId: auth01 -> auth99 (apigw-id)",
            "method:orders:/pets:GET /methodIntegration/requestTemplates/application~1json: https://sqs.us-east-1.amazonaws.com/111111111111/orders -> https://sqs.us-west-2.amazonaws.com/222222222222/orders (sqs-url)",
            "method:orders:/pets:GET /methodIntegration/uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:111111111111:function:pets/invocations -> arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:222222222222:function:pets/invocations (lambda-uri)",
            "method:orders:/pets:GET /methodIntegration/requestTemplates/application~1json: cannot translate arn:aws:acm:us-east-1:111111111111:certificate/abc: ACM certificates differ in each Region and account: add \"arn:aws:acm:us-east-1:111111111111:certificate/abc\" = \"<certificate ARN in 222222222222/us-west-2>\" under [certificates] in the mapping file",
            "method:orders:/pets:GET /resourceId: resource id res01 not yet in the target",
            "method:orders:/pets:GET /restApiId: REST API id a1b2c3d4e5 not yet in the target",
        ]
    );
    assert_eq!(
        report.blocked().into_iter().collect::<Vec<_>>(),
        ["method:orders:/pets:GET"]
    );
}

#[test]
fn id_fields_table_is_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for f in id_fields() {
        assert!(f.pointer.starts_with('/'), "{f:?}");
        assert!(seen.insert(f.pointer), "twice: {}", f.pointer);
        if let Some((p, _)) = f.when {
            assert!(p.starts_with('/'), "{f:?}");
        }
    }
    for needed in [
        "/authorizerId",
        "/requestValidatorId",
        "/methodIntegration/connectionId",
        "/deploymentId",
        "/clientCertificateId",
        "/parentId",
        "/resourceId",
        "/restApiId",
    ] {
        assert!(seen.contains(needed), "{needed}");
    }
}

#[test]
fn mapping_parses_toml_and_json_and_names_mistakes() {
    let toml_text = include_str!("fixtures/mapping-example.toml");
    let m = Mapping::parse(toml_text, None).unwrap();
    assert_eq!(m.version, Some(1));
    assert_eq!(
        m.cognito_user_pools["us-east-1_AbCdEfGhI"],
        "us-west-2_JkLmNoPqR"
    );
    assert_eq!(m.lambda_functions["orders-handler"], "orders-handler-dr");
    assert!(!m.is_empty() && Mapping::empty().is_empty());
    // Every table of the example has an entry: the example shows every key.
    let as_json = serde_json::to_value(&m).unwrap();
    assert_eq!(as_json.as_object().unwrap().len(), 13, "{as_json:#}");
    // JSON: the same tables as objects, by hint or by content.
    let text = as_json.to_string();
    assert_eq!(Mapping::parse(&text, Some("dr.json")).unwrap(), m);
    assert_eq!(Mapping::parse(&text, None).unwrap(), m);
    assert_eq!(Mapping::parse(toml_text, Some("DR.TOML")).unwrap(), m);
    // The alias for load balancers.
    let m2 = Mapping::parse(
        "[vpc_link_targets]\n\"arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/a/1\" = \"arn:aws:elasticloadbalancing:us-west-2:2:loadbalancer/net/a/2\"\n",
        None,
    )
    .unwrap();
    assert_eq!(m2.load_balancers.len(), 1);
    for (bad, says) in [
        ("[certificate]\n", "certificate"),
        ("version = 2\n", "version 2"),
        (
            "[certificates]\n\"arn:aws:iam::1:role/x\" = \"arn:aws:acm:us-west-2:2:certificate/x\"\n",
            "[certificates] key",
        ),
        (
            "[vpc_endpoints]\n\"vpce-1\" = \"sg-1\"\n",
            "[vpc_endpoints] value",
        ),
        (
            "[lambda_functions]\n\"a\" = \"arn:aws:lambda:us-west-2:2:function:a\"\n",
            "[lambda_functions] value",
        ),
        ("{\"replace\": {\"a\": \"\"}}", "[replace] value"),
        ("{\"replace\": [1]}", "JSON"),
    ] {
        let err = Mapping::parse(bad, None).unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains(says), "{bad}: {err}");
        assert!(err.to_string().contains("docs/mapping-file.md"), "{err}");
    }
}

#[test]
fn docs_show_the_same_example() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/mapping-file.md"),
    )
    .unwrap();
    let example = include_str!("fixtures/mapping-example.toml");
    assert!(
        doc.contains(&format!("```toml\n{example}```")),
        "docs/mapping-file.md shows fixtures/mapping-example.toml verbatim"
    );
    for key in [
        "version",
        "replace",
        "certificates",
        "cognito_user_pools",
        "cognito_clients",
        "load_balancers",
        "vpc_link_targets",
        "web_acls",
        "vpc_endpoints",
        "vpcs",
        "subnets",
        "security_groups",
        "lambda_functions",
        "hosted_zones",
    ] {
        assert!(doc.contains(&format!("`{key}`")), "docs name `{key}`");
    }
}

#[test]
fn any_text_translates_without_panic_and_a_second_pass_changes_nothing() {
    const PIECES: &[&str] = &[
        "arn:aws:lambda:us-east-1:111111111111:function:f",
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
        "/invocations",
        "arn:aws:iam::111111111111:role/r",
        "arn:aws-cn:sqs:cn-north-1:111111111111:q",
        "arn:aws:execute-api:us-east-1:111111111111:abc/*",
        "arn%3Aaws%3Asns%3Aus-east-1%3A111111111111%3At",
        "arn:",
        "arn%3A",
        "https://",
        "https://sqs.us-east-1.amazonaws.com/111111111111/q",
        "https://queue.amazonaws.com/111111111111/q",
        "https://cognito-idp.us-east-1.amazonaws.com/",
        "us-east-1_Pool",
        "http://x.us-east-1.elb.amazonaws.com",
        ".amazonaws.com",
        "vpce-0123456789abcdef0",
        "sg-12345678",
        "111111111111",
        "${stageVariables.x}",
        "{",
        "}",
        "'",
        "\"",
        "\\\"",
        ":",
        "/",
        "%",
        ".",
        " ",
        "é",
        "日本",
        "$",
        "&",
        "?",
    ];
    let st = Context::new(src(), dst());
    let tt = Context::new(dst(), dst());
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..20_000 {
        let mut s = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = 1 + (seed % 6) as usize;
        let mut r = seed;
        for _ in 0..n {
            s.push_str(PIECES[(r % PIECES.len() as u64) as usize]);
            r /= PIECES.len() as u64;
        }
        let _ = translate_str(&s, &st);
        let mut entries = vec![Entry {
            id: "x".into(),
            kind: "Stage".into(),
            value: json!({ "v": s }),
        }];
        translate_entries(&mut entries, &st);
        let once = entries[0].value.clone();
        let again = translate_entries(&mut entries, &tt);
        assert!(
            again.rewrites.is_empty(),
            "{s:?} -> {once} -> {:?}",
            again.rewrites
        );
    }
}

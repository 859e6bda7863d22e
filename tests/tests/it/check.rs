//! The readiness check against moto: the estate's point (a REST, an HTTP and a WebSocket API
//! calling Lambda functions, Cognito authorizers, a custom domain with its certificate) checked
//! against account B / us-west-2, which first lacks the functions, the pools and the
//! certificate, then has them. moto implements no IAM policy simulation: permissions are "not
//! checked" here (the simulated denial is tested at the HTTP layer in shared::check::read).

use aws_config::SdkConfig;
use shared::check::{Readiness, Severity};
use shared::jobs::JobRequest;
use tests::{Account, acquire};

use crate::restore::create_function;
use crate::restore_estate::{Setup, TARGET, request, setup_with};

async fn check(s: &Setup, req: &JobRequest, target: &SdkConfig) -> Readiness {
    let valid = req.validate(&s.catalog).await.unwrap();
    shared::check::read::check(&s.store, &s.catalog, valid, target)
        .await
        .unwrap()
}

fn lines(r: &Readiness, sev: Severity) -> Vec<String> {
    r.of(sev).map(|p| p.line()).collect()
}

/// The one problem that blocks.
fn only_block(r: &Readiness) -> String {
    let blocks = lines(r, Severity::Blocks);
    assert_eq!(blocks.len(), 1, "{blocks:#?}");
    blocks[0].clone()
}

/// The function names of the missing Lambda functions the check reports.
fn missing_functions(r: &Readiness) -> Vec<String> {
    lines(r, Severity::Degrades)
        .iter()
        .filter_map(|l| l.strip_prefix("Lambda function "))
        .filter_map(|l| l.split(":function:").nth(1))
        .map(|l| l.split([' ', ':']).next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_target_lacking_functions_pools_and_the_certificate_is_not_ready_until_it_has_them() {
    let env = acquire().await;
    let s = setup_with(&env, false).await;
    let target = env.sdk(TARGET, Account::B).await;
    let b = tests::ACCOUNT_B;
    env.start_recording().await;
    let req = request(&s.point);
    let r = check(&s, &req, &target).await;

    assert!(!r.ready, "{:#?}", r.problems);
    let block = only_block(&r);
    assert!(
        block.starts_with(&format!(
            "certificate arn:aws:acm:{TARGET}:{b}:certificate/0b0b0b0b-2222-4a5b-9c0d-estate00000b of domain api.example.com is missing in {b}/{TARGET}: request or import it"
        )),
        "{block}"
    );
    let mut missing = missing_functions(&r);
    missing.sort();
    for f in [
        "chat-auth",
        "orders",
        "pets",
        "request-authorizer",
        "token-authorizer",
    ] {
        assert!(missing.iter().any(|m| m == f), "{f} in {missing:?}");
    }
    let degrades = lines(&r, Severity::Degrades);
    assert!(
        degrades.iter().any(|l| l.starts_with(&format!(
            "Lambda function arn:aws:lambda:{TARGET}:{b}:function:pets (called by REST API orders) is missing in {b}/{TARGET}"
        ))),
        "{degrades:#?}"
    );
    for pool in [
        "user pool us-west-2_PetsPoolB",
        "user pool us-west-2_ordersB",
    ] {
        assert!(
            degrades
                .iter()
                .any(|l| l.starts_with(&format!("Cognito {pool} ("))),
            "{pool}: {degrades:#?}"
        );
    }
    let not_checked = lines(&r, Severity::NotChecked);
    assert!(
        not_checked
            .iter()
            .any(|l| l.starts_with("permissions not checked: ")),
        "{not_checked:#?}"
    );
    assert_eq!(
        not_checked
            .iter()
            .filter(|l| l.starts_with("VPC link "))
            .count(),
        2,
        "{not_checked:#?}"
    );
    // The target is empty: it holds nothing, the restore adds the point's APIs and estate.
    let rest = r
        .quotas
        .iter()
        .find(|q| q.what == "REST APIs (Regional)")
        .unwrap();
    assert_eq!((rest.held, rest.adds, rest.limit), (0, 1, Some(600)));
    let v2 = r
        .quotas
        .iter()
        .find(|q| q.what == "HTTP and WebSocket APIs")
        .unwrap();
    assert_eq!((v2.held, v2.adds), (0, 2));
    let room: Vec<(&str, u64, u64)> = r.quotas.iter().map(|q| (q.what, q.held, q.adds)).collect();
    for want in [
        ("public custom domains", 0, 1),
        ("API keys", 0, 2),
        ("usage plans", 0, 1),
        ("VPC links (REST APIs)", 0, 1),
        ("VPC links (HTTP APIs)", 0, 1),
    ] {
        assert!(room.contains(&want), "{want:?} in {room:?}");
    }
    // Reads only: no API Gateway write, nothing created anywhere.
    let writes: Vec<String> = env
        .recorded()
        .await
        .into_iter()
        .filter(|c| c.method != "GET" && c.service.as_deref() == Some("apigateway"))
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");

    // The target gets what it lacked: the functions, the pools and the client, an issued
    // certificate, named in the mapping file as the operator would.
    for f in &missing {
        create_function(&target, f).await;
    }
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&target);
    let mut mapping = req.mapping.clone().unwrap();
    for (name, placeholder) in [
        ("pets", "us-west-2_PetsPoolB"),
        ("orders", "us-west-2_ordersB"),
    ] {
        let pool = cognito
            .create_user_pool()
            .pool_name(name)
            .send()
            .await
            .unwrap()
            .user_pool
            .unwrap()
            .id
            .unwrap();
        if name == "orders" {
            let client = cognito
                .create_user_pool_client()
                .user_pool_id(&pool)
                .client_name("orders")
                .send()
                .await
                .unwrap()
                .user_pool_client
                .unwrap()
                .client_id
                .unwrap();
            mapping = mapping.replace("orders-client-b", &client);
        }
        mapping = mapping.replace(placeholder, &pool);
    }
    let acm = aws_sdk_acm::Client::new(&target);
    let pending = acm
        .request_certificate()
        .domain_name("api.example.com")
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    let wanted =
        format!("arn:aws:acm:{TARGET}:{b}:certificate/0b0b0b0b-2222-4a5b-9c0d-estate00000b");
    let mut req = req.clone();
    req.mapping = Some(mapping.replace(&wanted, &pending));
    let r = check(&s, &req, &target).await;
    assert!(
        lines(&r, Severity::Degrades).is_empty(),
        "{:#?}",
        r.problems
    );
    let block = only_block(&r);
    assert!(
        block.contains(&format!(
            "{pending} of domain api.example.com is PENDING_VALIDATION, not ISSUED"
        )),
        "{block}"
    );

    // An issued certificate (moto issues a private CA's at once): ready.
    let issued = acm
        .request_certificate()
        .domain_name("api.example.com")
        .certificate_authority_arn(format!(
            "arn:aws:acm-pca:{TARGET}:{b}:certificate-authority/12345678-1234-1234-1234-123456789012"
        ))
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    req.mapping = Some(mapping.replace(&wanted, &issued));
    let r = check(&s, &req, &target).await;
    assert!(r.ready, "{:#?}", r.problems);
    assert_eq!(r.count(), 0);
    assert!(
        lines(&r, Severity::NotChecked)
            .iter()
            .any(|l| l.starts_with("permissions not checked: "))
    );
}

//! The harness itself: moto starts, resets, has two accounts and isolated Regions, and the
//! fixtures build in it.

use std::time::Instant;

use tests::{Account, acquire, fixtures};

#[tokio::test]
async fn moto_starts_and_reset_clears_state() {
    let t = Instant::now();
    let env = acquire().await;
    eprintln!(
        "moto: first acquire {:?} (start {:?})",
        t.elapsed(),
        tests::startup_time().unwrap()
    );
    assert!(env.endpoint().starts_with("http://127.0.0.1:"));
    let sdk = env.sdk("eu-west-1", Account::A).await;
    env.create_bucket(&sdk, "before-reset").await.unwrap();
    env.create_catalog_table(&sdk, "catalog").await.unwrap();
    let s3 = aws_sdk_s3::Client::new(&sdk);
    let names = |out: aws_sdk_s3::operation::list_buckets::ListBucketsOutput| -> Vec<String> {
        out.buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect()
    };
    assert_eq!(
        names(s3.list_buckets().send().await.unwrap()),
        ["before-reset"]
    );

    let t = Instant::now();
    env.reset().await.unwrap();
    eprintln!("moto: reset {:?}", t.elapsed());
    assert!(names(s3.list_buckets().send().await.unwrap()).is_empty());
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    assert!(
        ddb.list_tables()
            .send()
            .await
            .unwrap()
            .table_names()
            .is_empty()
    );
}

#[tokio::test]
async fn account_b_is_reached_through_assume_role() {
    let env = acquire().await;
    let a = env.sdk("us-east-1", Account::A).await;
    let b = env.sdk("us-east-1", Account::B).await;
    let who = |sdk: aws_config::SdkConfig| async move {
        let id = aws_sdk_sts::Client::new(&sdk)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        (
            id.account().unwrap().to_string(),
            id.arn().unwrap().to_string(),
        )
    };
    assert_eq!(who(a).await.0, "123456789012");
    let (account, arn) = who(b.clone()).await;
    assert_eq!(account, "222222222222");
    assert!(arn.contains(":assumed-role/apigw-dr-test/"), "{arn}");
    assert_eq!(
        tests::role_arn(Account::B),
        "arn:aws:iam::222222222222:role/apigw-dr-test"
    );

    // Resources are per account.
    let api_b = aws_sdk_apigateway::Client::new(&b);
    api_b.create_rest_api().name("in-b").send().await.unwrap();
    let api_a = aws_sdk_apigateway::Client::new(&env.sdk("us-east-1", Account::A).await);
    assert!(
        api_a
            .get_rest_apis()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    assert_eq!(api_b.get_rest_apis().send().await.unwrap().items().len(), 1);

    let cli = env.cli_env_as("us-east-1", Account::B).await;
    assert!(cli.iter().any(|(k, _)| k == "AWS_SESSION_TOKEN"));
    let cli = env.cli_env("us-east-1");
    assert!(cli.contains(&("AWS_ENDPOINT_URL".to_string(), env.endpoint().to_string())));
    assert!(cli.contains(&("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string())));
}

#[tokio::test]
async fn regions_are_isolated() {
    let env = acquire().await;
    let east = aws_sdk_apigateway::Client::new(&env.sdk("us-east-1", Account::A).await);
    let west = aws_sdk_apigateway::Client::new(&env.sdk("us-west-2", Account::A).await);
    east.create_rest_api()
        .name("east-only")
        .send()
        .await
        .unwrap();
    let names =
        |out: aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput| -> Vec<String> {
            out.items()
                .iter()
                .filter_map(|a| a.name().map(str::to_string))
                .collect()
        };
    assert_eq!(
        names(east.get_rest_apis().send().await.unwrap()),
        ["east-only"]
    );
    assert!(names(west.get_rest_apis().send().await.unwrap()).is_empty());
}

#[tokio::test]
async fn recorder_lists_the_calls_made() {
    let env = acquire().await;
    let api = aws_sdk_apigateway::Client::new(&env.sdk("eu-central-1", Account::A).await);
    let made = api.create_rest_api().name("rec").send().await.unwrap();
    env.start_recording().await;
    api.get_rest_apis().send().await.unwrap();
    api.get_resources()
        .rest_api_id(made.id().unwrap())
        .embed("methods")
        .send()
        .await
        .unwrap();
    env.stop_recording().await;
    api.get_rest_apis().send().await.unwrap(); // not recorded
    let got = env.recorded_requests().await;
    assert_eq!(
        got,
        [
            ("GET".to_string(), "/restapis".to_string()),
            (
                "GET".to_string(),
                format!("/restapis/{}/resources", made.id().unwrap())
            ),
        ]
    );
    let full = env.recorded().await;
    assert_eq!(full[1].query, "embed=methods");
    assert_eq!(full[1].service.as_deref(), Some("apigateway"));
    assert_eq!(full[1].region.as_deref(), Some("eu-central-1"));
}

#[tokio::test]
async fn sample_rest_api_builds_every_type() {
    let env = acquire().await;
    for account in [Account::A, Account::B] {
        let client = aws_sdk_apigateway::Client::new(&env.sdk("eu-west-1", account).await);
        let t = Instant::now();
        let api = fixtures::sample_rest_api(&client, "pets").await.unwrap();
        eprintln!("sample_rest_api ({account:?}): {:?}", t.elapsed());
        assert_eq!(api.account, account.id());
        let id = api.api_id.as_str();

        let res = client
            .get_resources()
            .rest_api_id(id)
            .embed("methods")
            .send()
            .await
            .unwrap();
        let mut paths: Vec<&str> = res.items().iter().filter_map(|r| r.path()).collect();
        paths.sort();
        assert_eq!(paths, ["/", "/orders", "/pets", "/pets/{id}", "/{proxy+}"]);
        let auth = client
            .get_authorizers()
            .rest_api_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(auth.items().len(), 3);
        let stages = client.get_stages().rest_api_id(id).send().await.unwrap();
        assert_eq!(stages.item().len(), 2);
        let prod = client
            .get_stage()
            .rest_api_id(id)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        assert!(prod.access_log_settings().is_some());
        assert!(prod.tracing_enabled());
        assert!(prod.method_settings().unwrap().contains_key("*/*"));
        assert_eq!(
            prod.variables().unwrap().get("stage").map(String::as_str),
            Some("prod")
        );
        let rest = client.get_rest_api().rest_api_id(id).send().await.unwrap();
        assert!(rest.policy().is_some());
        assert_eq!(
            rest.tags().unwrap().get("team").map(String::as_str),
            Some("pets")
        );
        let sqs = client
            .get_integration()
            .rest_api_id(id)
            .resource_id(&api.orders_id)
            .http_method("POST")
            .send()
            .await
            .unwrap();
        assert_eq!(
            sqs.credentials(),
            Some(format!("arn:aws:iam::{}:role/apigw-dr-sample-sqs", account.id()).as_str())
        );

        // change_one_method changes that method's responses only.
        let before = client
            .get_method()
            .rest_api_id(id)
            .resource_id(&api.method_resource_id)
            .http_method(&api.method_verb)
            .send()
            .await
            .unwrap();
        let added =
            fixtures::change_one_method(&client, id, &api.method_resource_id, &api.method_verb)
                .await
                .unwrap();
        let after = client
            .get_method()
            .rest_api_id(id)
            .resource_id(&api.method_resource_id)
            .http_method(&api.method_verb)
            .send()
            .await
            .unwrap();
        assert!(!before.method_responses().unwrap().contains_key(&added));
        assert!(after.method_responses().unwrap().contains_key(&added));
        assert_eq!(before.operation_name(), after.operation_name());
    }
}

#[tokio::test]
async fn big_rest_api_has_the_requested_shape() {
    let env = acquire().await;
    let client = aws_sdk_apigateway::Client::new(&env.sdk("us-east-1", Account::A).await);
    let t = Instant::now();
    let big = fixtures::big_rest_api(&client, "big", 45, 2).await.unwrap();
    eprintln!("big_rest_api 45x2: {:?}", t.elapsed());
    assert_eq!((big.resources, big.methods), (45, 90));
    let res = client
        .get_resources()
        .rest_api_id(&big.api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    assert_eq!(res.items().len(), 46);
    let methods: usize = res
        .items()
        .iter()
        .map(|r| r.resource_methods().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(methods, 90);
}

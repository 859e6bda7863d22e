//! The `apigw-dr` binary as a user runs it, against moto.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tests::{Account, Env, acquire, fixtures};

const REGION: &str = "us-east-1";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(vars: &[(String, String)], store: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_apigw-dr"));
    for k in [
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
        "APIGW_DR_CATALOG",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(vars.iter().cloned())
        .env("APIGW_DR_STORE", format!("file://{}", store.display()))
        .args(args);
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Exit 1 and exactly one line on stderr, which contains `needle`.
fn assert_one_line_error(r: &Run, needle: &str) {
    assert_one_line_exit(r, 1, needle);
}

/// Exit `code` and exactly one line on stderr, which contains `needle`.
fn assert_one_line_exit(r: &Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("apigw-dr: ") || l.starts_with("apigw-dr: error:"))
        .collect();
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("apigw-dr: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert_eq!(
        lines.len(),
        1,
        "nothing but progress and one error line: {}",
        r.stderr
    );
    assert!(errors[0].contains(needle), "'{needle}' in {}", errors[0]);
}

/// Alters one byte of the first object of `kind` of point `id` in a file store; returns its
/// hash and logical id.
fn tamper(store: &Path, id: &str, kind: &str) -> (String, String) {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(store.join(format!("objects/{}/{}", &id[..2], id))).unwrap(),
    )
    .unwrap();
    let entry = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap();
    let hash = entry["hash"].as_str().unwrap().to_string();
    let path = store.join(format!("objects/{}/{}", &hash[..2], hash));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    (hash, entry["id"].as_str().unwrap().to_string())
}

/// No restore job in the local catalog: `status latest` finds none.
fn assert_no_job(vars: &[(String, String)], store: &Path) {
    let st = run(vars, store, &["status", "latest"]);
    assert_one_line_error(&st, "has no restore job");
}

/// The arguments of a restore into account B / us-west-2 through `role`, mapped by file `map`.
fn into_b<'a>(role: &'a str, map: &'a str) -> [&'a str; 6] {
    [
        "--to-region",
        "us-west-2",
        "--to-role-arn",
        role,
        "--map",
        map,
    ]
}

/// `restore POINT --dry-run TO...`, which must succeed.
fn dry_run(vars: &[(String, String)], store: &Path, point: &str, to: &[&str]) -> Run {
    let r = run(
        vars,
        store,
        &[&["restore", point, "--dry-run"][..], to].concat(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("")
}

/// The sample API's mapping file for us-west-2 (written into the store folder), and the
/// arguments that restore into account B there with it.
fn into_account_b(store: &Path) -> (String, Vec<String>) {
    let map = store.join("map.toml");
    std::fs::write(
        &map,
        "[cognito_user_pools]\n\"us-east-1_PetsPool1\" = \"us-west-2_PetsPoolB\"\n",
    )
    .unwrap();
    let map = map.to_str().unwrap().to_string();
    let to = into_b(&tests::role_arn(Account::B), &map)
        .map(str::to_string)
        .to_vec();
    (map, to)
}

async fn orders(env: &Env) -> fixtures::SampleApi {
    let sdk = env.sdk(REGION, Account::A).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&sdk), "orders")
        .await
        .unwrap()
}

/// moto with the sample API `orders` in account A, an empty store folder, the CLI's
/// environment.
async fn orders_and_a_store() -> (Env, tempfile::TempDir, Vec<(String, String)>) {
    let env = acquire().await;
    orders(&env).await;
    let vars = env.cli_env(REGION);
    (env, tempfile::tempdir().unwrap(), vars)
}

#[tokio::test]
async fn snapshot_list_show_verify_prune() {
    let env = acquire().await;
    let api = orders(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let vars = env.cli_env(REGION);

    let first = run(
        &vars,
        store,
        &["snapshot", "--api", "orders", "--label", "first"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let id = last_line(&first.stdout).to_string();
    assert!(
        shared::canonical::is_hash(&id),
        "last line is the point id: {}",
        first.stdout
    );
    assert!(
        first.stderr.contains("orders:"),
        "progress on stderr: {}",
        first.stderr
    );

    let again = run(&vars, store, &["snapshot", "--api", api.api_id.as_str()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        last_line(&again.stdout),
        id,
        "an unchanged source gives the same point"
    );
    assert!(again.stderr.contains("no new objects"), "{}", again.stderr);

    let list = run(&vars, store, &["list"]);
    assert_eq!(list.code, 0);
    assert!(
        list.stdout.contains(&id[..12]) && list.stdout.contains("first"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("123456789012/us-east-1") && list.stdout.contains("Available"));
    let listed: Value =
        serde_json::from_str(&run(&vars, store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["labels"], serde_json::json!(["first"]));
    assert!(listed[0]["counts"]["Method"].as_u64().unwrap() >= 5);
    assert!(listed[0]["bytes"].as_u64().unwrap() > 1000);

    let show = run(&vars, store, &["show", "first"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout.contains("method:orders:/pets/{id}:GET"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("Stage (2)"), "{}", show.stdout);
    let whole: Value =
        serde_json::from_str(&run(&vars, store, &["show", &id[..10], "--json"]).stdout).unwrap();
    assert_eq!(whole["snapshot"]["rest_apis"][0]["api"]["name"], "orders");
    assert_eq!(whole["point"]["id"], id.as_str());

    let ok = run(&vars, store, &["verify", "latest"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    // One byte of one object altered: verify fails and names it.
    let (hash, logical) = tamper(store, &id, "Stage");
    let bad = run(&vars, store, &["verify", "first"]);
    assert_eq!(bad.code, 3, "{}\n{}", bad.stdout, bad.stderr);
    assert!(
        bad.stdout.contains(&hash) && bad.stdout.contains(&logical),
        "{}",
        bad.stdout
    );
    assert!(run(&vars, store, &["list"]).stdout.contains("Damaged"));
    let none = run(&vars, store, &["show", "latest"]);
    assert_one_line_error(&none, "no available recovery point");

    let dry = run(&vars, store, &["prune", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("would remove 0 points"),
        "{}",
        dry.stdout
    );
}

#[tokio::test]
async fn bad_input_is_one_clear_line_and_writes_nothing() {
    let (_env, dir, vars) = orders_and_a_store().await;
    let store = dir.path();

    let r = run(&vars, store, &["snapshot", "--label", "Not OK!"]);
    assert_one_line_error(&r, "bad label 'Not OK!'");
    assert!(
        !store.join("catalog").exists() && !store.join("objects").exists(),
        "nothing written"
    );

    let r = run(&vars, store, &["snapshot", "--api", "no-such-api"]);
    assert_one_line_error(&r, "no-such-api");
    assert!(
        !store.join("catalog/points").exists()
            || std::fs::read_dir(store.join("catalog/points"))
                .unwrap()
                .next()
                .is_none()
    );

    let r = run(&vars, store, &["snapshot", "--select", "type:lambda"]);
    assert_one_line_error(&r, "unknown type 'lambda'");
    let r = run(&vars, store, &["snapshot", "--select", "tag:team=nobody"]);
    assert_one_line_error(&r, "'tag:team=nobody' matches nothing");
    assert!(
        !store.join("catalog/points").exists()
            || std::fs::read_dir(store.join("catalog/points"))
                .unwrap()
                .next()
                .is_none()
    );

    let r = run(&vars, store, &["show", "nope"]);
    assert_one_line_error(&r, "no recovery point 'nope'");
    let r = run(&vars, store, &["verify", "0123456789"]);
    assert_one_line_error(&r, "no recovery point '0123456789'");

    let r = run(&vars, store, &["snapshot", "--role-arn", "admin"]);
    assert_one_line_error(&r, "not an IAM role ARN");

    let r = run(&vars, store, &["list", "--store", "ftp://x"]);
    assert_one_line_error(&r, "unknown store 'ftp://x'");
    let r = run(&vars, store, &["list", "--store", "s3://bucket"]);
    assert_one_line_error(&r, "--catalog dynamodb://TABLE");

    // Nothing listens here: the AWS endpoint cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut unreachable = vars.clone();
    unreachable.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    unreachable.push(("AWS_ENDPOINT_URL".into(), format!("http://{closed}")));
    let r = run(&unreachable, store, &["snapshot"]);
    assert_one_line_error(&r, "cannot reach AWS");
    let r = run(
        &unreachable,
        store,
        &[
            "list",
            "--store",
            "s3://b/p",
            "--catalog",
            "dynamodb://dr-catalog",
        ],
    );
    assert_one_line_error(&r, "cannot reach AWS");

    let r = run(&vars, store, &["frobnicate"]);
    assert_eq!(r.code, 2, "usage errors exit 2");
}

#[tokio::test]
async fn role_arn_region_and_aws_store() {
    let env = acquire().await;
    let b = env.sdk("us-west-2", Account::B).await;
    fixtures::sample_rest_api(&aws_sdk_apigateway::Client::new(&b), "in-b")
        .await
        .unwrap();
    let home = env.sdk(REGION, Account::A).await;
    env.create_bucket(&home, "points").await.unwrap();
    env.create_catalog_table(&home, "catalog").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vars = env.cli_env(REGION);
    vars.push(("APIGW_DR_CATALOG".into(), "dynamodb://catalog".into()));
    let role = tests::role_arn(Account::B);
    let aws = ["--store", "s3://points/dr"];

    let r = run(
        &vars,
        dir.path(),
        &[
            &["snapshot", "--region", "us-west-2", "--role-arn", &role][..],
            &aws[..],
        ]
        .concat(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = last_line(&r.stdout).to_string();
    let listed: Value = serde_json::from_str(
        &run(
            &vars,
            dir.path(),
            &[&["list", "--json"][..], &aws[..]].concat(),
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["source"]["account"], tests::ACCOUNT_B);
    assert_eq!(listed[0]["source"]["region"], "us-west-2");
    assert_eq!(listed[0]["apis"], serde_json::json!(["in-b"]));
    let v = run(
        &vars,
        dir.path(),
        &[&["verify", &id][..], &aws[..]].concat(),
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(
        !dir.path().join("objects").exists(),
        "nothing went to the local store"
    );
}

#[tokio::test]
async fn restore_plan_detach_status_and_diff() {
    let env = acquire().await;
    let api = orders(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let vars = env.cli_env(REGION);
    let id = last_line(&run(&vars, store, &["snapshot", "--label", "v1"]).stdout).to_string();
    let (map, to) = into_account_b(store);
    let (map, to) = (
        map.as_str(),
        to.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    // A bad selector stops the restore before anything happens.
    let r = run(
        &vars,
        store,
        &[&["restore", "v1", "--select", "tag:"][..], &to[..]].concat(),
    );
    assert_one_line_error(&r, "no tag key");

    // Dry run: the plan, and not one write call.
    env.start_recording().await;
    let plan = run(
        &vars,
        store,
        &[&["restore", "v1", "--dry-run", "--json"][..], &to[..]].concat(),
    );
    env.stop_recording().await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["apis"][0]["action"], "create");
    assert_eq!(plan["target"]["account"], tests::ACCOUNT_B);
    let writes = env
        .recorded()
        .await
        .into_iter()
        .filter(|r| r.path.starts_with("/restapis") && r.method != "GET")
        .count();
    assert_eq!(writes, 0);
    let text = run(
        &vars,
        store,
        &[&["restore", "v1", "--dry-run"][..], &to[..]].concat(),
    );
    assert!(
        text.stdout.contains("+ Method /pets/{id} GET") && text.stdout.contains("(lambda-uri)"),
        "{}",
        text.stdout
    );

    // A bad mapping file stops before anything happens.
    let bad = store.join("bad.toml");
    std::fs::write(&bad, "[no_such_table]\nx = 1\n").unwrap();
    let r = run(
        &vars,
        store,
        &[
            "restore",
            "v1",
            "--to-region",
            "us-west-2",
            "--map",
            bad.to_str().unwrap(),
        ],
    );
    assert_one_line_error(&r, "mapping file");
    assert!(!store.join("catalog/jobs").exists(), "no job was recorded");

    // Detached: the job id now, the outcome through status.
    let started = run(
        &vars,
        store,
        &[&["restore", "v1", "--detach"][..], &to[..]].concat(),
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    let job = last_line(&started.stdout).to_string();
    assert!(job.starts_with("job-"), "{}", started.stdout);
    let mut phase = String::new();
    for _ in 0..300 {
        let st = run(&vars, store, &["status", &job, "--json"]);
        let doc: Value = serde_json::from_str(&st.stdout).unwrap();
        phase = doc["phase"].as_str().unwrap().to_string();
        if ["Succeeded", "PartiallyFailed", "Failed"].contains(&phase.as_str()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(phase, "Succeeded");
    let st = run(&vars, store, &["status", &job]);
    assert_eq!(st.code, 0);
    // moto serves no documentation: the point lacks it, and the report says so.
    assert!(
        st.stdout
            .contains("verified, except what the point lacks: documentation parts of API"),
        "{}",
        st.stdout
    );

    // Restoring again into the same target changes nothing and says so.
    let again = run(
        &vars,
        store,
        &[&["restore", &id[..8], "--dry-run"][..], &to[..]].concat(),
    );
    assert!(
        again.stdout.contains("-> update") && again.stdout.contains("(nothing to change)"),
        "{}",
        again.stdout
    );

    // Into a target that has a foreign API of that name: refused, one line.
    let r = run(
        &vars,
        store,
        &["restore", "v1", "--to-region", "us-west-2", "--map", map],
    );
    assert_eq!(r.code, 0, "account A's us-west-2 is empty: {}", r.stderr);
    let sdk = env.sdk("eu-west-1", Account::A).await;
    aws_sdk_apigateway::Client::new(&sdk)
        .create_rest_api()
        .name("orders")
        .send()
        .await
        .unwrap();
    let r = run(
        &vars,
        store,
        &["restore", "v1", "--to-region", "eu-west-1", "--map", map],
    );
    assert_one_line_error(&r, "--replace");

    // diff: a change to the source shows, method by method.
    let sdk = env.sdk(REGION, Account::A).await;
    fixtures::change_one_method(
        &aws_sdk_apigateway::Client::new(&sdk),
        &api.api_id,
        &api.method_resource_id,
        &api.method_verb,
    )
    .await
    .unwrap();
    let d = run(&vars, store, &["diff", "v1"]);
    assert_eq!(d.code, 0, "{}", d.stderr);
    assert!(
        d.stdout.contains(&format!(
            "~ Method /pets/{{id}} {}: methodResponses",
            api.method_verb
        )),
        "{}",
        d.stdout
    );
}

#[tokio::test]
async fn a_restore_killed_mid_apply_finishes_when_run_again() {
    let env = acquire().await;
    let source = env.sdk(REGION, Account::A).await;
    fixtures::big_rest_api(&aws_sdk_apigateway::Client::new(&source), "big", 60, 2)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let vars = env.cli_env(REGION);
    assert_eq!(run(&vars, store, &["snapshot", "--label", "big"]).code, 0);
    let role = tests::role_arn(Account::B);
    let args = [
        "--store",
        &format!("file://{}", store.display()),
        "restore",
        "big",
        "--to-region",
        "us-west-2",
        "--to-role-arn",
        role.as_str(),
    ];

    // Paced to the quotas, this restore takes about half a minute: kill it part-way.
    let mut child = Command::new(env!("CARGO_BIN_EXE_apigw-dr"))
        .envs(vars.iter().cloned())
        .env_remove("APIGW_DR_CATALOG")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let target = env.sdk("us-west-2", Account::B).await;
    let client = aws_sdk_apigateway::Client::new(&target);
    let resources = |id: String| {
        let client = client.clone();
        async move {
            let out = client
                .get_resources()
                .rest_api_id(id)
                .limit(500)
                .send()
                .await
                .unwrap();
            out.items()
                .iter()
                .map(|r| r.path().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    // Against moto the import is tried first and refused (a MOCK integration without a uri
    // answers 500, retried once) before the restore goes call by call: wait up to 30 s for it
    // to get under way.
    let mut api_id = None;
    for _ in 0..600 {
        let apis = client.get_rest_apis().send().await.unwrap();
        if let Some(id) = apis.items().first().and_then(|a| a.id.clone())
            && resources(id.clone()).await.len() > 20
        {
            api_id = Some(id);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let api_id = api_id.expect("the restore got under way");
    let halfway = resources(api_id.clone()).await.len();
    assert!(halfway < 61, "killed before the end: {halfway} resources");

    let again = run(
        &vars,
        store,
        &args[2..].iter().map(|s| &**s).collect::<Vec<_>>(),
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("verified, except what the point lacks: documentation parts of API"),
        "{}",
        again.stdout
    );
    let apis = client.get_rest_apis().send().await.unwrap();
    assert_eq!(apis.items().len(), 1, "the same API was finished");
    let mut paths = resources(api_id).await;
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!((n, paths.len()), (61, 61), "every resource once");
}

#[tokio::test]
async fn a_point_says_what_it_lacks_and_an_unreadable_reply_costs_only_its_kind() {
    let env = acquire().await;
    let api = orders(&env).await;
    let sdk = env.sdk(REGION, Account::A).await;
    let ws = fixtures::websocket_api(
        &aws_sdk_apigatewayv2::Client::new(&sdk),
        "chat",
        tests::ACCOUNT_A,
    )
    .await
    .unwrap();
    // A key enabled on a stage: moto answers its stage keys as objects, which the SDK cannot
    // read (AWS answers `apiId/stage` strings); the key is made all the same.
    let made = aws_sdk_apigateway::Client::new(&sdk)
        .create_api_key()
        .name("partner")
        .enabled(true)
        .stage_keys(
            aws_sdk_apigateway::types::StageKey::builder()
                .rest_api_id(&api.api_id)
                .stage_name("prod")
                .build(),
        )
        .send()
        .await;
    if let Err(e) = made {
        assert!(shared::awsconf::unreadable(&e).is_some(), "{e:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let vars = env.cli_env(REGION);

    let snap = run(&vars, store, &["snapshot", "--label", "gappy"]);
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    assert!(
        snap.stderr
            .contains("not captured: API keys of the account's estate (could not read the reply of GetApiKeys: "),
        "{}",
        snap.stderr
    );
    let id = last_line(&snap.stdout).to_string();

    // The record keeps each gap: kind, API (or the estate) and why.
    let whole: Value =
        serde_json::from_str(&run(&vars, store, &["show", "gappy", "--json"]).stdout).unwrap();
    let gaps = whole["point"]["gaps"].as_array().unwrap();
    let has = |kind: &str, scope: &str, why: &str| {
        gaps.iter().any(|g| {
            g["kind"] == kind
                && g["scope"] == scope
                && g["reason"].as_str().unwrap().starts_with(why)
        })
    };
    assert!(
        has(
            "ApiKey",
            "estate",
            "could not read the reply of GetApiKeys: "
        ),
        "{gaps:?}"
    );
    for (kind, why) in [
        (
            "RouteResponse",
            "not served by the source: GetRouteResponses answered 500",
        ),
        (
            "ModelV2",
            "not served by the source: GetModels answered 500",
        ),
        (
            "DeploymentV2",
            "not served by the source: GetDeployments answered 404",
        ),
    ] {
        assert!(has(kind, &ws.api_id, why), "{kind}: {gaps:?}");
    }
    assert!(
        !gaps.iter().any(|g| g.to_string().contains(&api.api_id)
            && g["kind"] != "DocumentationPart"
            && g["kind"] != "DocumentationVersion"
            // moto's GetExport answers Swagger 2: what the stages serve is not read.
            && g["kind"] != "ServedDefinition"),
        "the REST API lacks only what moto does not serve: {gaps:?}"
    );
    // The APIs are in the point; the key is not.
    assert_eq!(whole["snapshot"]["rest_apis"][0]["api"]["name"], "orders");
    assert_eq!(whole["snapshot"]["apis_v2"][0]["api"]["name"], "chat");
    assert!(
        whole["snapshot"]["estate"]["apiKeys"]
            .as_array()
            .is_none_or(|k| k.is_empty())
    );

    let list = run(&vars, store, &["list"]);
    assert!(
        list.stdout.contains("LACKS") && list.stdout.contains("`apigw-dr show ID`"),
        "{}",
        list.stdout
    );
    let show = run(&vars, store, &["show", &id[..12]]);
    assert!(
        show.stdout.contains(&format!(
            "route responses of API {} (not served by the source: GetRouteResponses answered 500)",
            ws.api_id
        )),
        "{}",
        show.stdout
    );

    // The plan and the report name what the point lacks next to "verified".
    let role = tests::role_arn(Account::B);
    let to = ["--to-region", "us-west-2", "--to-role-arn", role.as_str()];
    let plan = dry_run(&vars, store, "gappy", &to);
    assert!(
        plan.stdout
            .contains("the point lacks (not captured, so not restored):")
            && plan.stdout.contains("API keys of the account's estate"),
        "{}",
        plan.stdout
    );
    let done = run(&vars, store, &[&["restore", "gappy"][..], &to[..]].concat());
    let said = |line: &str| {
        done.stdout
            .lines()
            .any(|l| l.trim_start().starts_with(line))
    };
    assert!(
        said(&format!(
            "verified, except what the point lacks: authorizers of API {id} (not served by the source: GetAuthorizers answered 500; only those the routes name were read, one by one); deployments of API {id}",
            id = ws.api_id
        )) && done
            .stdout
            .contains(&format!("route responses of API {}", ws.api_id)),
        "{}",
        done.stdout
    );
    assert!(
        said(
            "the point lacks (not captured, so not restored): API keys of the account's estate (could not read the reply of GetApiKeys: "
        ),
        "{}",
        done.stdout
    );
    let job: Value = serde_json::from_str(
        &run(
            &vars,
            store,
            &[&["restore", "gappy", "--json"][..], &to[..]].concat(),
        )
        .stdout,
    )
    .unwrap();
    let lacks = job["report"]["lacks"].as_array().unwrap();
    assert_eq!(lacks.len(), gaps.len(), "{lacks:?}");
}

#[tokio::test]
async fn restore_refuses_bad_input_at_once_and_writes_no_job() {
    let (_env, dir, vars) = orders_and_a_store().await;
    let store = dir.path();
    assert_eq!(run(&vars, store, &["snapshot", "--label", "v1"]).code, 0);
    let bad_toml = store.join("bad.toml");
    std::fs::write(
        &bad_toml,
        "[cognito_user_pools]\n\"a\" = \"b\"\n[no_such_table]\nx = \"1\"\n",
    )
    .unwrap();
    let broken = store.join("broken.toml");
    std::fs::write(&broken, "[certificates\n").unwrap();
    let bad_key = store.join("bad-key.json");
    std::fs::write(&bad_key, r#"{"vpcs": {"subnet-1": "vpc-2"}}"#).unwrap();
    let missing = store.join("missing.toml");
    let (bad_toml, broken, bad_key, missing) = (
        bad_toml.to_str().unwrap(),
        broken.to_str().unwrap(),
        bad_key.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["--to-region", "mars-east-1"],
            "unknown AWS Region 'mars-east-1'",
        ),
        (
            &["--to-region", "Not_A_Region"],
            "'Not_A_Region' is not an AWS Region code",
        ),
        (
            &["--to-region", "mars-east-1", "--detach"],
            "unknown AWS Region 'mars-east-1'",
        ),
        (
            &["--to-role-arn", "arn:aws:iam::12345:role/dr"],
            "is not an IAM role ARN",
        ),
        (
            &["--to-role-arn", "admin"],
            "'admin' is not an IAM role ARN",
        ),
        (&["--select", "nosuch*"], "'nosuch*' matches nothing"),
        (&["--exclude", "*"], "the selection takes nothing"),
        (&["--api", "nosuch"], "holds no API named"),
        (
            &["--map", bad_toml],
            "(TOML, line 3): unknown field `no_such_table`",
        ),
        (&["--map", broken], "(TOML, line 1)"),
        (&["--map", bad_key], "[vpcs] key \"subnet-1\""),
        (&["--map", missing], "cannot read the mapping file"),
    ];
    for (args, says) in cases {
        let started = std::time::Instant::now();
        let r = run(&vars, store, &[&["restore", "v1"][..], args].concat());
        assert_one_line_error(&r, says);
        assert!(
            !r.stderr.contains("credentials"),
            "{args:?}: not a credentials problem: {}",
            r.stderr
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{args:?}: said at once, not after retries ({:?})",
            started.elapsed()
        );
        assert_no_job(&vars, store);
    }
    // The mapping file's own name is in its errors.
    let r = run(&vars, store, &["restore", "v1", "--map", bad_toml]);
    assert!(
        r.stderr.contains(&format!("mapping file {bad_toml} (TOML")),
        "{}",
        r.stderr
    );
    assert!(!store.join("catalog/jobs").exists());

    // A snapshot's Region too.
    for (region, says) in [
        ("mars-east-1", "unknown AWS Region 'mars-east-1'"),
        ("Not_A_Region", "is not an AWS Region code"),
    ] {
        let started = std::time::Instant::now();
        let r = run(&vars, store, &["snapshot", "--region", region]);
        assert_one_line_error(&r, says);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
    let listed: Value =
        serde_json::from_str(&run(&vars, store, &["list", "--json"]).stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "no new point");
}

#[tokio::test]
async fn restore_of_a_damaged_point_exits_3_marks_it_and_writes_nothing() {
    let (env, dir, vars) = orders_and_a_store().await;
    let store = dir.path();
    let id = last_line(&run(&vars, store, &["snapshot", "--label", "v1"]).stdout).to_string();
    let (hash, _) = tamper(store, &id, "Method");
    let status = || {
        let listed: Value =
            serde_json::from_str(&run(&vars, store, &["list", "--json"]).stdout).unwrap();
        listed[0]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status(), "Available", "nobody has looked yet");

    env.start_recording().await;
    let r = run(&vars, store, &["restore", "v1", "--to-region", "us-west-2"]);
    env.stop_recording().await;
    assert_one_line_exit(&r, 3, &format!("point {} is damaged", &id[..12]));
    assert!(
        r.stderr.contains(&hash) && r.stderr.contains("marked Damaged"),
        "names the bad object, says what happened: {}",
        r.stderr
    );
    assert_eq!(status(), "Damaged");
    let writes: Vec<_> = env
        .recorded()
        .await
        .into_iter()
        .filter(|q| {
            q.method != "GET" && (q.path.starts_with("/restapis") || q.path.starts_with("/v2/"))
        })
        .collect();
    assert!(
        writes.is_empty(),
        "nothing written to the target: {writes:?}"
    );
    let target = env.sdk("us-west-2", Account::A).await;
    let apis = aws_sdk_apigateway::Client::new(&target)
        .get_rest_apis()
        .send()
        .await
        .unwrap();
    assert!(apis.items().is_empty());
    assert_no_job(&vars, store);

    // Known damaged now: refused at once, the same way.
    let again = run(&vars, store, &["restore", "v1", "--to-region", "us-west-2"]);
    assert_one_line_exit(&again, 3, "is Damaged");
}

#[tokio::test]
async fn standby_status_standby_and_failback_from_the_command_line() {
    let env = acquire().await;
    let api = orders(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let vars = env.cli_env(REGION);
    let store = dir.path();
    let id = last_line(&run(&vars, store, &["snapshot"]).stdout).to_string();
    let (_, to) = into_account_b(store);
    let to: Vec<&str> = to.iter().map(String::as_str).collect();

    // No standby yet, and nothing to fail back from.
    let st = run(&vars, store, &["status", "--standby"]);
    assert_eq!(st.code, 0, "{}", st.stderr);
    assert!(st.stdout.contains("no standby"), "{}", st.stdout);
    let r = run(&vars, store, &["failback", "--to-region", REGION]);
    assert_one_line_error(&r, "no failover job");

    // The first standby creates the API; status --standby shows what it holds.
    let r = run(&vars, store, &[&["standby", &id][..], &to[..]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = run(&vars, store, &["status", "--standby", "--json"]);
    let states: Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(states[0]["point"], id.as_str(), "{states:#}");
    assert_eq!(states[0]["target"]["account"], tests::ACCOUNT_B);
    assert_eq!(states[0]["behindPoints"], 0);
    let st = run(&vars, store, &["status", "--standby"]);
    assert!(
        st.stdout.contains(&id[..12]) && st.stdout.contains("us-west-2"),
        "{}",
        st.stdout
    );
    let job = run(&vars, store, &["status", "latest", "--json"]);
    let job: Value = serde_json::from_str(&job.stdout).unwrap();
    assert_eq!(job["request"]["standby"], true);

    // A failover into it updates in place and its plan names the standby.
    let plan = run(
        &vars,
        store,
        &[&["restore", &id, "--dry-run"][..], &to[..]].concat(),
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("-> update") && plan.stdout.contains("holds the standby"),
        "{}",
        plan.stdout
    );

    // Fail over for real, take a point of the recovery side, and fail back: in place into
    // the source API, by default from that point.
    let r = run(&vars, store, &[&["restore", &id][..], &to[..]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let role = tests::role_arn(Account::B);
    let side = run(
        &vars,
        store,
        &["snapshot", "--region", "us-west-2", "--role-arn", &role],
    );
    assert_eq!(side.code, 0, "{}", side.stderr);
    let map = &to[5];
    let back = ["failback", "--to-region", REGION, "--map", map];
    let plan = run(
        &vars,
        store,
        &[&back[..], &["--dry-run", "--json"]].concat(),
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(plan["point"], last_line(&side.stdout), "{plan:#}");
    assert_eq!(plan["apis"][0]["action"], "update", "{plan:#}");
    assert_eq!(plan["apis"][0]["targetId"], api.api_id.as_str(), "{plan:#}");
    let text = run(&vars, store, &[&back[..], &["--dry-run"]].concat());
    assert!(
        text.stdout.starts_with("failback (dry run): point ")
            && text
                .stdout
                .contains("(222222222222/us-west-2) restored in place into 123456789012/us-east-1"),
        "{}",
        text.stdout
    );
    let r = run(&vars, store, &back);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let job = run(&vars, store, &["status", "latest", "--json"]);
    let job: Value = serde_json::from_str(&job.stdout).unwrap();
    assert_eq!(job["request"]["failback"], true);
    assert_eq!(job["phase"], "Succeeded", "{job:#}");

    // A mapping that cannot be inverted stops a failback at once: one line, no job.
    let jobs_before = run(&vars, store, &["status", "latest", "--json"]).stdout;
    let bad = store.join("bad.toml");
    std::fs::write(
        &bad,
        "[subnets]\n\"subnet-0a\" = \"subnet-0b\"\n\"subnet-1a\" = \"subnet-0b\"\n",
    )
    .unwrap();
    env.start_recording().await;
    let r = run(
        &vars,
        store,
        &[
            "failback",
            &id,
            "--to-region",
            REGION,
            "--map",
            bad.to_str().unwrap(),
        ],
    );
    env.stop_recording().await;
    assert_one_line_error(&r, "cannot be inverted");
    assert!(r.stderr.contains("bad.toml"), "{}", r.stderr);
    assert!(env.recorded().await.is_empty(), "nothing read or written");
    assert_eq!(
        run(&vars, store, &["status", "latest", "--json"]).stdout,
        jobs_before
    );
}

/// The estate behind `api.example.com` fails over into account B / us-west-2, whose public zone
/// `example.com` points the domain at the source Region: the dry run shows the DNS change, old
/// -> new; the restore switches it and prints the recovery time, and so does `status`.
#[tokio::test]
async fn a_failover_shows_switches_dns_and_prints_the_recovery_time() {
    let env = acquire().await;
    let a = env.sdk(REGION, Account::A).await;
    let e = fixtures::estate(
        &aws_sdk_apigateway::Client::new(&a),
        &aws_sdk_apigatewayv2::Client::new(&a),
        tests::ACCOUNT_A,
    )
    .await
    .unwrap();
    let pacer = shared::pacing::Pacer::default();
    let source = shared::dns::route53::domain_endpoint(&a, &pacer, &e.domain)
        .await
        .unwrap()
        .unwrap();
    let b = env.sdk("us-west-2", Account::B).await;
    let zone = fixtures::public_zone_with_alias(
        &b,
        "example.com",
        &e.domain,
        (&source.domain_name, &source.hosted_zone_id),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let vars = env.cli_env(REGION);
    let snap = run(&vars, store, &["snapshot", "--label", "v1"]);
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let role = tests::role_arn(Account::B);
    let map = tests::workspace_root().join("docs/examples/demo-mapping.toml");
    let to = into_b(&role, map.to_str().unwrap());
    let old = format!(
        "alias {} (zone {})",
        source.domain_name, source.hosted_zone_id
    );

    let plan = dry_run(&vars, store, "v1", &to);
    assert!(
        plan.stdout.contains(&format!("  domain api.example.com (zone example.com {zone})"))
            && plan.stdout.contains(&format!(
                "    switch api.example.com A: {old} -> new: the target's endpoint, known once created\n"
            )),
        "{}",
        plan.stdout
    );

    let done = run(&vars, store, &[&["restore", "v1"][..], &to[..]].concat());
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let target = shared::dns::route53::domain_endpoint(&b, &pacer, &e.domain)
        .await
        .unwrap()
        .unwrap();
    let switched = format!(
        "    switched api.example.com A: {old} -> alias {} (zone {}) [change ",
        target.domain_name, target.hosted_zone_id
    );
    let rto = "\nrecovery time (RTO, alarm to traffic): ";
    assert!(
        done.stdout.contains(&switched) && done.stdout.contains(", in sync]\n"),
        "{}",
        done.stdout
    );
    let rto_line = |out: &str| {
        out.split(rto)
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .map(str::to_string)
    };
    let line = rto_line(&done.stdout).expect("the restore prints the recovery time");
    assert!(
        line.contains(" s = alarm to restore start ")
            && line.contains(" s + restore and verify ")
            && line.contains(" s + DNS switch until in sync "),
        "{line}"
    );

    let status = run(&vars, store, &["status", "latest"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("phase     Succeeded\n"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains(&switched), "{}", status.stdout);
    assert_eq!(rto_line(&status.stdout).as_deref(), Some(line.as_str()));
    let json: Value =
        serde_json::from_str(&run(&vars, store, &["status", "latest", "--json"]).stdout).unwrap();
    assert_eq!(
        json["dns"]["applied"][0]["old"]["dnsName"],
        source.domain_name.as_str()
    );
    assert_eq!(json["dns"]["applied"][0]["inSync"], true);
}

#[tokio::test]
async fn check_says_what_blocks_a_failover_and_exits_5_and_list_shows_each_sources_newest_age() {
    let (_env, dir, vars) = orders_and_a_store().await;
    let store = dir.path();
    let snap = run(&vars, store, &["snapshot"]);
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let id = last_line(&snap.stdout).to_string();

    let list = run(&vars, store, &["list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let ages = list
        .stdout
        .split("NEWEST GOOD POINT PER SOURCE\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", list.stdout));
    assert!(
        ages.starts_with("123456789012/us-east-1")
            && ages.contains(&id[..12])
            && ages.trim_end().ends_with("s old"),
        "{ages}"
    );

    // The point's APIs call functions account B / us-west-2 lacks; its Cognito pool is not
    // mapped. POINT defaults to the newest point.
    let role = tests::role_arn(Account::B);
    let to = ["--to-region", "us-west-2", "--to-role-arn", role.as_str()];
    let r = run(&vars, store, &[&["check"][..], &to].concat());
    assert_eq!(r.code, 5, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with(&format!(
            "point {} -> 222222222222/us-west-2: NOT READY (",
            &id[..12]
        )),
        "{}",
        r.stdout
    );
    let blocks = r.stdout.split("blocks:\n").nth(1).unwrap_or_default();
    assert!(
        blocks.contains("reference not mapped: REST API orders: ")
            && blocks.contains("us-east-1_PetsPool1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("degrades:\n")
            && r.stdout.contains(
                "Lambda function arn:aws:lambda:us-west-2:222222222222:function:pets (called by REST API orders) is missing in 222222222222/us-west-2: deploy it"
            ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  - permissions not checked: "),
        "{}",
        r.stdout
    );
    // What is not mapped is not looked for elsewhere.
    assert!(
        !r.stdout.contains("Cognito user pool us-east-1_PetsPool1 ("),
        "{}",
        r.stdout
    );

    let j = run(
        &vars,
        store,
        &[&["check", &id[..12], "--json"][..], &to].concat(),
    );
    assert_eq!(j.code, 5, "{}", j.stderr);
    let doc: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(doc["ready"], false);
    assert_eq!(doc["point"], id.as_str());
    let problems = doc["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["severity"] == "blocks"));
    assert!(problems.iter().any(|p| {
        p["severity"] == "degrades"
            && p["what"]
                .as_str()
                .unwrap()
                .contains("function:token-authorizer")
    }));
    assert!(
        problems
            .iter()
            .all(|p| p["fix"].as_str().is_some_and(|f| !f.is_empty()))
    );
    assert_eq!(doc["quotas"][0]["limit"], 600);

    // Bad input is refused like a restore's, before any read of the target.
    let bad = run(&vars, store, &["check", "--to-region", "mars-1"]);
    assert_one_line_error(&bad, "mars-1");
}

#[tokio::test]
async fn a_drill_passes_or_exits_6_keeps_and_tears_down_and_list_drills_shows_it() {
    let (_env, dir, vars) = orders_and_a_store().await;
    let store = dir.path();
    let id = last_line(&run(&vars, store, &["snapshot"]).stdout).to_string();
    let (_, to) = into_account_b(store);
    let to: Vec<&str> = to.iter().map(String::as_str).collect();

    // Refused at once, one line, no job: no target Region, a bad objective.
    let r = run(&vars, store, &["drill", &id]);
    assert_one_line_error(&r, "needs --to-region");
    let r = run(
        &vars,
        store,
        &[&["drill", &id, "--rto-objective", "soon"][..], &to[..]].concat(),
    );
    assert_one_line_error(&r, "not a positive number of seconds");
    assert_no_job(&vars, store);

    // A drill that passes: created, verified, torn down; exit 0.
    let r = run(&vars, store, &[&["drill", &id][..], &to[..]].concat());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PASSED"), "{}", r.stdout);
    assert!(r.stdout.contains("deleted RestApi drill-"), "{}", r.stdout);
    assert!(r.stdout.contains("torn down"), "{}", r.stdout);
    let passed: Value =
        serde_json::from_str(&run(&vars, store, &["status", "latest", "--json"]).stdout).unwrap();
    let passed_id = passed["id"].as_str().unwrap().to_string();
    assert_eq!(passed["request"]["drill"], true);
    assert_eq!(passed["drill"]["verified"], true);

    // Over its objective: verified, but failed, exit 6, and still torn down.
    let r = run(
        &vars,
        store,
        &[&["drill", &id, "--rto-objective", "0.000001"][..], &to[..]].concat(),
    );
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("FAILED") && r.stdout.contains("exceeds the objective"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("torn down"), "{}", r.stdout);

    // Kept, then torn down in a second step.
    let r = run(
        &vars,
        store,
        &[&["drill", &id, "--keep", "--json"][..], &to[..]].concat(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let kept: Value = serde_json::from_str(&r.stdout).unwrap();
    let kept_id = kept["id"].as_str().unwrap().to_string();
    assert!(kept["drill"].get("tornDown").is_none(), "{kept:#}");
    let st = run(&vars, store, &["status", &kept_id]);
    assert!(
        st.stdout
            .contains("kept: remove it with `apigw-dr drill --teardown"),
        "{}",
        st.stdout
    );
    let r = run(&vars, store, &["drill", "--teardown", &kept_id]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("deleted RestApi drill-"), "{}", r.stdout);

    // Past drills: newest first, with recovery time, verified, torn down.
    let l = run(&vars, store, &["list", "--drills"]);
    assert_eq!(l.code, 0, "{}", l.stderr);
    let rows: Vec<&str> = l.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{}", l.stdout);
    assert!(
        rows[0].starts_with(&kept_id) && rows[0].contains("passed"),
        "{}",
        l.stdout
    );
    assert!(
        rows[1].contains("FAILED") && rows[1].contains("yes"),
        "{}",
        l.stdout
    );
    assert!(rows[2].starts_with(&passed_id), "{}", l.stdout);
    assert!(
        !rows.iter().any(|r| r.ends_with("  no")),
        "all torn down: {}",
        l.stdout
    );

    // A restore job is not a drill.
    let r = run(
        &vars,
        store,
        &[&["restore", &id, "--no-dns"][..], &to[..]].concat(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&vars, store, &["drill", "--teardown", "latest"]);
    assert_one_line_error(&r, "not a drill");
}

"""Helper for scripts/lambda-local: sets up the recovery Region's resources in the local AWS
(moto) as the SAM template would, makes AWS-shaped events, and reads queues. Runs with the
local AWS's own virtualenv (boto3 comes with moto). Every command prints JSON or a number."""

import json
import os
import re
import sys
import time
import urllib.request
import uuid
from base64 import b64decode
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import boto3

HOME = os.environ.get("AWS_REGION", "us-west-2")
ACCOUNT = "123456789012"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def client(name, region=HOME):
    return boto3.client(name, region_name=region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def setup():
    """Bucket, catalog table, event bus, queues standing in for the rules' targets, and the
    KMS key that seals API key values."""
    client("s3").create_bucket(
        Bucket="dr-points", CreateBucketConfiguration={"LocationConstraint": HOME}
    )
    client("dynamodb").create_table(
        TableName="dr-catalog",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs, events = client("sqs"), client("events")
    urls = {q: sqs.create_queue(QueueName=q)["QueueUrl"] for q in ("debounce", "snapshot-requests", "continues")}
    events.create_event_bus(Name="apigw-dr")
    for rule, detail_type, queue in (
        ("snapshot-requested", "Snapshot Requested", "snapshot-requests"),
        ("restore-continues", "Restore Continues", "continues"),
    ):
        events.put_rule(
            Name=rule,
            EventBusName="apigw-dr",
            EventPattern=json.dumps({"source": ["apigw-dr"], "detail-type": [detail_type]}),
        )
        events.put_targets(
            Rule=rule,
            EventBusName="apigw-dr",
            Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{HOME}:{ACCOUNT}:{queue}"}],
        )
    urls["kms"] = client("kms").create_key(Description="apigw-dr API key values")["KeyMetadata"]["KeyId"]
    print(json.dumps(urls))


def drain(url):
    """Every message visible now (deleted), as a list of bodies."""
    sqs, out = client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def first_event(url, out_file):
    """Writes each pending event of a rule's queue to a file (OUT_FILE, then OUT_FILE.1,
    OUT_FILE.2, ...); prints how many there were."""
    msgs = drain(url)
    for i, m in enumerate(msgs):
        with open(out_file if i == 0 else f"{out_file}.{i}", "w") as f:
            f.write(m["Body"])
    print(len(msgs))


def sqs_event(url, name, out_file):
    """The due debounce messages as the SQS event Lambda's event source mapping delivers."""
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": str(int(time.time() * 1000)),
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
            },
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{HOME}:{ACCOUNT}:{name}",
            "awsRegion": HOME,
        }
        for m in drain(url)
    ]
    with open(out_file, "w") as f:
        json.dump({"Records": records}, f)
    print(len(records))


def change(api_id, n):
    """A real change in the source: the prod stage's variable `release` becomes n."""
    client("apigateway", "us-east-1").update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/release", "value": str(n)}],
    )


def cloudtrail(api_id, out_file):
    """The CloudTrail event of that change, as EventBridge delivers it, timed now."""
    with open(os.path.join(ROOT, "tests/fixtures/events/cloudtrail-put-method.json")) as f:
        ev = json.loads(f.read().replace("REST_API_ID", api_id))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ev["id"] = str(uuid.uuid4())
    ev["time"] = now
    ev["detail"]["eventTime"] = now
    ev["detail"]["eventName"] = "UpdateStage"
    with open(out_file, "w") as f:
        json.dump(ev, f)


def alarm(out_file):
    """The failover alarm going to ALARM, as EventBridge delivers it, timed now (the recovery
    time runs from this event's time)."""
    with open(os.path.join(ROOT, "tests/fixtures/events/alarm-state-change.json")) as f:
        ev = json.load(f)
    ev["id"] = str(uuid.uuid4())
    ev["time"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(out_file, "w") as f:
        json.dump(ev, f)


def moto_api(method, path):
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + path, method=method)
    with urllib.request.urlopen(req) as r:
        return r.read().decode()


def record_start():
    """A recording window: moto's recorder cleared and started (what one function calls)."""
    moto_api("POST", "/moto-api/recorder/reset-recording")
    moto_api("POST", "/moto-api/recorder/start-recording")


def record_stop(function, scenario, out_file):
    """Ends the window and appends one line per AWS request moto received in it, attributed
    to FUNCTION in SCENARIO: method, path, query keys, signing service, Region and access key
    id, and the operation where the protocol names it. Bodies stay in memory and are read only
    for what names the operation (the query protocol's Action, AssumeRole's RoleArn, a Route 53
    change's actions and record types): API key values travel in them. Prints the count."""
    moto_api("POST", "/moto-api/recorder/stop-recording")
    lines = moto_api("GET", "/moto-api/recorder/download-recording").splitlines()
    n = 0
    with open(out_file, "a") as out:
        for line in filter(str.strip, lines):
            call = summarize(json.loads(line))
            if call:
                out.write(json.dumps({"function": function, "scenario": scenario, **call}) + "\n")
                n += 1
    print(n)


def summarize(rec):
    url = urlsplit(rec["url"])
    if url.path.startswith("/moto-api"):
        return None
    headers = {k.lower(): str(v) for k, v in (rec.get("headers") or {}).items()}
    body = rec.get("body") or ""
    if rec.get("body_encoded"):
        body = b64decode(body).decode("utf-8", "replace")
    scope = re.search(r"Credential=([^/,\s]+)/\d+/([^/]+)/([^/]+)/", headers.get("authorization", ""))
    call = {
        "method": rec["method"],
        "host": url.netloc,
        "path": url.path,
        "query": sorted(parse_qs(url.query, keep_blank_values=True)),
        "key": scope and scope.group(1),
        "region": scope and scope.group(2),
        "service": scope and scope.group(3),
        "op": headers.get("x-amz-target"),
    }
    if not call["op"] and "x-www-form-urlencoded" in headers.get("content-type", ""):
        form = parse_qs(body)
        call["op"] = form.get("Action", [None])[0]
        if call["op"] == "AssumeRole":
            call["role"] = form.get("RoleArn", [None])[0]
    if not call["op"]:
        call["op"] = parse_qs(url.query).get("Action", [None])[0]
    if call["op"] and "json" in headers.get("content-type", ""):
        # The resource a JSON-protocol call acts on (table, queue, bus, key): names, no values.
        doc = json.loads(body or "{}")
        names = {k: doc[k] for k in ("TableName", "QueueUrl", "KeyId") if isinstance(doc.get(k), str)}
        buses = {e.get("EventBusName", "default") for e in doc.get("Entries", []) if isinstance(e, dict)}
        if call["op"].endswith(".PutEvents"):
            names["EventBusName"] = sorted(buses)
        call["names"] = names
    if call["service"] == "route53" and "<ChangeBatch" in body:
        call["r53"] = {
            "actions": sorted(set(re.findall(r"<Action>([A-Z]+)</Action>", body))),
            "types": sorted(set(re.findall(r"<Type>([A-Z]+)</Type>", body))),
        }
    return call


COMMANDS = {
    "setup": setup,
    "record-start": record_start,
    "record-stop": record_stop,
    "first-event": first_event,
    "sqs-event": sqs_event,
    "change": change,
    "cloudtrail": cloudtrail,
    "alarm": alarm,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

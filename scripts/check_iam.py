"""IAM that is known to suffice: checks the roles of infra/template.yaml (one per function) and
infra/source.yaml (the reader and restore roles) against the AWS calls the three real function
binaries made in the local run (scripts/lambda-local records them with moto's request recorder,
one recording window per invocation, so each call belongs to one function and scenario).

Usage: check_iam.py CALLS.jsonl [--kms-key KEY_ID]    (lines written by local_aws.py record-stop)

For each function it prints the operations seen and the verdict, and exits 1 when
  - the function's role does not allow a call it made (a call made with credentials of the
    role it assumed in the target account is held to the same role as deployed in the target
    account: what docs/deploy.md asks of the RecoveryTargetRoleArn role);
  - a role allows an API Gateway or Route 53 write action the function never made in any
    recorded scenario;
  - a statement's Resource holds a wildcard without a comment just above it, or is "*" for an
    action AWS gives a narrower resource (NO_RESOURCE lists those that have none).
The source side: every API Gateway call to the source Region (read directly in the local run,
as in a one-account deployment) must be allowed by source.yaml's ReaderRole, and every API
Gateway and Lambda call the recovery function made to restore must be allowed by its
RestoreRole (a restore in place or a failback makes the same calls in the source Region,
and a failback switches DNS back as the failover switched it), which must allow no API
Gateway or Route 53 write it never made.

Operation -> IAM action (`action_of`):
  - JSON protocols: X-Amz-Target `Prefix.Operation` -> `SERVICE:Operation` (SERVICE = the
    signing name: dynamodb, kms, events, sqs); the query protocol's Action the same (sts).
  - API Gateway's control plane (REST, HTTP and WebSocket APIs alike) is authorized by HTTP
    method and path: `apigateway:METHOD` (HEAD as GET) on
    `arn:aws:apigateway:REGION::PATH`, the path as sent, percent-decoded, without the query
    and without apigatewayv2's `/v2` prefix (GET /v2/apis/ID -> apigateway:GET on
    arn:aws:apigateway:REGION::/apis/ID).
  - S3: object GET/HEAD -> s3:GetObject, PUT -> s3:PutObject, DELETE -> s3:DeleteObject;
    bucket GET (ListObjects) and HEAD -> s3:ListBucket.
  - Route 53 and Lambda (REST protocols): by method and path, tables ROUTE53 and LAMBDA.
Actions AWS takes with the role on the function's behalf never reach the recorder: IMPLIED
lists them (logs, the event source mapping, the failure destination, roles passed to API
Gateway); they are reported, not required to be seen. NEEDS_NO_PERMISSION: calls IAM does
not authorize (sts:GetCallerIdentity). NOT_YET_RECORDED: a write a role needs that no local
scenario makes yet, with the scenario that will (printed, not counted as excess).
"""

import fnmatch
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
PARTITION = "aws"
STATIC_KEY = "local"  # the functions' own credentials in scripts/lambda-local
HOME_ACCOUNT = "123456789012"
HOME_REGION = "us-west-2"

# What scripts/lambda-local gives the functions, as template parameters.
LOCAL_PARAMETERS = {
    "SourceRegion": "us-east-1",
    "SourceAccountId": "",
    "SourceRoleArn": "",
    "SourceRestoreRoleArn": "",
    "RecoveryTargetRegion": "",
    "RecoveryTargetRoleArn": "arn:aws:iam::222222222222:role/apigw-dr-recovery",
    "SwitchDns": "true",
    "Standby": "off",
    "SecretsKmsKeyArn": "",
    "StorePrefix": "points",
    "EventBusName": "apigw-dr",
}
# The stack's resources as the local run names them (local_aws.py setup).
LOCAL_RESOURCES = {
    "PointBucket": ("dr-points", "arn:aws:s3:::dr-points"),
    "CatalogTable": ("dr-catalog", "arn:aws:dynamodb:{region}:{account}:table/dr-catalog"),
    "EventBus": ("apigw-dr", "arn:aws:events:{region}:{account}:event-bus/apigw-dr"),
    "DebounceQueue": ("debounce", "arn:aws:sqs:{region}:{account}:debounce"),
    "FailedEventsQueue": ("failed", "arn:aws:sqs:{region}:{account}:failed"),
    "SecretsKey": ("KMS_KEY", "arn:aws:kms:{region}:{account}:key/KMS_KEY"),
}

# Actions AWS takes with a function's role for it, which the recorder cannot see.
IMPLIED = {
    "logs:CreateLogStream": "Lambda writes the function's logs",
    "logs:PutLogEvents": "Lambda writes the function's logs",
    "sqs:ReceiveMessage": "the SQS event source mapping",
    "sqs:DeleteMessage": "the SQS event source mapping",
    "sqs:ChangeMessageVisibility": "the SQS event source mapping",
    "sqs:GetQueueAttributes": "the SQS event source mapping",
    "sqs:SendMessage": "the on-failure destination (and debounce's own sends)",
    "iam:PassRole": "API Gateway checks it for roles a call passes (integrations, authorizers, account)",
    "iam:CreateServiceLinkedRole": "API Gateway makes its role on the first VPC link",
}

# Calls IAM does not authorize: no policy needs to allow them.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity": "AWS answers it for any identity"}

# Writes the recovery role needs that no local scenario makes yet, each with the scenario that
# will: printed as such, never counted as excess. Empty this when that scenario records them.
NOT_YET_RECORDED: dict = {}

# Actions for which AWS offers no resource narrower than "*" (Service Authorization Reference).
NO_RESOURCE = {
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "sts:GetCallerIdentity",
}

APIGATEWAY_WRITES = ("POST", "PUT", "PATCH", "DELETE")

# Route 53 (REST-XML, /2013-04-01/...): (method, path regex) -> (operation, resource).
ROUTE53 = [
    ("GET", r"/hostedzone", "ListHostedZones", "*"),
    ("GET", r"/hostedzonesbyname", "ListHostedZonesByName", "*"),
    ("GET", r"/hostedzone/(?P<id>[^/]+)", "GetHostedZone", "hostedzone/{id}"),
    ("GET", r"/hostedzone/(?P<id>[^/]+)/rrset/?", "ListResourceRecordSets", "hostedzone/{id}"),
    ("POST", r"/hostedzone/(?P<id>[^/]+)/rrset/?", "ChangeResourceRecordSets", "hostedzone/{id}"),
    ("GET", r"/change/(?P<id>[^/]+)", "GetChange", "change/{id}"),
]
# Lambda (REST-JSON, /2015-03-31/...): (method, path regex) -> operation, on the function.
LAMBDA = [
    ("GET", r"/functions/(?P<fn>[^/]+)", "GetFunction"),
    ("GET", r"/functions/(?P<fn>[^/]+)/configuration", "GetFunctionConfiguration"),
    ("GET", r"/functions/(?P<fn>[^/]+)/policy/?", "GetPolicy"),
    ("POST", r"/functions/(?P<fn>[^/]+)/policy/?", "AddPermission"),
    ("DELETE", r"/functions/(?P<fn>[^/]+)/policy/[^/]+", "RemovePermission"),
]


class Unmapped(Exception):
    pass


def account_of_key(call, roles):
    """The account a call acts in: the home account for the static key, else the account of
    the role its function assumed (`roles`: access key -> role ARN)."""
    if call.get("key") in (None, STATIC_KEY):
        return HOME_ACCOUNT
    return roles[call["key"]].split(":")[4]


def action_of(call, account=HOME_ACCOUNT, kms_key=None):
    """(IAM action, resource ARN, condition context) of one recorded call."""
    service, region, method, path = call["service"], call["region"], call["method"], unquote(call["path"])
    op = call.get("op")
    names = call.get("names") or {}
    if service == "apigateway":
        if path.startswith("/v2/"):
            path = path[3:]
        verb = "GET" if method == "HEAD" else method
        return f"apigateway:{verb}", f"arn:{PARTITION}:apigateway:{region}::{path}", {}
    if service == "s3":
        bucket, _, key = path.lstrip("/").partition("/")
        host = call.get("host", "")
        if host.split(".")[0] not in ("127", "localhost", "s3") and "." in host and not host[0].isdigit():
            bucket, key = host.split(".")[0], path.lstrip("/")
        if key:
            verb = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}[method]
            return f"s3:{verb}", f"arn:{PARTITION}:s3:::{bucket}/{key}", {}
        if method in ("GET", "HEAD"):
            return "s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}", {}
        raise Unmapped(f"s3 {method} on a bucket")
    if service == "route53":
        rest = re.sub(r"^/\d{4}-\d{2}-\d{2}", "", path)
        for m, pattern, name, res in ROUTE53:
            hit = re.fullmatch(pattern, rest)
            if m == method and hit:
                ctx = {}
                if call.get("r53"):
                    ctx = {
                        "route53:ChangeResourceRecordSetsActions": call["r53"]["actions"],
                        "route53:ChangeResourceRecordSetsRecordTypes": call["r53"]["types"],
                    }
                resource = "*" if res == "*" else f"arn:{PARTITION}:route53:::" + res.format(**hit.groupdict())
                return f"route53:{name}", resource, ctx
        raise Unmapped(f"route53 {method} {rest}")
    if service == "lambda":
        rest = re.sub(r"^/\d{4}-\d{2}-\d{2}", "", path)
        for m, pattern, name in LAMBDA:
            hit = re.fullmatch(pattern, rest)
            if m == method and hit:
                fn = hit["fn"]
                arn = fn if fn.startswith("arn:") else f"arn:{PARTITION}:lambda:{region}:{account}:function:{fn}"
                return f"lambda:{name}", ":".join(arn.split(":")[:7]), {}
        raise Unmapped(f"lambda {method} {rest}")
    if op:
        name = op.split(".")[-1]
        return f"{service}:{name}", json_resource(service, name, names, region, account, call, kms_key), {}
    raise Unmapped(f"{service} {method} {path}")


def json_resource(service, op, names, region, account, call, kms_key):
    if service == "dynamodb" and "TableName" in names:
        return f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{names['TableName']}"
    if service == "sqs" and "QueueUrl" in names:
        return f"arn:{PARTITION}:sqs:{region}:{account}:{names['QueueUrl'].rstrip('/').split('/')[-1]}"
    if service == "events" and names.get("EventBusName"):
        (bus,) = names["EventBusName"]
        return bus if bus.startswith("arn:") else f"arn:{PARTITION}:events:{region}:{account}:event-bus/{bus}"
    if service == "kms" and "KeyId" in names:
        key = names["KeyId"]
        return key if key.startswith("arn:") else f"arn:{PARTITION}:kms:{region}:{account}:key/{key}"
    if service == "kms" and kms_key:
        # Decrypt names no key: the ciphertext holds it, the store's data key wrapped by the
        # stack's key.
        return f"arn:{PARTITION}:kms:{region}:{account}:key/{kms_key}"
    if service == "sts" and op == "AssumeRole" and call.get("role"):
        return call["role"]
    return "*"


# ---------------------------------------------------------------- templates


def load_template(path):
    from cfnlint.decode import cfn_yaml

    return cfn_yaml.loads(Path(path).read_text())


class Resolver:
    """Evaluates a template's intrinsic functions for one deployment: parameters (their
    defaults, overridden), pseudo parameters, resources as LOCAL_RESOURCES names them."""

    def __init__(self, template, parameters=None, region=HOME_REGION, account=HOME_ACCOUNT, kms_key="KMS_KEY"):
        self.t = template
        self.region, self.account, self.kms_key = region, account, kms_key
        self.params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        self.params.update({k: v for k, v in (parameters or {}).items() if k in self.params})
        self.params.update(
            {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": PARTITION, "AWS::StackName": "apigw-dr"}
        )
        self.conditions = {}

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.t["Conditions"][name]))
        return self.conditions[name]

    def resource(self, name, attr=None):
        if name not in LOCAL_RESOURCES:
            return f"arn:{PARTITION}:unknown:::{name}"
        ref, arn = LOCAL_RESOURCES[name]
        out = arn if attr == "Arn" else ref
        return out.format(region=self.region, account=self.account).replace("KMS_KEY", self.kms_key)

    def value(self, v):
        """The value of v; NO_VALUE where AWS::NoValue removes it."""
        if isinstance(v, list):
            return [x for x in (self.value(i) for i in v) if x is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                if a == "AWS::NoValue":
                    return NO_VALUE
                return self.params[a] if a in self.params else self.resource(a)
            if k == "Fn::GetAtt":
                name, attr = a.split(".", 1) if isinstance(a, str) else a
                return self.resource(name, attr)
            if k == "Fn::Sub":
                text, extra = (a, {}) if isinstance(a, str) else (a[0], {n: self.value(x) for n, x in a[1].items()})
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self.sub(m[1], extra), text)
            if k == "Fn::If":
                return self.value(a[1] if self.condition(a[0]) else a[2])
            if k == "Fn::Equals":
                return str(self.value(a[0])) == str(self.value(a[1]))
            if k == "Fn::Not":
                return not self.value(a[0])
            if k == "Fn::And":
                return all(self.value(x) for x in a)
            if k == "Fn::Or":
                return any(self.value(x) for x in a)
            if k == "Condition":
                return self.condition(a)
        return {k: x for k, x in ((k, self.value(x)) for k, x in v.items()) if x is not NO_VALUE}

    def sub(self, name, extra):
        if name in extra:
            return str(extra[name])
        if name in self.params:
            return self.params[name]
        res, _, attr = name.partition(".")
        return self.resource(res, attr or None)


NO_VALUE = object()


def statements(template, role, resolver):
    """The Allow statements of a role's inline policies, resolved."""
    out = []
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        for s in resolver.value(policy["PolicyDocument"]["Statement"]):
            if s.get("Effect") == "Allow":
                out.append(s)
    return out


def as_list(x):
    return x if isinstance(x, list) else [x]


def glob(pattern, text, case=True):
    """IAM's wildcards: * any run of characters (/ included), ? one character."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, text, 0 if case else re.IGNORECASE) is not None


def condition_holds(cond, ctx):
    """The condition operators the templates use; a key the call's context lacks does not hold."""
    for op, keys in (cond or {}).items():
        for key, want in keys.items():
            if key not in ctx:
                return False
            got, want = as_list(ctx[key]), [str(w) for w in as_list(want)]
            if op == "ForAllValues:StringEquals":
                if not all(g in want for g in got):
                    return False
            elif op == "StringEquals":
                if not any(g in want for g in got):
                    return False
            else:
                return False
    return True


def allowing(stmts, action, resource, ctx):
    """The Sid of the first statement allowing action on resource, or None."""
    for s in stmts:
        if any(glob(a, action, case=False) for a in as_list(s["Action"])) and any(
            glob(r, resource) for r in as_list(s["Resource"])
        ):
            if condition_holds(s.get("Condition"), ctx):
                return s.get("Sid", "?")
    return None


def allowed_writes(stmts):
    """API Gateway and Route 53 write actions the statements allow: (action, Sid)."""
    out = []
    for s in stmts:
        for a in as_list(s["Action"]):
            for m in APIGATEWAY_WRITES:
                if glob(a, f"apigateway:{m}", case=False):
                    out.append((f"apigateway:{m}", s.get("Sid", "?")))
            if a.lower().startswith("route53:") and not re.match(r"route53:(Get|List)", a, re.IGNORECASE):
                out.append((a, s.get("Sid", "?")))
    return out


def wildcard_problems(text, stmts):
    """Statements whose Resource holds a wildcard with no comment just above them (the lines
    between a comment and `- Sid:` may only be `- !If` and a condition name), and "*" for an
    action that has a narrower resource."""
    lines = text.splitlines()
    problems = []
    for s in stmts:
        sid = s.get("Sid")
        resources = as_list(s["Resource"])
        if not any("*" in r for r in resources):
            continue
        if not sid:
            problems.append(f"a statement with a wildcard resource has no Sid: {s['Action']}")
            continue
        if "*" in resources:
            for a in as_list(s["Action"]):
                if a not in NO_RESOURCE:
                    problems.append(f'{sid}: {a} on "*" (AWS has a narrower resource for it)')
        for i, line in enumerate(lines):
            if re.match(rf"\s*- Sid: {re.escape(sid)}\s*$", line):
                if not commented(lines, i):
                    problems.append(f"{sid}: a wildcard resource without a comment above it")
                break
    return problems


def indent(line):
    return len(line) - len(line.lstrip())


def commented(lines, i):
    """Whether the statement starting at line i (`- Sid: ...`) has a comment just above it, or,
    as a branch of `- !If`, just above that `- !If`."""
    j = i - 1
    while j >= 0 and (not lines[j].strip() or indent(lines[j]) >= indent(lines[i])):
        j -= 1  # earlier branches of the same !If, or the previous statement's body
    if j >= 0 and lines[j].strip() == "- !If":
        j -= 1
    else:
        j = i - 1
    return j >= 0 and lines[j].strip().startswith("#")


# ---------------------------------------------------------------- the check


def functions(template):
    """Function binary name -> its role's logical id, from the template."""
    out = {}
    for name, r in template["Resources"].items():
        if r.get("Type") == "AWS::Serverless::Function":
            binary = r["Metadata"]["BuildProperties"]["Binary"]
            role = r["Properties"]["Role"]["Fn::GetAtt"]
            out[binary] = role.split(".")[0] if isinstance(role, str) else role[0]
    return out


def check(calls, kms_key="KMS_KEY", template_path=ROOT / "infra/template.yaml", source_path=ROOT / "infra/source.yaml"):
    """Prints the report; returns the number of problems."""
    tpl_text, src_text = Path(template_path).read_text(), Path(source_path).read_text()
    tpl, src = load_template(template_path), load_template(source_path)
    source_region = LOCAL_PARAMETERS["SourceRegion"]
    problems = 0
    by_fn = defaultdict(list)
    for c in calls:
        by_fn[c["function"]].append(c)
    restore_calls = []
    source_reads = []
    for fn, role in sorted(functions(tpl).items()):
        own = Resolver(tpl, LOCAL_PARAMETERS, kms_key=kms_key)
        own_stmts = statements(tpl, role, own)
        roles = {}
        assumed = {c.get("role") for c in by_fn[fn] if c.get("op") == "AssumeRole"}
        other_keys = {c["key"] for c in by_fn[fn] if c.get("key") not in (None, STATIC_KEY)}
        if other_keys and len(assumed) != 1:
            print(f"iam: {fn}: calls with {len(other_keys)} other keys but {len(assumed)} roles assumed: cannot attribute them")
            problems += 1
            continue
        roles = {k: next(iter(assumed)) for k in other_keys}
        seen, missing = defaultdict(int), []
        scenarios = sorted({c["scenario"] for c in by_fn[fn]})
        for c in by_fn[fn]:
            account = account_of_key(c, roles)
            try:
                action, resource, ctx = action_of(c, account, kms_key)
            except Unmapped as e:
                print(f"iam: {fn}: no IAM action known for {e}")
                problems += 1
                continue
            seen[action] += 1
            if action in NEEDS_NO_PERMISSION:
                continue
            if account == HOME_ACCOUNT:
                stmts = own_stmts
            else:
                # The role assumed in the target account: the function's role as deployed there.
                there = dict(LOCAL_PARAMETERS, RecoveryTargetRoleArn="")
                stmts = statements(tpl, role, Resolver(tpl, there, region=c["region"], account=account, kms_key=kms_key))
            if not allowing(stmts, action, resource, ctx):
                missing.append(f"{action} on {resource}")
            if c["service"] == "apigateway" and c["region"] == source_region and account == HOME_ACCOUNT:
                source_reads.append((fn, c, action, resource))
            # Route 53 is global: its calls count whatever Region signed them.
            if fn == "recovery" and (
                c["service"] == "route53" or (c["service"] in ("apigateway", "lambda") and c["region"] != source_region)
            ):
                restore_calls.append((c, action, resource, account, ctx))
        excess = [(a, sid) for a, sid in allowed_writes(own_stmts) if a not in seen and a not in NOT_YET_RECORDED]
        pending = sorted({a for a, _ in allowed_writes(own_stmts) if a not in seen and a in NOT_YET_RECORDED})
        wild = wildcard_problems(tpl_text, own_stmts)
        ops = ", ".join(f"{a} x{n}" for a, n in sorted(seen.items()))
        allowed = sorted({a for s in own_stmts for a in as_list(s["Action"])})
        verdict = "OK" if not (missing or excess or wild) else "FAILED"
        print(f"iam: {fn} ({role}), scenarios {'/'.join(scenarios) or 'none'}: {len(seen)} operations seen ({sum(seen.values())} calls): {ops}")
        print(f"iam: {fn}: its role allows {len(allowed)} actions; implied (not recordable): "
              + (", ".join(a for a in allowed if a in IMPLIED) or "none"))
        unseen = [a for a in allowed if a not in seen and a not in IMPLIED and a not in pending and "*" not in a]
        if unseen:
            print(f"iam: {fn}: allowed, not seen: {', '.join(unseen)}")
        for a in pending:
            print(f"iam: {fn}: allowed, not yet recorded: {a} ({NOT_YET_RECORDED[a]})")
        for m in sorted(set(missing)):
            print(f"iam: {fn}: MISSING: the role does not allow {m}")
        for a, sid in excess:
            print(f"iam: {fn}: EXCESS: {sid} allows {a}, which {fn} never calls")
        for w in wild:
            print(f"iam: {fn}: WILDCARD: {w}")
        print(f"iam: {fn}: {verdict}")
        problems += len(set(missing)) + len(excess) + len(wild)
        if not by_fn[fn]:
            print(f"iam: {fn}: no calls recorded")
            problems += 1
    problems += check_source(src, src_text, source_reads, restore_calls, source_region)
    return problems


def check_source(src, text, source_reads, restore_calls, source_region):
    problems = 0
    reader = Resolver(src, {"RecoveryRegion": HOME_REGION, "AllowInPlaceRestore": "true"}, region=source_region)
    stmts = statements(src, "ReaderRole", reader)
    missing = sorted({f"{a} on {r} ({fn})" for fn, _, a, r in source_reads if not allowing(stmts, a, r, {})})
    problems += report_role("source ReaderRole", len(source_reads), missing, [], wildcard_problems(text, stmts))
    # RestoreRole: the restore's calls, as made in the source Region and account.
    seen, missing = set(), set()
    for c, action, resource, account, ctx in restore_calls:
        seen.add(action)
        here = resource.replace(f":{c['region']}:", f":{source_region}:").replace(f":{account}:", f":{HOME_ACCOUNT}:")
        stmts = statements(src, "RestoreRole", reader)
        if not allowing(stmts, action, here, ctx):
            missing.add(f"{action} on {here}")
    stmts = statements(src, "RestoreRole", reader)
    excess = [(a, sid) for a, sid in allowed_writes(stmts) if a not in seen and a not in NOT_YET_RECORDED]
    problems += report_role("source RestoreRole", len(restore_calls), sorted(missing), excess, wildcard_problems(text, stmts))
    return problems


def report_role(name, n, missing, excess, wild):
    for m in missing:
        print(f"iam: {name}: MISSING: it does not allow {m}")
    for a, sid in excess:
        print(f"iam: {name}: EXCESS: {sid} allows {a}, which no restore calls")
    for w in wild:
        print(f"iam: {name}: WILDCARD: {w}")
    ok = not (missing or excess or wild)
    print(f"iam: {name}: {n} calls held to it: {'OK' if ok else 'FAILED'}")
    return len(missing) + len(excess) + len(wild)


def main(argv):
    args = argv[1:]
    kms_key = "KMS_KEY"
    if "--kms-key" in args:
        i = args.index("--kms-key")
        kms_key = args[i + 1]
        del args[i : i + 2]
    (path,) = args
    calls = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    problems = check(calls, kms_key)
    print(f"iam: {len(calls)} calls checked, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

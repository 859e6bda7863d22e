"""Unit tests of scripts/check_iam.py: operation -> IAM action and resource, the templates'
intrinsic functions, policy evaluation and the wildcard comment rule.
Run: .venv/bin/python -m unittest scripts/test_check_iam.py (scripts/lambda-local does)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_iam as c  # noqa: E402


def call(service, method, path, **kw):
    return {"service": service, "region": "us-west-2", "method": method, "path": path, **kw}


class ApiGatewayPaths(unittest.TestCase):
    def test_rest_method_is_a_put_on_its_path(self):
        got = c.action_of(call("apigateway", "PUT", "/restapis/a1/resources/r2/methods/GET"))
        self.assertEqual(got[:2], ("apigateway:PUT", "arn:aws:apigateway:us-west-2::/restapis/a1/resources/r2/methods/GET"))

    def test_v2_prefix_is_not_part_of_the_resource(self):
        got = c.action_of(call("apigateway", "POST", "/v2/apis/h3/routes"))
        self.assertEqual(got[:2], ("apigateway:POST", "arn:aws:apigateway:us-west-2::/apis/h3/routes"))

    def test_head_is_a_get_and_the_path_is_decoded(self):
        got = c.action_of(call("apigateway", "HEAD", "/domainnames/api.example.com/basepathmappings/%28none%29"))
        self.assertEqual(got[:2], ("apigateway:GET", "arn:aws:apigateway:us-west-2::/domainnames/api.example.com/basepathmappings/(none)"))

    def test_delete_and_patch_keep_their_verb(self):
        self.assertEqual(c.action_of(call("apigateway", "DELETE", "/restapis/a1/models/Empty"))[0], "apigateway:DELETE")
        self.assertEqual(c.action_of(call("apigateway", "PATCH", "/account"))[:2], ("apigateway:PATCH", "arn:aws:apigateway:us-west-2::/account"))


class OtherServices(unittest.TestCase):
    def test_json_target_names_the_action_and_the_table(self):
        got = c.action_of(call("dynamodb", "POST", "/", op="DynamoDB_20120810.UpdateItem", names={"TableName": "dr-catalog"}))
        self.assertEqual(got[:2], ("dynamodb:UpdateItem", "arn:aws:dynamodb:us-west-2:123456789012:table/dr-catalog"))

    def test_query_protocol_assume_role_is_on_the_role(self):
        role = "arn:aws:iam::222222222222:role/r"
        self.assertEqual(c.action_of(call("sts", "POST", "/", op="AssumeRole", role=role))[:2], ("sts:AssumeRole", role))

    def test_s3_objects_and_buckets(self):
        self.assertEqual(c.action_of(call("s3", "HEAD", "/dr-points/points/objects/ab", host="127.0.0.1:5000"))[:2], ("s3:GetObject", "arn:aws:s3:::dr-points/points/objects/ab"))
        self.assertEqual(c.action_of(call("s3", "GET", "/dr-points", host="127.0.0.1:5000"))[:2], ("s3:ListBucket", "arn:aws:s3:::dr-points"))

    def test_route53_change_carries_its_condition_keys(self):
        got = c.action_of(call("route53", "POST", "/2013-04-01/hostedzone/Z1/rrset/", r53={"actions": ["UPSERT"], "types": ["A"]}))
        self.assertEqual(got[:2], ("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z1"))
        self.assertEqual(got[2]["route53:ChangeResourceRecordSetsActions"], ["UPSERT"])
        self.assertEqual(c.action_of(call("route53", "GET", "/2013-04-01/hostedzone"))[:2], ("route53:ListHostedZones", "*"))

    def test_lambda_permission_is_on_the_function_without_qualifier(self):
        got = c.action_of(call("lambda", "POST", "/2015-03-31/functions/orders/policy"), account="222222222222")
        self.assertEqual(got[:2], ("lambda:AddPermission", "arn:aws:lambda:us-west-2:222222222222:function:orders"))

    def test_an_unknown_route53_path_is_not_guessed(self):
        with self.assertRaises(c.Unmapped):
            c.action_of(call("route53", "DELETE", "/2013-04-01/hostedzone/Z1"))


TEMPLATE = {
    "Parameters": {"TargetRegion": {"Default": ""}, "Prefix": {"Default": "points"}, "Dns": {"Default": "true"}},
    "Conditions": {
        "HasTarget": {"Fn::Not": [{"Fn::Equals": [{"Ref": "TargetRegion"}, ""]}]},
        "SwitchesDns": {"Fn::Equals": [{"Ref": "Dns"}, "true"]},
    },
}


class Intrinsics(unittest.TestCase):
    def test_sub_with_variables_and_if(self):
        r = c.Resolver(TEMPLATE, {"TargetRegion": "eu-west-1"})
        v = {"Fn::Sub": ["arn:${AWS::Partition}:apigateway:${Region}::/*", {"Region": {"Fn::If": ["HasTarget", {"Ref": "TargetRegion"}, {"Ref": "AWS::Region"}]}}]}
        self.assertEqual(r.value(v), "arn:aws:apigateway:eu-west-1::/*")
        self.assertEqual(c.Resolver(TEMPLATE).value(v), "arn:aws:apigateway:us-west-2::/*")

    def test_getatt_and_sub_of_a_resource_attribute(self):
        r = c.Resolver(TEMPLATE)
        self.assertEqual(r.value({"Fn::GetAtt": ["CatalogTable", "Arn"]}), "arn:aws:dynamodb:us-west-2:123456789012:table/dr-catalog")
        self.assertEqual(r.value({"Fn::Sub": "${PointBucket.Arn}/${Prefix}/*"}), "arn:aws:s3:::dr-points/points/*")

    def test_novalue_removes_a_statement(self):
        r = c.Resolver(TEMPLATE, {"Dns": "false"})
        got = r.value([{"Fn::If": ["SwitchesDns", {"Sid": "Dns"}, {"Ref": "AWS::NoValue"}]}, {"Sid": "Other"}])
        self.assertEqual(got, [{"Sid": "Other"}])


class Policies(unittest.TestCase):
    DNS = {
        "Sid": "DnsSwitch",
        "Action": "route53:ChangeResourceRecordSets",
        "Resource": "arn:aws:route53:::hostedzone/*",
        "Condition": {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsActions": ["UPSERT"]}},
    }

    def test_conditions_limit_what_is_allowed(self):
        res = "arn:aws:route53:::hostedzone/Z1"
        self.assertEqual(c.allowing([self.DNS], "route53:ChangeResourceRecordSets", res, {"route53:ChangeResourceRecordSetsActions": ["UPSERT"]}), "DnsSwitch")
        self.assertIsNone(c.allowing([self.DNS], "route53:ChangeResourceRecordSets", res, {"route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"]}))

    def test_resource_wildcards_cross_slashes_and_actions_ignore_case(self):
        s = [{"Sid": "A", "Action": "apigateway:get", "Resource": "arn:aws:apigateway:us-west-2::/*"}]
        self.assertEqual(c.allowing(s, "apigateway:GET", "arn:aws:apigateway:us-west-2::/restapis/a/stages/p", {}), "A")
        self.assertIsNone(c.allowing(s, "apigateway:GET", "arn:aws:apigateway:us-east-1::/restapis", {}))

    def test_writes_allowed(self):
        s = [{"Sid": "W", "Action": ["apigateway:*", "route53:GetChange", "route53:ChangeResourceRecordSets"], "Resource": "*"}]
        got = {a for a, _ in c.allowed_writes(s)}
        self.assertEqual(got, {"apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE", "route53:ChangeResourceRecordSets"})

    def test_a_wildcard_needs_a_comment_and_star_a_resourceless_action(self):
        text = "\n".join([
            "            Statement:",
            "              # ListHostedZones: no resource narrower than \"*\".",
            "              - !If",
            "                - SwitchesDns",
            "                - Sid: Zones",
            "              - Sid: Read",
        ])
        ok = {"Sid": "Zones", "Action": "route53:ListHostedZones", "Resource": "*"}
        bare = {"Sid": "Read", "Action": "acm:DescribeCertificate", "Resource": "*"}
        self.assertEqual(c.wildcard_problems(text, [ok]), [])
        got = c.wildcard_problems(text, [bare])
        self.assertEqual(len(got), 2)
        self.assertIn("narrower", got[0])
        self.assertIn("comment", got[1])


class RealTemplates(unittest.TestCase):
    """The templates as the local run deploys them, resolved."""

    def setUp(self):
        self.tpl = c.load_template(c.ROOT / "infra/template.yaml")

    def role(self, name, **params):
        return c.statements(self.tpl, name, c.Resolver(self.tpl, dict(c.LOCAL_PARAMETERS, **params)))

    def test_discovery_reads_the_source_region_and_writes_nothing_there(self):
        stmts = self.role("DiscoveryRole")
        self.assertIsNotNone(c.allowing(stmts, "apigateway:GET", "arn:aws:apigateway:us-east-1::/restapis", {}))
        self.assertIsNone(c.allowing(stmts, "apigateway:POST", "arn:aws:apigateway:us-east-1::/restapis", {}))
        self.assertIsNone(c.allowing(stmts, "apigateway:GET", "arn:aws:apigateway:us-west-2::/restapis", {}))
        self.assertEqual(c.allowed_writes(stmts), [])

    def test_a_source_role_replaces_the_direct_read(self):
        stmts = self.role("SnapshotRole", SourceRoleArn="arn:aws:iam::111111111111:role/reader")
        self.assertIsNone(c.allowing(stmts, "apigateway:GET", "arn:aws:apigateway:us-east-1::/restapis", {}))
        self.assertEqual(c.allowing(stmts, "sts:AssumeRole", "arn:aws:iam::111111111111:role/reader", {}), "AssumeSourceReader")

    def test_dns_statements_follow_switch_dns(self):
        on = {a for a, _ in c.allowed_writes(self.role("RecoveryRole"))}
        off = {a for a, _ in c.allowed_writes(self.role("RecoveryRole", SwitchDns="false"))}
        self.assertEqual(on - off, {"route53:ChangeResourceRecordSets"})

    def test_every_wildcard_of_the_function_roles_is_explained(self):
        text = (c.ROOT / "infra/template.yaml").read_text()
        for role in c.functions(self.tpl).values():
            self.assertEqual(c.wildcard_problems(text, self.role(role)), [], role)


if __name__ == "__main__":
    unittest.main()

package test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/repo"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// Every bucket is private, encrypted, versioned, TLS-only and (unless it is a log
// bucket) access-logged.
func TestBucketsAreLockedDown(t *testing.T) {
	forEachStack(t, nil, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		buckets := resources(tpl, "AWS::S3::Bucket")
		for id, b := range buckets {
			props := b["Properties"].(map[string]interface{})
			assert.Contains(t, props, "BucketEncryption", id)
			assert.Equal(t, map[string]interface{}{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			}, props["PublicAccessBlockConfiguration"], id)
			assert.Equal(t, map[string]interface{}{"Status": "Enabled"}, props["VersioningConfiguration"], id)
			if !strings.Contains(id, "Logs") {
				assert.Contains(t, props, "LoggingConfiguration", "%s has no access logging", id)
			}
			if env.Production {
				assert.Equal(t, "Retain", b["DeletionPolicy"], id)
			}
		}
		// TLS-only: each bucket's policy denies aws:SecureTransport=false.
		policies := resources(tpl, "AWS::S3::BucketPolicy")
		assert.Len(t, policies, len(buckets))
		for id, p := range policies {
			doc, _ := json.Marshal(p["Properties"].(map[string]interface{})["PolicyDocument"])
			assert.True(t, strings.Contains(string(doc), `"aws:SecureTransport":"false"`), "%s does not deny plain HTTP", id)
		}
	})
}

// Every log group is encrypted with the customer-managed log key and has a retention.
func TestLogGroupsAreEncryptedAndExpire(t *testing.T) {
	forEachStack(t, nil, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		for id, lg := range resources(tpl, "AWS::Logs::LogGroup") {
			props := lg["Properties"].(map[string]interface{})
			assert.Contains(t, props, "KmsKeyId", id)
			days, ok := props["RetentionInDays"].(float64)
			require.True(t, ok, "%s has no retention", id)
			if strings.Contains(id, "AuditTrail") {
				assert.GreaterOrEqual(t, days, 365.0, id)
			} else {
				assert.Equal(t, float64(env.LogRetentionDays), days, id)
			}
		}
	})
}

func TestKeysRotate(t *testing.T) {
	forEachStack(t, nil, func(t *testing.T, tpl assertions.Template, _ config.Environment) {
		keys := resources(tpl, "AWS::KMS::Key")
		for id, k := range keys {
			assert.Equal(t, true, k["Properties"].(map[string]interface{})["EnableKeyRotation"], id)
		}
	})
}

func TestAuditTrail(t *testing.T) {
	forEachStack(t, []string{"Base"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		if !env.Trail() {
			tpl.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(0))
			return
		}
		tpl.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), map[string]interface{}{
			"IsMultiRegionTrail":         true,
			"EnableLogFileValidation":    true,
			"IncludeGlobalServiceEvents": true,
			"IsLogging":                  true,
			"KMSKeyId":                   assertions.Match_AnyValue(),
			"CloudWatchLogsLogGroupArn":  assertions.Match_AnyValue(),
			"S3BucketName":               assertions.Match_AnyValue(),
		})
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
			"LifecycleConfiguration": map[string]interface{}{"Rules": assertions.Match_ArrayWith(&[]interface{}{
				assertions.Match_ObjectLike(&map[string]interface{}{
					"Status":      "Enabled",
					"Transitions": assertions.Match_AnyValue(),
				}),
			})},
		})
	})
}

func TestNetworkIsPrivate(t *testing.T) {
	forEachStack(t, []string{"Base"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		tpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
		// Nothing in the VPC can reach the internet: no gateway of any kind, no route but
		// the gateway endpoints' (which carry no AWS::EC2::Route), no peering.
		for _, typ := range []string{"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EgressOnlyInternetGateway",
			"AWS::EC2::VPCGatewayAttachment", "AWS::EC2::Route", "AWS::EC2::TransitGatewayAttachment", "AWS::EC2::VPCPeeringConnection"} {
			tpl.ResourceCountIs(jsii.String(typ), jsii.Number(0))
		}
		tpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(len(env.Zones)))
		for id, s := range resources(tpl, "AWS::EC2::Subnet") {
			assert.Equal(t, false, s["Properties"].(map[string]interface{})["MapPublicIpOnLaunch"], id)
		}
		tpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]interface{}{
			"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
		})
		// Every endpoint lets through only this environment's resources in this account.
		endpoints := map[string]map[string]interface{}{}
		for _, e := range resources(tpl, "AWS::EC2::VPCEndpoint") {
			props := e["Properties"].(map[string]interface{})
			service := toJSON(props["ServiceName"])
			service = service[strings.LastIndex(service, ".")+1 : strings.LastIndexAny(service, `"`)]
			endpoints[service] = props
			require.NotNil(t, props["PolicyDocument"], "the %s endpoint has a policy", service)
			for _, st := range props["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
				st := st.(map[string]interface{})
				assert.Equal(t, "Allow", st["Effect"], service)
				assert.Contains(t, toJSON(st["Condition"]), `"aws:PrincipalAccount":"`+env.Account+`"`, service)
				assert.NotContains(t, toJSON(st["Action"]), ":*", "%s: explicit actions only", service)
			}
		}
		wantServices := []string{"dynamodb", "s3"}
		if env.Private() {
			wantServices = append(wantServices, "secretsmanager")
		}
		assert.ElementsMatch(t, wantServices, slices.Collect(maps.Keys(endpoints)))
		assert.Contains(t, toJSON(endpoints["dynamodb"]["PolicyDocument"]), `"Resource":"arn:aws:dynamodb:`+env.Region+`:`+env.Account+`:table/notes-`+env.Name+`-*"`)
		assert.Contains(t, toJSON(endpoints["s3"]["PolicyDocument"]), `"aws:ResourceAccount":"`+env.Account+`"`)
		if env.Private() {
			sm := endpoints["secretsmanager"]
			assert.Equal(t, true, sm["PrivateDnsEnabled"])
			assert.Contains(t, toJSON(sm["PolicyDocument"]), `"aws:ResourceTag/app":"notes","aws:ResourceTag/environment":"`+env.Name+`"`)
			// The endpoints' group takes HTTPS from the VPC and sends nothing.
			groups := resources(tpl, "AWS::EC2::SecurityGroup")
			require.Len(t, groups, 1)
			for _, g := range groups {
				props := g["Properties"].(map[string]interface{})
				assert.Equal(t, `[{"CidrIp":"10.0.0.0/16","Description":"HTTPS from the VPC's subnets","FromPort":443,"IpProtocol":"tcp","ToPort":443}]`, toJSON(props["SecurityGroupIngress"]))
				assert.Contains(t, toJSON(props["SecurityGroupEgress"]), "Disallow all traffic")
			}
		}
	})
}

// With private functions (prod), every function runs in the isolated subnets behind one
// security group that lets HTTPS out to the Secrets Manager endpoint and DynamoDB's
// prefix list and nothing else; elsewhere functions are not in the VPC.
func TestFunctionsNetwork(t *testing.T) {
	forEachStack(t, []string{"Backend"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		groups := resources(tpl, "AWS::EC2::SecurityGroup")
		fns := resources(tpl, "AWS::Lambda::Function")
		require.NotEmpty(t, fns)
		if !env.Private() {
			assert.Empty(t, groups)
			for id, fn := range fns {
				assert.Nil(t, fn["Properties"].(map[string]interface{})["VpcConfig"], id)
			}
			return
		}
		require.Len(t, groups, 1)
		var groupID string
		for id, g := range groups {
			groupID = id
			props := g["Properties"].(map[string]interface{})
			assert.Nil(t, props["SecurityGroupIngress"], "nothing may connect to a function")
			egress := props["SecurityGroupEgress"].([]interface{})
			require.Len(t, egress, 1)
			assert.Contains(t, toJSON(egress[0]), `"DestinationSecurityGroupId":{"Fn::GetStackOutput":{"OutputName":"PublishOutputFnGetAttNetworkEndpointSecurityGroup`)
			assert.Contains(t, toJSON(egress[0]), `"FromPort":443,"IpProtocol":"tcp","ToPort":443`)
		}
		extra := resources(tpl, "AWS::EC2::SecurityGroupEgress")
		require.Len(t, extra, 1)
		for _, e := range extra {
			props := toJSON(e["Properties"])
			assert.Contains(t, props, `"DestinationPrefixListId":{"Fn::GetStackOutput":{"OutputName":"PublishOutputFnGetAttNetworkDynamoDBPrefixList`)
			assert.Contains(t, props, `"FromPort":443,"GroupId":{"Fn::GetAtt":["`+groupID+`","GroupId"]},"IpProtocol":"tcp","ToPort":443`)
		}
		tpl.ResourceCountIs(jsii.String("AWS::EC2::SecurityGroupIngress"), jsii.Number(0))
		for id, fn := range fns {
			if strings.HasPrefix(id, "PreTrafficCheck") {
				// CodeDeploy's check calls the Lambda and CodeDeploy APIs and touches no data:
				// it runs outside the VPC rather than opening endpoints for them.
				assert.Nil(t, fn["Properties"].(map[string]interface{})["VpcConfig"], id)
				continue
			}
			vpc := toJSON(fn["Properties"].(map[string]interface{})["VpcConfig"])
			assert.Contains(t, vpc, `"SecurityGroupIds":[{"Fn::GetAtt":["`+groupID+`","GroupId"]}]`, id)
			assert.Equal(t, len(env.Zones), strings.Count(vpc, "isolatedSubnet"), "%s runs in every isolated subnet", id)
		}
	})
}

func TestTableProtectsState(t *testing.T) {
	forEachStack(t, []string{"Data"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]interface{}{
			"DeletionPolicy": map[bool]string{true: "Delete", false: "Retain"}[env.Destroy()],
			"Properties": map[string]interface{}{
				"BillingMode":                      "PAY_PER_REQUEST",
				"DeletionProtectionEnabled":        !env.Destroy(),
				"PointInTimeRecoverySpecification": map[string]interface{}{"PointInTimeRecoveryEnabled": true},
				"SSESpecification": map[string]interface{}{
					"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": assertions.Match_AnyValue(),
				},
				"TimeToLiveSpecification": map[string]interface{}{"AttributeName": "expiresAt", "Enabled": true},
			},
		})
	})
}

func TestUserPoolPolicy(t *testing.T) {
	forEachStack(t, []string{"Data"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		mfa := map[string]string{"off": "OFF", "optional": "OPTIONAL", "required": "ON"}[string(env.MFA)]
		tpl.HasResource(jsii.String("AWS::Cognito::UserPool"), map[string]interface{}{
			"DeletionPolicy": map[bool]string{true: "Delete", false: "Retain"}[env.Destroy()],
			"Properties": map[string]interface{}{
				"DeletionProtection":    map[bool]string{true: "INACTIVE", false: "ACTIVE"}[env.Destroy()],
				"MfaConfiguration":      mfa,
				"AdminCreateUserConfig": map[string]interface{}{"AllowAdminCreateUserOnly": true},
				"Policies": map[string]interface{}{"PasswordPolicy": map[string]interface{}{
					"MinimumLength": 12, "RequireLowercase": true, "RequireUppercase": true,
					"RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 3,
				}},
			},
		})
		if env.ThreatProtection {
			tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]interface{}{
				"UserPoolAddOns": map[string]interface{}{"AdvancedSecurityMode": "ENFORCED"},
			})
		}
		// No identity pool, so no unauthenticated identities at all.
		tpl.ResourceCountIs(jsii.String("AWS::Cognito::IdentityPool"), jsii.Number(0))
	})
}

func TestStatefulStacksAreTerminationProtectedInProduction(t *testing.T) {
	s := shippedApp(t)
	for path := range s.Templates {
		stack := s.stack(t, path)
		env := mustEnv(t, s.Config, strings.Split(path, "/")[0])
		stateful := strings.HasSuffix(path, "/Base") || strings.HasSuffix(path, "/Data")
		assert.Equal(t, stateful && env.Production, stack.TerminationProtection, path)
		assert.Equal(t, s.Config.AppName+"-"+env.Name+"-"+strings.ToLower(strings.Split(path, "/")[1]), stack.Name, path)
	}
}

func TestFunctionsRunGoOnGraviton(t *testing.T) {
	forEachStack(t, []string{"Backend"}, func(t *testing.T, tpl assertions.Template, _ config.Environment) {
		fns := resources(tpl, "AWS::Lambda::Function")
		require.NotEmpty(t, fns)
		for id, fn := range fns {
			props := fn["Properties"].(map[string]interface{})
			assert.Equal(t, "provided.al2023", props["Runtime"], id)
			assert.Equal(t, []interface{}{"arm64"}, props["Architectures"], id)
			assert.Equal(t, "bootstrap", props["Handler"], id)
			assert.Equal(t, map[string]interface{}{"Mode": "Active"}, props["TracingConfig"], id)
			logging := props["LoggingConfig"].(map[string]interface{})
			assert.Equal(t, "JSON", logging["LogFormat"], id)
			assert.Contains(t, logging, "LogGroup", id)
		}
	})
}

// No policy anywhere grants every action, and no role uses an AWS-managed *FullAccess or
// administrator policy.
func TestNoWildcardAdmin(t *testing.T) {
	forEachStack(t, nil, func(t *testing.T, tpl assertions.Template, _ config.Environment) {
		raw, _ := json.Marshal(templateJSON(tpl)["Resources"])
		text := string(raw)
		for _, bad := range []string{`"Action":"*"`, `"Action":["*"]`, "AdministratorAccess", "FullAccess", `"Action":"iam:*","Effect":"Allow"`} {
			assert.False(t, strings.Contains(text, bad), "template contains %s", bad)
		}
	})
}

func TestSiteIsPrivateAndHTTPSOnly(t *testing.T) {
	forEachStack(t, []string{"Frontend"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
		// Only this distribution may read the site bucket; it may list it so that a missing
		// file is a 404, not a 403.
		tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]interface{}{
			"PolicyDocument": map[string]interface{}{"Statement": assertions.Match_ArrayWith(&[]interface{}{
				assertions.Match_ObjectLike(&map[string]interface{}{
					"Action":    []interface{}{"s3:GetObject", "s3:ListBucket"},
					"Effect":    "Allow",
					"Principal": map[string]interface{}{"Service": "cloudfront.amazonaws.com"},
					"Condition": map[string]interface{}{"StringEquals": map[string]interface{}{"AWS:SourceArn": assertions.Match_AnyValue()}},
				}),
			})},
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]interface{}{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]interface{}{
				"DefaultRootObject": "index.html",
				"Logging":           assertions.Match_ObjectLike(&map[string]interface{}{"Bucket": assertions.Match_AnyValue()}),
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]interface{}{
					"ViewerProtocolPolicy":    "redirect-to-https",
					"ResponseHeadersPolicyId": assertions.Match_AnyValue(),
					"FunctionAssociations": []interface{}{map[string]interface{}{
						"EventType": "viewer-request", "FunctionARN": assertions.Match_AnyValue(),
					}},
				}),
				// "/api" too: the API's root, never the app's index.html.
				"CacheBehaviors": []interface{}{apiBehavior("/api/*"), apiBehavior("/api")},
				"Origins": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
					"CustomOriginConfig": assertions.Match_ObjectLike(&map[string]interface{}{
						"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": []interface{}{"TLSv1.2"},
					}),
				})}),
			}),
		})
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]interface{}{
			"ResponseHeadersPolicyConfig": assertions.Match_ObjectLike(&map[string]interface{}{
				"SecurityHeadersConfig": map[string]interface{}{
					"ContentSecurityPolicy":   assertions.Match_ObjectLike(&map[string]interface{}{"ContentSecurityPolicy": mustCSP(t)}),
					"ContentTypeOptions":      map[string]interface{}{"Override": true},
					"FrameOptions":            map[string]interface{}{"FrameOption": "DENY", "Override": true},
					"ReferrerPolicy":          map[string]interface{}{"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": true},
					"StrictTransportSecurity": assertions.Match_ObjectLike(&map[string]interface{}{"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true}),
					"XSSProtection":           assertions.Match_AnyValue(),
				},
			}),
		})
	})
}

func TestAPIStageIsLoggedTracedAndThrottled(t *testing.T) {
	forEachStack(t, []string{"Backend"}, func(t *testing.T, tpl assertions.Template, _ config.Environment) {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]interface{}{
			"StageName":      "api",
			"TracingEnabled": true,
			"AccessLogSetting": map[string]interface{}{
				"DestinationArn": assertions.Match_AnyValue(),
				"Format":         assertions.Match_StringLikeRegexp(jsii.String(`^\{"requestId":"\$context.requestId"`)),
			},
			"MethodSettings": []interface{}{map[string]interface{}{
				"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "INFO", "DataTraceEnabled": false,
				"MetricsEnabled": true, "ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100,
			}},
		})
		tpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]interface{}{
			"EndpointConfiguration": map[string]interface{}{"Types": []interface{}{"REGIONAL"}},
		})
		// The execution log group exists (encrypted, expiring) before the stage that writes to it.
		tpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{
			"LogGroupName": map[string]interface{}{"Fn::Join": []interface{}{"", assertions.Match_ArrayWith(&[]interface{}{"API-Gateway-Execution-Logs_", "/api"})}},
		})
		tpl.HasResource(jsii.String("AWS::ApiGateway::Stage"), map[string]interface{}{
			"DependsOn": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_StringLikeRegexp(jsii.String("^ApiExecutionLogs"))}),
		})
	})
}

func TestBaseHoldsTheAccountSettingsAndBoundary(t *testing.T) {
	forEachStack(t, []string{"Base"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		tpl.ResourceCountIs(jsii.String("AWS::ApiGateway::Account"), jsii.Number(1))
		tpl.HasResourceProperties(jsii.String("AWS::IAM::ManagedPolicy"), map[string]interface{}{
			"ManagedPolicyName": "notes-" + env.Name + "-permissions-boundary",
		})
	})
}

// config.json is written at deploy time from the other stacks' values, so one build of
// the SPA runs in every environment.
func TestSiteConfigNamesTheEnvironment(t *testing.T) {
	s := shippedApp(t)
	matches, err := filepath.Glob(filepath.Join(s.Assembly, "asset.*", "config.json"))
	require.NoError(t, err)
	require.Len(t, matches, len(s.Config.Environments), "one config.json per environment")
	seen := map[string]bool{}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		require.NoError(t, err)
		var cfg map[string]string
		require.NoError(t, json.Unmarshal(b, &cfg), m)
		for _, key := range []string{"userPoolId", "userPoolClientId"} {
			assert.Regexp(t, `^<<marker:0xbaba:\d+>>$`, cfg[key], "%s is a deploy-time value", key)
		}
		env := mustEnv(t, s.Config, cfg["environment"])
		// Sign-in in a deployed environment is Cognito managed login and nothing else: the
		// local development issuer cannot be configured into a synthesized stack.
		assert.Regexp(t, `^https://<<marker:0xbaba:\d+>>\.auth\.`+env.Region+`\.amazoncognito\.com$`, cfg["authDomain"])
		assert.Equal(t, "/api", cfg["apiUrl"])
		assert.Equal(t, s.Config.AppName, cfg["appName"])
		assert.Equal(t, env.Region, cfg["region"])
		assert.Len(t, cfg, 7, "exactly the keys the SPA reads")
		seen[env.Name] = true
	}
	assert.Len(t, seen, len(s.Config.Environments))
}

// Failures reach a person: an encrypted topic, the configured e-mail, and an alarm per
// function error and throttle plus API 5xx and latency and each cause of 5xx.
func TestAlarms(t *testing.T) {
	forEachStack(t, []string{"Backend"}, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]interface{}{
			"KmsMasterKeyId": assertions.Match_AnyValue(),
		})
		tpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]interface{}{
			"PolicyDocument": map[string]interface{}{"Statement": assertions.Match_ArrayWith(&[]interface{}{
				assertions.Match_ObjectLike(&map[string]interface{}{
					"Effect": "Deny", "Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
				}),
			})},
		})
		if env.AlarmEmail != "" {
			tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]interface{}{
				"Protocol": "email", "Endpoint": env.AlarmEmail,
			})
		}
		alarms := resources(tpl, "AWS::CloudWatch::Alarm")
		// At least errors and throttles per function and per new version of it, API 5xx and
		// latency, and the 5xx by cause (the functions' 500s and three kinds of dependency
		// failure); a construct may add its own (the rule, not the inventory). Every alarm
		// notifies and treats missing data as OK.
		assert.GreaterOrEqual(t, len(alarms), 4*len(api.Functions)+2+4)
		for id, a := range alarms {
			props := a["Properties"].(map[string]interface{})
			assert.NotEmpty(t, props["AlarmActions"], id)
			assert.Equal(t, "notBreaching", props["TreatMissingData"], id)
		}
	})
}

// Every function of the stage, CDK's custom-resource handlers included, logs to a log
// group of the template that is encrypted and expires.
func TestEveryFunctionHasAnEncryptedExpiringLogGroup(t *testing.T) {
	forEachStack(t, nil, func(t *testing.T, tpl assertions.Template, env config.Environment) {
		groups := resources(tpl, "AWS::Logs::LogGroup")
		for id, fn := range resources(tpl, "AWS::Lambda::Function") {
			cfg, _ := fn["Properties"].(map[string]interface{})["LoggingConfig"].(map[string]interface{})
			ref, _ := cfg["LogGroup"].(map[string]interface{})
			name, _ := ref["Ref"].(string)
			group, ok := groups[name]
			if !assert.True(t, ok, "%s logs to no log group of this stack", id) {
				continue
			}
			props := group["Properties"].(map[string]interface{})
			assert.Contains(t, props, "KmsKeyId", id)
			assert.Equal(t, float64(env.LogRetentionDays), props["RetentionInDays"], id)
		}
	})
}

// mustCSP is the policy of web/csp.txt, which CloudFront must send.
func mustCSP(t *testing.T) string {
	t.Helper()
	csp, err := repo.ContentSecurityPolicy(repo.WebDir(repoRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	return csp
}

// apiBehavior is a CloudFront behavior that sends pattern to the API, uncached, over HTTPS.
func apiBehavior(pattern string) assertions.Matcher {
	return assertions.Match_ObjectLike(&map[string]interface{}{
		"PathPattern":          pattern,
		"ViewerProtocolPolicy": "https-only",
		"AllowedMethods":       []interface{}{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
		// Managed CachingDisabled and AllViewerExceptHostHeader policies.
		"CachePolicyId":         "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
		"OriginRequestPolicyId": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
	})
}

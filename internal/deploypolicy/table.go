package deploypolicy

// Grant is what CloudFormation needs on some resources to create, update, delete and tag
// one resource type. Resources are ARN patterns with the placeholders {partition},
// {account}, {region} (each region the role deploys to), {prefix} (the "<app>-<env>" that
// starts every stack name, and so every name CloudFormation generates), {qualifier} (the
// bootstrap qualifier), {boundary} (the permissions boundary's ARN), {repository} (the
// CodeCommit repository of Options) and {alias} (each alias of Options.Aliases, without
// "alias/"); a pattern whose list placeholder has no value is left out. No Resources means "*": the action has no
// resource-level permissions, or the resource is addressed by a random id, so the action
// list and the dedicated account are what limit it.
type Grant struct {
	// Sid names the statement the grant goes into. Grants with the same Sid must have the
	// same Resources and Condition; their actions are merged.
	Sid       string
	Actions   []string
	Resources []string
	// Condition is an IAM condition block; values may use the placeholders.
	Condition map[string]map[string][]string
}

// Name-scoped resources: CloudFormation names what it creates "<stack>-<logicalId>-<random>"
// and every stack of an environment is named "<app>-<env>-<part>", so "{prefix}-*" covers
// them. The test of this package checks every explicit name in the templates against these.
const (
	appBuckets   = "arn:{partition}:s3:::{prefix}-*"
	appTables    = "arn:{partition}:dynamodb:{region}:{account}:table/{prefix}-*"
	appFunctions = "arn:{partition}:lambda:{region}:{account}:function:{prefix}-*"
	appLayers    = "arn:{partition}:lambda:{region}:{account}:layer:*"
	appRoles     = "arn:{partition}:iam::{account}:role/{prefix}-*"
	appPolicies  = "arn:{partition}:iam::{account}:policy/{prefix}-*"
	appTopics    = "arn:{partition}:sns:{region}:{account}:{prefix}-*"
	appDashboard = "arn:{partition}:cloudwatch::{account}:dashboard/{prefix}"
	// The pipeline account's (prefix "<app>-pipeline"): the pipeline is named exactly
	// the prefix, the CodeBuild projects "<prefix>-<logical id>" (stacks names them: a
	// generated project name is not documented to start with the stack's name), the
	// repository as config says, and the support stacks' key aliases as CDK Pipelines
	// generates them (Options.Aliases).
	appPipelines  = "arn:{partition}:codepipeline:{region}:{account}:{prefix}"
	appStages     = "arn:{partition}:codepipeline:{region}:{account}:{prefix}/*"
	appProjects   = "arn:{partition}:codebuild:{region}:{account}:project/{prefix}-*"
	appRules      = "arn:{partition}:events:{region}:{account}:rule/{prefix}-*"
	appRepository = "arn:{partition}:codecommit:{region}:{account}:{repository}"
	extraAliases  = "arn:{partition}:kms:{region}:{account}:alias/{alias}"
	assetObjects  = "arn:{partition}:s3:::cdk-{qualifier}-assets-{account}-{region}/*"
	// The CodeDeploy application is named "<app>-<env>"; its groups get generated names.
	appDeployApplications = "arn:{partition}:codedeploy:{region}:{account}:application:{prefix}"
	appDeployGroups       = "arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{prefix}/{prefix}-*"
	deployConfigs         = "arn:{partition}:codedeploy:{region}:{account}:deploymentconfig:CodeDeployDefault.*"
)

// withBoundary is the condition that every role the deployment creates or changes carries
// the environment's permissions boundary.
var withBoundary = map[string]map[string][]string{"StringEquals": {"iam:PermissionsBoundary": {"{boundary}"}}}

// Table maps each CloudFormation resource type that the stages use to the IAM actions that
// CloudFormation's handlers for that type call. A stage template with a type missing here
// fails the tests and `deploy-policy`: add the type with the actions of its handlers (the
// "handlers" section of the type's schema in the CloudFormation registry). The tests hold
// the table against AWS's registry data vendored in internal/deploypolicy/registry: every
// handler permission of a type the templates use is granted here or listed, with its
// reason, in NotNeeded.
var Table = map[string][]Grant{
	// API Gateway REST APIs: every resource is a path under /restapis, addressed by a
	// random id; the account setting (/account) passes the logging role.
	"AWS::ApiGateway::Account":          {apigateway},
	"AWS::ApiGateway::Authorizer":       {apigateway},
	"AWS::ApiGateway::Deployment":       {apigateway},
	"AWS::ApiGateway::GatewayResponse":  {apigateway},
	"AWS::ApiGateway::Method":           {apigateway},
	"AWS::ApiGateway::Model":            {apigateway},
	"AWS::ApiGateway::RequestValidator": {apigateway},
	"AWS::ApiGateway::Resource":         {apigateway},
	"AWS::ApiGateway::RestApi":          {apigateway},
	"AWS::ApiGateway::Stage":            {apigateway},

	"AWS::CloudFront::CachePolicy": {{Sid: "CloudFront", Actions: []string{
		"cloudfront:CreateCachePolicy", "cloudfront:GetCachePolicy", "cloudfront:UpdateCachePolicy", "cloudfront:DeleteCachePolicy",
	}}},
	"AWS::CloudFront::Distribution": {
		{Sid: "CloudFront", Actions: []string{
			"cloudfront:CreateDistribution", "cloudfront:GetDistribution",
			"cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution",
			"cloudfront:TagResource", "cloudfront:UntagResource", "cloudfront:ListTagsForResource",
		}},
		// Standard logging: whoever configures it must be able to read and set the log
		// bucket's ACL (CloudFront adds its log-delivery grant).
		{Sid: "AppBuckets", Actions: []string{"s3:GetBucketAcl", "s3:PutBucketAcl"}, Resources: []string{appBuckets}},
	},
	"AWS::CloudFront::Function": {{Sid: "CloudFront", Actions: []string{
		"cloudfront:CreateFunction", "cloudfront:DescribeFunction", "cloudfront:GetFunction", "cloudfront:UpdateFunction",
		"cloudfront:PublishFunction", "cloudfront:DeleteFunction",
	}}},
	"AWS::CloudFront::OriginAccessControl": {{Sid: "CloudFront", Actions: []string{
		"cloudfront:CreateOriginAccessControl", "cloudfront:GetOriginAccessControl", "cloudfront:UpdateOriginAccessControl",
		"cloudfront:DeleteOriginAccessControl",
	}}},
	"AWS::CloudFront::ResponseHeadersPolicy": {{Sid: "CloudFront", Actions: []string{
		"cloudfront:CreateResponseHeadersPolicy", "cloudfront:GetResponseHeadersPolicy", "cloudfront:UpdateResponseHeadersPolicy",
		"cloudfront:DeleteResponseHeadersPolicy",
	}}},

	"AWS::CloudTrail::Trail": {{Sid: "CloudTrail", Actions: []string{
		"cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "cloudtrail:DeleteTrail", "cloudtrail:GetTrail",
		"cloudtrail:GetTrailStatus", "cloudtrail:DescribeTrails", "cloudtrail:StartLogging", "cloudtrail:StopLogging",
		"cloudtrail:PutEventSelectors", "cloudtrail:GetEventSelectors", "cloudtrail:PutInsightSelectors",
		"cloudtrail:GetInsightSelectors", "cloudtrail:AddTags", "cloudtrail:RemoveTags", "cloudtrail:ListTags",
	}}},

	"AWS::CloudWatch::Alarm": {{Sid: "CloudWatch", Actions: []string{
		"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource",
		"cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
	}}},

	// Dashboards are global: arn:...:cloudwatch::<account>:dashboard/<name>, and the one
	// dashboard of an environment is named exactly "<app>-<env>" (the pipeline account's,
	// which shows the pull-request check's builds, "<app>-pipeline"). The handlers tag the
	// dashboard they create and update: on the dashboard only (in an environment the
	// alarms' grant allows tagging on "*" anyway; the pipeline account has no alarm).
	"AWS::CloudWatch::Dashboard": {{Sid: "CloudWatchDashboards", Actions: []string{
		"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
		"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource",
	}, Resources: []string{appDashboard}}},

	"AWS::Cognito::UserPool": {{Sid: "Cognito", Actions: []string{
		"cognito-idp:CreateUserPool", "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool", "cognito-idp:DeleteUserPool",
		"cognito-idp:SetUserPoolMfaConfig", "cognito-idp:GetUserPoolMfaConfig", "cognito-idp:AddCustomAttributes",
		"cognito-idp:TagResource", "cognito-idp:UntagResource", "cognito-idp:ListTagsForResource",
	}}},
	"AWS::Cognito::UserPoolClient": {{Sid: "Cognito", Actions: []string{
		"cognito-idp:CreateUserPoolClient", "cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient",
		"cognito-idp:DeleteUserPoolClient",
	}}},
	"AWS::Cognito::UserPoolDomain": {{Sid: "Cognito", Actions: []string{
		"cognito-idp:CreateUserPoolDomain", "cognito-idp:DescribeUserPoolDomain", "cognito-idp:UpdateUserPoolDomain",
		"cognito-idp:DeleteUserPoolDomain",
	}}},

	"AWS::DynamoDB::Table": {
		{Sid: "AppTables", Actions: []string{
			"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
			"dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive",
			"dynamodb:UpdateTimeToLive", "dynamodb:DescribeContributorInsights", "dynamodb:DescribeKinesisStreamingDestination",
			"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
			// Read on every create and update, resource policy or not.
			"dynamodb:GetResourcePolicy",
		}, Resources: []string{appTables}},
		{Sid: "KMS", Actions: []string{"kms:DescribeKey"}},
		// Encryption with a customer-managed key: DynamoDB encrypts, grants and revokes
		// with the caller's rights, and only DynamoDB may use these on its behalf.
		{Sid: "KMSViaDynamoDB", Actions: []string{"kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:RevokeGrant"},
			Condition: map[string]map[string][]string{"StringEquals": {"kms:ViaService": {"dynamodb.{region}.amazonaws.com"}}}},
	},

	"AWS::EC2::FlowLog": {
		{Sid: "EC2", Actions: []string{"ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:DescribeFlowLogs", "ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeTags"}},
		{Sid: "Logs", Actions: []string{"logs:CreateLogDelivery", "logs:DeleteLogDelivery"}},
	},
	"AWS::EC2::RouteTable": {{Sid: "EC2", Actions: []string{
		"ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:DescribeRouteTables", "ec2:CreateTags", "ec2:DeleteTags",
	}}},
	"AWS::EC2::SecurityGroup": {{Sid: "EC2", Actions: []string{
		"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules",
		"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
		"ec2:RevokeSecurityGroupEgress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
		"ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:CreateTags", "ec2:DeleteTags",
		// The delete handler checks that no instance still uses the group.
		"ec2:DescribeInstances",
	}}},
	"AWS::EC2::SecurityGroupEgress": {{Sid: "EC2", Actions: []string{
		"ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:DescribeSecurityGroups",
		"ec2:DescribeSecurityGroupRules", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
	}}},
	"AWS::EC2::SecurityGroupIngress": {{Sid: "EC2", Actions: []string{
		"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroups",
		"ec2:DescribeSecurityGroupRules",
	}}},
	"AWS::EC2::Subnet": {{Sid: "EC2", Actions: []string{
		"ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:ModifySubnetAttribute", "ec2:CreateTags",
		"ec2:DeleteTags", "ec2:DescribeNetworkAcls",
	}}},
	"AWS::EC2::SubnetRouteTableAssociation": {{Sid: "EC2", Actions: []string{
		"ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation", "ec2:DescribeRouteTables",
		"ec2:DescribeSubnets",
	}}},
	"AWS::EC2::VPC": {{Sid: "EC2", Actions: []string{
		"ec2:CreateVpc", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:ModifyVpcAttribute",
		"ec2:DescribeSecurityGroups", "ec2:DescribeNetworkAcls", "ec2:CreateTags", "ec2:DeleteTags",
	}}},
	"AWS::EC2::VPCEndpoint": {{Sid: "EC2", Actions: []string{
		"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:DescribeVpcEndpoints",
		"ec2:DescribeRouteTables", "ec2:DescribePrefixLists", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
		"ec2:DescribeVpcs", "ec2:CreateTags", "ec2:DeleteTags",
	}}},

	// IAM: only roles and policies named with the environment's prefix, and every role
	// created or changed must carry the boundary (see also the deny statements in New).
	// Gradual deployments: CloudFormation hands the alias update to CodeDeploy, which it
	// then follows.
	"AWS::CodeDeploy::Application": {{Sid: "CodeDeploy", Actions: []string{
		"codedeploy:CreateApplication", "codedeploy:GetApplication", "codedeploy:DeleteApplication",
		"codedeploy:TagResource", "codedeploy:UntagResource", "codedeploy:ListTagsForResource",
	}, Resources: []string{appDeployApplications}}},
	"AWS::CodeDeploy::DeploymentGroup": {
		{Sid: "CodeDeployGroups", Actions: []string{
			"codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup",
			"codedeploy:DeleteDeploymentGroup", "codedeploy:CreateDeployment", "codedeploy:GetDeployment",
			"codedeploy:ListDeployments", "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision",
			"codedeploy:GetApplicationRevision", "codedeploy:TagResource", "codedeploy:UntagResource",
		}, Resources: []string{appDeployApplications, appDeployGroups, deployConfigs}},
		// StopDeployment names no resource in IAM: a deployment id is not an ARN.
		{Sid: "CodeDeployStop", Actions: []string{"codedeploy:StopDeployment"}},
		{Sid: "AppRoles", Actions: []string{"iam:PassRole"}, Resources: []string{appRoles}},
	},

	"AWS::IAM::Role": {
		{Sid: "AppRoles", Actions: []string{
			"iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
			"iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:GetRolePolicy", "iam:ListRolePolicies",
			"iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole",
		}, Resources: []string{appRoles}},
		{Sid: "AppRolesWithBoundary", Actions: []string{
			"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
		}, Resources: []string{appRoles}, Condition: withBoundary},
		{Sid: "AttachAllowedPolicies", Actions: []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
			Resources: []string{appRoles}, Condition: map[string]map[string][]string{
				"StringEquals": {"iam:PermissionsBoundary": {"{boundary}"}},
				"ArnLike":      {"iam:PolicyARN": AttachablePolicies},
			}},
	},
	"AWS::IAM::Policy": {
		{Sid: "AppRoles", Actions: []string{"iam:GetRolePolicy", "iam:ListRolePolicies"}, Resources: []string{appRoles}},
		{Sid: "AppRolesWithBoundary", Actions: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy"},
			Resources: []string{appRoles}, Condition: withBoundary},
	},
	"AWS::IAM::ManagedPolicy": {
		{Sid: "AppManagedPolicies", Actions: []string{
			"iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
			"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListEntitiesForPolicy", "iam:TagPolicy", "iam:UntagPolicy",
		}, Resources: []string{appPolicies}},
	},

	"AWS::KMS::Alias": {{Sid: "KMSAliases", Actions: []string{"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"},
		Resources: []string{"arn:{partition}:kms:{region}:{account}:alias/{prefix}-*", extraAliases, "arn:{partition}:kms:{region}:{account}:key/*"}},
		{Sid: "KMS", Actions: []string{"kms:ListAliases"}}},
	"AWS::KMS::Key": {{Sid: "KMS", Actions: []string{
		"kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation",
		"kms:DisableKeyRotation", "kms:GetKeyRotationStatus", "kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription",
		"kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:ListResourceTags",
	}}},

	"AWS::Lambda::Function": {
		{Sid: "AppFunctions", Actions: []string{
			"lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
			"lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:TagResource", "lambda:UntagResource",
			"lambda:ListTags", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
			"lambda:GetRuntimeManagementConfig", "lambda:PutRuntimeManagementConfig", "lambda:GetFunctionCodeSigningConfig",
			"lambda:GetFunctionRecursionConfig",
		}, Resources: []string{appFunctions}},
		{Sid: "Layers", Actions: []string{"lambda:GetLayerVersion"}, Resources: []string{appLayers}},
		// The delete handler waits for the network interfaces of a function in a VPC; the
		// create and update handlers read a VPC configuration's security groups, subnets and
		// VPC (the registry lists them whether or not the function has one, and a template
		// without a VPC, the pipeline's, gets them from no other type).
		{Sid: "EC2", Actions: []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"}},
		// Lambda reads the code from the bootstrap asset bucket with the caller's rights.
		{Sid: "ReadAssets", Actions: []string{"s3:GetObject", "s3:GetObjectVersion"}, Resources: []string{assetObjects}},
	},
	"AWS::Lambda::LayerVersion": {
		{Sid: "Layers", Actions: []string{"lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion"},
			Resources: []string{appLayers}},
		{Sid: "ReadAssets", Actions: []string{"s3:GetObject", "s3:GetObjectVersion"}, Resources: []string{assetObjects}},
	},
	"AWS::Lambda::Version": {{Sid: "AppFunctions", Actions: []string{
		"lambda:PublishVersion", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction",
		"lambda:DeleteFunction", "lambda:GetProvisionedConcurrencyConfig",
	}, Resources: []string{appFunctions}}},
	"AWS::Lambda::Alias": {
		{Sid: "AppFunctions", Actions: []string{
			"lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias", "lambda:DeleteAlias", "lambda:ListAliases",
			"lambda:GetProvisionedConcurrencyConfig",
		}, Resources: []string{appFunctions}},
		// The alias's CodeDeployLambdaAliasUpdate policy: CloudFormation starts, follows and,
		// on rollback, stops the deployment.
		{Sid: "CodeDeployGroups", Actions: []string{
			"codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:GetDeploymentConfig",
			"codedeploy:GetDeploymentGroup",
		}, Resources: []string{appDeployApplications, appDeployGroups, deployConfigs}},
		{Sid: "CodeDeployStop", Actions: []string{"codedeploy:StopDeployment"}},
	},
	"AWS::Lambda::Permission": {{Sid: "AppFunctions", Actions: []string{
		"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
	}, Resources: []string{appFunctions}}},

	"AWS::Logs::LogGroup": {{Sid: "Logs", Actions: []string{
		"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy",
		"logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource",
		"logs:UntagResource", "logs:ListTagsForResource", "logs:TagLogGroup", "logs:UntagLogGroup", "logs:ListTagsLogGroup",
		// Read on every create or update; the delete handler clears a data protection policy.
		"logs:DescribeIndexPolicies", "logs:DescribeResourcePolicies", "logs:GetDataProtectionPolicy",
		"logs:DeleteDataProtectionPolicy",
	}}},

	// Metric filters count the functions' log lines by cause (constructs/alarms); a
	// filter is addressed by its log group, whose name CloudFormation generates.
	"AWS::Logs::MetricFilter": {{Sid: "Logs", Actions: []string{
		"logs:PutMetricFilter", "logs:DescribeMetricFilters", "logs:DeleteMetricFilter",
	}}},

	"AWS::S3::Bucket": {{Sid: "AppBuckets", Actions: []string{
		"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:PutBucketTagging",
		"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketVersioning", "s3:PutBucketVersioning",
		"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
		"s3:PutBucketOwnershipControls", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
		"s3:GetBucketLogging", "s3:PutBucketLogging", "s3:GetBucketAcl", "s3:PutBucketAcl", "s3:GetBucketPolicy",
		// NotificationConfiguration (EventBridge) and ObjectLockEnabled, set by constructs/bucket.
		"s3:GetBucketNotification", "s3:PutBucketNotification",
		"s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration",
		"s3:TagResource", "s3:UntagResource", "s3:GetBucketMetadataTableConfiguration",
	}, Resources: []string{appBuckets}}},
	"AWS::S3::BucketPolicy": {{Sid: "AppBuckets", Actions: []string{
		"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
	}, Resources: []string{appBuckets}}},

	"AWS::SNS::Topic": {
		{Sid: "AppTopics", Actions: []string{
			"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource",
			"sns:UntagResource", "sns:ListTagsForResource", "sns:GetDataProtectionPolicy",
		}, Resources: []string{appTopics}},
		{Sid: "KMS", Actions: []string{"kms:DescribeKey"}},
	},
	"AWS::SNS::Subscription": {{Sid: "AppTopics", Actions: []string{
		"sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
		"sns:ListSubscriptionsByTopic",
	}, Resources: []string{appTopics}}},
	"AWS::SNS::TopicPolicy": {{Sid: "AppTopics", Actions: []string{
		"sns:GetTopicAttributes", "sns:SetTopicAttributes",
	}, Resources: []string{appTopics}}},

	"AWS::SecretsManager::Secret": {
		{Sid: "SecretsManager", Actions: []string{
			"secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:GetRandomPassword",
			"secretsmanager:TagResource", "secretsmanager:UntagResource",
		}},
		// CloudFormation names a secret "<logical id>-<random>", without the stack name, but
		// tags it with the stack's name (a reserved aws: tag nobody else can set): reading
		// the value (the update handler does), changing and deleting it are limited to
		// the environment's stacks' secrets.
		{Sid: "AppSecrets", Actions: []string{
			"secretsmanager:GetSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret",
		}, Resources: []string{"arn:{partition}:secretsmanager:{region}:{account}:secret:*"},
			Condition: map[string]map[string][]string{"StringLike": {"aws:ResourceTag/aws:cloudformation:stack-name": {"{prefix}-*"}}}},
	},

	// The pipeline account's types (stacks/pipeline.go: CDK Pipelines and its support
	// stacks).
	// CodeBuild projects have no registry handlers (NoRegistryHandlers): the actions are
	// those AWS's CodeBuild permissions reference lists for creating, reading, changing and
	// deleting a project, which pass its service role.
	"AWS::CodeBuild::Project": {
		{Sid: "PipelineProjects", Actions: []string{
			"codebuild:CreateProject", "codebuild:BatchGetProjects", "codebuild:UpdateProject", "codebuild:DeleteProject",
		}, Resources: []string{appProjects}},
		{Sid: "AppRoles", Actions: []string{"iam:PassRole"}, Resources: []string{appRoles}},
	},
	// The repository holds the code and is retained (stacks/pipeline.go): CloudFormation
	// never deletes it, so codecommit:DeleteRepository is not granted. No registry
	// handlers either: the actions are those of AWS's CodeCommit permissions reference.
	"AWS::CodeCommit::Repository": {{Sid: "PipelineRepository", Actions: []string{
		"codecommit:CreateRepository", "codecommit:GetRepository", "codecommit:UpdateRepositoryDescription",
		"codecommit:TagResource", "codecommit:UntagResource", "codecommit:ListTagsForResource",
	}, Resources: []string{appRepository}}},
	"AWS::CodePipeline::Pipeline": {
		{Sid: "PipelinePipelines", Actions: []string{
			"codepipeline:CreatePipeline", "codepipeline:GetPipeline", "codepipeline:GetPipelineState", "codepipeline:UpdatePipeline",
			"codepipeline:DeletePipeline", "codepipeline:StartPipelineExecution", "codepipeline:TagResource", "codepipeline:UntagResource",
			"codepipeline:DisableStageTransition", "codepipeline:EnableStageTransition",
		}, Resources: []string{appPipelines, appStages}},
		{Sid: "AppRoles", Actions: []string{"iam:GetRole", "iam:PassRole"}, Resources: []string{appRoles}},
		// A CodeConnections source: the pipeline passes the connection the account's
		// administrator made (config pipeline.source.connectionArn). Connections are named by a
		// random id; both ARN forms (codestar-connections, codeconnections) exist.
		{Sid: "PassConnections", Actions: []string{"codestar-connections:PassConnection"}, Resources: []string{
			"arn:{partition}:codestar-connections:{region}:{account}:connection/*",
			"arn:{partition}:codeconnections:{region}:{account}:connection/*",
		}},
	},
	// The CodeCommit source's trigger: a rule that starts the pipeline with its events role.
	"AWS::Events::Rule": {
		{Sid: "PipelineRules", Actions: []string{
			"events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets",
			"events:ListTargetsByRule", "events:TagResource", "events:UntagResource",
		}, Resources: []string{appRules}},
		{Sid: "AppRoles", Actions: []string{"iam:PassRole"}, Resources: []string{appRoles}},
	},

	"AWS::WAFv2::WebACL": {{Sid: "WAF", Actions: []string{
		"wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource",
		"wafv2:UntagResource", "wafv2:ListTagsForResource",
	}}},
	"AWS::WAFv2::WebACLAssociation": {
		{Sid: "WAF", Actions: []string{"wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource", "wafv2:GetWebACL"}},
		// Associating a web ACL with a REST API stage is also an API Gateway call.
		{Sid: "ApiGateway", Actions: []string{"apigateway:SetWebACL"}, Resources: apigateway.Resources},
	},
}

// apigateway is every API Gateway control-plane verb; API Gateway's IAM actions are the
// HTTP methods of its management API, scoped here to this region's APIs and settings.
var apigateway = Grant{
	Sid:       "ApiGateway",
	Actions:   []string{"apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"},
	Resources: []string{"arn:{partition}:apigateway:{region}::/*"},
}

// customResource is what every custom resource (type "Custom::*" or
// AWS::CloudFormation::CustomResource) needs: CloudFormation invokes the provider function,
// which the same stack creates, with the execution role.
var customResource = []Grant{{Sid: "AppFunctions", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{appFunctions}}}

// AttachablePolicies are the managed policies that a role of the app may have attached: the
// environment's own and the one AWS policy that CDK's custom-resource providers use.
var AttachablePolicies = []string{
	"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
	"arn:{partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
	appPolicies,
}

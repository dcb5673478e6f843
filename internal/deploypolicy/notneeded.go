package deploypolicy

// Unneeded is a group of permissions that AWS's registry schema of a resource type lists
// for its handlers (internal/deploypolicy/registry) and that the execution policy
// deliberately does not grant: schemas list the actions of every optional feature of a
// type, and the app's templates use few of them.
//
// The tests (test/registry_test.go) check that every action listed here is still in the
// type's registry handlers, and that no template sets any of Properties on a resource of
// Type; anything the registry lists that is neither here nor granted fails them.
type Unneeded struct {
	// Type is the CloudFormation resource type.
	Type string
	// Feature is the template feature the actions serve.
	Feature string
	// Properties are the property paths of Type that turn the feature on ("A.B" for a
	// nested property, "A[].B" inside a list). No template may set them. Empty when the
	// actions belong to no property (Why says why they are still not needed).
	Properties []string
	// Why the templates do not need the actions.
	Why string
	// Actions are the registry's permissions, spelled as the registry spells them.
	Actions []string
}

// NotNeeded is the one reviewed list of registry handler permissions that the execution
// policy leaves out. Keep each entry's Why true: if a template starts to use the feature,
// the tests fail until the entry goes and the table grants the actions.
var NotNeeded = []Unneeded{
	// Gradual deployments.
	{Type: "AWS::CodeDeploy::DeploymentGroup", Feature: "EC2 and on-premises instances", Properties: []string{"OnPremisesInstanceTagFilters", "OnPremisesTagSet", "Ec2TagFilters", "Ec2TagSet", "AutoScalingGroups"},
		Why:     "The deployment groups deploy Lambda aliases; they have no instances to register.",
		Actions: []string{"codedeploy:RegisterOnPremisesInstance"}},
	{Type: "AWS::Lambda::Alias", Feature: "provisioned concurrency", Properties: []string{"ProvisionedConcurrencyConfig"},
		Why:     "No alias keeps instances warm: Go functions start in milliseconds (docs/testing.md, cold start), and provisioned concurrency is billed by the hour (reading the setting is granted).",
		Actions: []string{"lambda:PutProvisionedConcurrencyConfig", "lambda:DeleteProvisionedConcurrencyConfig"}},
	{Type: "AWS::Lambda::Version", Feature: "provisioned concurrency", Properties: []string{"ProvisionedConcurrencyConfig"},
		Why:     "No version keeps instances warm (see the alias); reading the setting is granted.",
		Actions: []string{"lambda:PutProvisionedConcurrencyConfig"}},
	{Type: "AWS::Lambda::Version", Feature: "Lambda Managed Instances scaling", Properties: []string{"FunctionScalingConfig"},
		Why:     "The functions run on Lambda's default compute; no version sets a scaling configuration of managed instances.",
		Actions: []string{"lambda:PutFunctionScalingConfig"}},
	// Not IAM actions at all: the registry lists API operation names that IAM authorizes
	// under other actions (the IAM action catalog has none of these).
	{Type: "AWS::CloudFront::Distribution", Feature: "tags on create",
		Why:     "Not an IAM action: the CreateDistributionWithTags API is authorized as cloudfront:CreateDistribution and cloudfront:TagResource, both granted.",
		Actions: []string{"cloudfront:CreateDistributionWithTags"}},
	{Type: "AWS::S3::Bucket", Feature: "removing a bucket configuration on update",
		Why: "Not IAM actions: S3 authorizes DeleteBucketCors, DeleteBucketEncryption, DeleteBucketLifecycle, DeleteBucketAnalyticsConfiguration, DeleteBucketMetricsConfiguration and DeleteBucketReplication as the matching s3:Put* action (granted for what the templates configure) and PutObjectLockConfiguration/PutBucketReplication are API names of s3:PutBucketObjectLockConfiguration and s3:PutReplicationConfiguration.",
		Actions: []string{"s3:DeleteBucketAnalyticsConfiguration", "s3:DeleteBucketCors", "s3:DeleteBucketEncryption", "s3:DeleteBucketLifecycle",
			"s3:DeleteBucketMetricsConfiguration", "s3:DeleteBucketReplication", "s3:PutBucketReplication", "s3:PutObjectLockConfiguration"}},
	{Type: "AWS::DynamoDB::Table", Feature: "import from S3", Properties: []string{"ImportSourceSpecification"},
		Why:     "Not an IAM action (object metadata is read with s3:GetObject); it serves a table imported from S3, which no template has.",
		Actions: []string{"s3:GetObjectMetadata"}},
	{Type: "AWS::Logs::LogGroup", Feature: "log groups of the DELIVERY class (vended logs to S3 or Firehose)", Properties: []string{"LogGroupClass"},
		Why:     "s3:REST.PUT.OBJECT is an S3 request name, not an IAM action; firehose:TagDeliveryStream tags a Firehose delivery stream and logs:CreateLogDelivery sets up the delivery: all serve delivery-class log groups, and every log group of the app and the pipeline is a standard one (an environment's VPC flow logs get logs:CreateLogDelivery from AWS::EC2::FlowLog).",
		Actions: []string{"s3:REST.PUT.OBJECT", "firehose:TagDeliveryStream", "logs:CreateLogDelivery"}},
	{Type: "AWS::EC2::VPCEndpoint", Feature: "service-network endpoints (VPC Lattice)", Properties: []string{"ServiceNetworkArn", "ResourceConfigurationArn"},
		Why:     "The endpoints are gateway or interface endpoints of AWS services; vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation is not even an IAM action.",
		Actions: []string{"vpc-lattice:CreateServiceNetworkVpcEndpointAssociation", "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation"}},
	{Type: "AWS::EC2::VPCEndpoint", Feature: "cross-region interface endpoints", Properties: []string{"ServiceRegion"},
		Why:     "Every endpoint reaches a service in the environment's own region.",
		Actions: []string{"vpce:AllowMultiRegion"}},

	// Service-linked roles: the policies deny iam:CreateServiceLinkedRole on purpose (see
	// docs/delivery.md, the execution policy): a service that needs one gets it once from an administrator.
	{Type: "AWS::CloudTrail::Trail", Feature: "organization trails", Properties: []string{"IsOrganizationTrail"},
		Why:     "The trail records one account; an organization trail needs CloudTrail's service-linked role and the organization's consent, both outside the app.",
		Actions: []string{"iam:CreateServiceLinkedRole", "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization"}},
	{Type: "AWS::DynamoDB::Table", Feature: "service-linked role for replication and contributor insights",
		Why:     "DynamoDB creates its service-linked role for global-table replication and contributor insights, which the table does not use; creating service-linked roles is denied on purpose.",
		Actions: []string{"iam:CreateServiceLinkedRole"}},
	{Type: "AWS::Cognito::UserPool", Feature: "Cognito's service-linked role",
		Why:     "Creating service-linked roles is denied on purpose; Cognito creates its role only for integrations (analytics, custom messaging) that the user pool does not use. If a deployment ever stops on it, an administrator creates the role once.",
		Actions: []string{"iam:CreateServiceLinkedRole"}},
	{Type: "AWS::Cognito::UserPoolClient", Feature: "Cognito's service-linked role", Properties: []string{"AnalyticsConfiguration"},
		Why:     "Creating service-linked roles is denied on purpose; the app client sends no analytics to Amazon Pinpoint, the integration that needs the role.",
		Actions: []string{"iam:CreateServiceLinkedRole"}},
	{Type: "AWS::EC2::FlowLog", Feature: "service-linked role for log delivery", Properties: []string{"LogDestination", "DeliverCrossAccountRole"},
		Why:     "The flow log writes to a CloudWatch Logs group through its own role (DeliverLogsPermissionArn); delivery to S3 or Firehose would use the log-delivery service-linked role, and creating one is denied on purpose.",
		Actions: []string{"iam:CreateServiceLinkedRole"}},
	{Type: "AWS::EC2::FlowLog", Feature: "flow logs of Auto Scaling resources",
		Why:     "Auto Scaling tags serve no flow log of a VPC, the only resource the app logs (ResourceType VPC); ec2:DescribeTags is granted.",
		Actions: []string{"autoscaling:DescribeTags"}},

	// Denied on purpose.
	{Type: "AWS::IAM::Role", Feature: "removing a role's permissions boundary",
		Why:     "Every role carries the environment's boundary (TestDeployPolicyRolesCarryBoundary), and removing a boundary is explicitly denied (DenyBoundaryRemoval).",
		Actions: []string{"iam:DeleteRolePermissionsBoundary"}},
	{Type: "AWS::IAM::ManagedPolicy", Feature: "attaching managed policies to groups and users", Properties: []string{"Groups", "Users"},
		Why:     "The app has no IAM groups or users (creating them and attaching policies to them is denied); policies attach to roles only.",
		Actions: []string{"iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:DetachGroupPolicy", "iam:DetachUserPolicy"}},
	{Type: "AWS::IAM::Policy", Feature: "inline policies of groups and users", Properties: []string{"Groups", "Users"},
		Why:     "The app has no IAM groups or users; inline policies go to roles only.",
		Actions: []string{"iam:DeleteGroupPolicy", "iam:DeleteUserPolicy", "iam:GetGroupPolicy", "iam:GetUserPolicy", "iam:PutGroupPolicy", "iam:PutUserPolicy"}},

	{Type: "AWS::ApiGateway::RestApi", Feature: "resource policy", Properties: []string{"Policy"},
		Why:     "The REST API is regional and public behind Cognito and WAF; it has no resource policy.",
		Actions: []string{"apigateway:UpdateRestApiPolicy"}},

	{Type: "AWS::CloudFront::Distribution", Feature: "connection groups (multi-tenant distributions, Anycast static IPs)",
		Properties: []string{"DistributionConfig.ConnectionMode", "DistributionConfig.AnycastIpListId", "DistributionConfig.TenantConfig"},
		Why:        "The distribution is a standard single-tenant one on CloudFront's default addresses.",
		Actions:    []string{"cloudfront:CreateConnectionGroup", "cloudfront:GetConnectionGroup"}},
	{Type: "AWS::CloudFront::Distribution", Feature: "VPC origins", Properties: []string{"DistributionConfig.Origins[].VpcOriginConfig"},
		Why:     "The origins are the S3 bucket (origin access control) and the public API endpoint.",
		Actions: []string{"cloudfront:GetVpcOrigin"}},
	{Type: "AWS::CloudFront::Distribution", Feature: "continuous deployment (staging distributions)",
		Properties: []string{"DistributionConfig.ContinuousDeploymentPolicyId", "DistributionConfig.Staging"},
		Why:        "Changes go live through the pipeline's stages, not through a staging distribution.",
		Actions:    []string{"cloudfront:UpdateDistributionWithStagingConfig"}},

	{Type: "AWS::CloudTrail::Trail", Feature: "event aggregation", Properties: []string{"AggregationConfigurations"},
		Why:     "The trail records events as they are; it aggregates none.",
		Actions: []string{"CloudTrail:PutEventConfiguration"}},

	{Type: "AWS::Cognito::UserPool", Feature: "customer-managed KMS key (user pool encryption, custom sender triggers)",
		Properties: []string{"KeyConfiguration", "LambdaConfig.KMSKeyID"},
		Why:        "The user pool keeps Cognito's own encryption and has no custom email or SMS sender.",
		Actions: []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
			"kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}},
	{Type: "AWS::Cognito::UserPoolDomain", Feature: "domain of a user pool encrypted with a customer-managed key",
		Why: "These serve a user pool with a customer-managed key (AWS::Cognito::UserPool KeyConfiguration), which no template sets (see that entry); the domain is a Cognito prefix domain.",
		Actions: []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext",
			"kms:ReEncryptFrom", "kms:ReEncryptTo"}},

	{Type: "AWS::DynamoDB::Table", Feature: "replicas (adding the table to a global table)",
		Why: "The table lives in one region: no template has an AWS::DynamoDB::GlobalTable. Creating a replica needs CreateTableReplica and AssociateTableReplica, and the item reads and writes that seed it from this table.",
		Actions: []string{"dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem",
			"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"}},
	{Type: "AWS::DynamoDB::Table", Feature: "Kinesis Data Streams destination", Properties: []string{"KinesisStreamSpecification"},
		Why: "The table streams to no Kinesis stream.",
		Actions: []string{"dynamodb:DisableKinesisStreamingDestination", "dynamodb:EnableKinesisStreamingDestination",
			"dynamodb:UpdateKinesisStreamingDestination", "kinesis:DescribeStream", "kinesis:PutRecords"}},
	{Type: "AWS::DynamoDB::Table", Feature: "import from S3", Properties: []string{"ImportSourceSpecification"},
		Why:     "The table starts empty; the import's error log would need the log stream actions.",
		Actions: []string{"dynamodb:DescribeImport", "dynamodb:ImportTable", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}},
	{Type: "AWS::DynamoDB::Table", Feature: "contributor insights",
		Properties: []string{"ContributorInsightsSpecification", "GlobalSecondaryIndexes[].ContributorInsightsSpecification"},
		Why:        "Contributor insights are off (the handler reads the setting: dynamodb:DescribeContributorInsights is granted).",
		Actions:    []string{"dynamodb:UpdateContributorInsights"}},
	{Type: "AWS::DynamoDB::Table", Feature: "resource policy", Properties: []string{"ResourcePolicy"},
		Why:     "Access to the table is granted by identity policies of the app's roles; the table has no resource policy (dynamodb:GetResourcePolicy, read on every create and update, is granted).",
		Actions: []string{"dynamodb:DeleteResourcePolicy", "dynamodb:PutResourcePolicy"}},

	{Type: "AWS::EC2::Subnet", Feature: "IPv6 CIDR blocks", Properties: []string{"Ipv6CidrBlock", "Ipv6CidrBlocks", "Ipv6IpamPoolId"},
		Why:     "The VPC is IPv4 only.",
		Actions: []string{"ec2:AssociateSubnetCidrBlock", "ec2:DisassociateSubnetCidrBlock"}},
	{Type: "AWS::EC2::VPC", Feature: "VPC encryption control", Properties: []string{"VpcEncryptionControl"},
		Why:     "The VPC sets no encryption-control mode.",
		Actions: []string{"ec2:CreateVpcEncryptionControl"}},
	{Type: "AWS::EC2::VPC", Feature: "changing the tenancy of a VPC",
		Why:     "EC2 only changes a VPC's tenancy from dedicated to default; the VPC is created with default tenancy (InstanceTenancy default), so there is nothing to change.",
		Actions: []string{"ec2:ModifyVpcTenancy"}},

	{Type: "AWS::Lambda::Function", Feature: "customer-managed KMS key for environment variables or code", Properties: []string{"KmsKeyArn", "Code.SourceKMSKeyArn"},
		Why:     "The functions keep Lambda's own key for environment variables and code (their environment holds no secret: the cursor key is read from Secrets Manager).",
		Actions: []string{"kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}},
	{Type: "AWS::Lambda::Function", Feature: "code signing", Properties: []string{"CodeSigningConfigArn"},
		Why:     "The functions have no code-signing configuration (the handler reads it: lambda:GetFunctionCodeSigningConfig is granted).",
		Actions: []string{"lambda:DeleteFunctionCodeSigningConfig", "lambda:GetCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig"}},
	{Type: "AWS::Lambda::Function", Feature: "file systems (EFS, S3 Files)", Properties: []string{"FileSystemConfigs"},
		Why:     "No function mounts a file system.",
		Actions: []string{"elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets"}},
	{Type: "AWS::Lambda::Function", Feature: "recursive loop setting", Properties: []string{"RecursiveLoop"},
		Why:     "The functions keep Lambda's default (recursive loops are stopped); the handler reads it: lambda:GetFunctionRecursionConfig is granted.",
		Actions: []string{"lambda:PutFunctionRecursionConfig"}},
	{Type: "AWS::Lambda::Function", Feature: "Lambda Managed Instances (capacity providers, scaling, published versions)",
		Properties: []string{"CapacityProviderConfig", "FunctionScalingConfig", "PublishToLatestPublished"},
		Why:        "The functions run on Lambda's default on-demand compute.",
		Actions:    []string{"lambda:PassCapacityProvider", "lambda:PutFunctionScalingConfig", "lambda:PublishVersion"}},

	{Type: "AWS::Logs::LogGroup", Feature: "bearer-token authentication", Properties: []string{"BearerTokenAuthenticationEnabled"},
		Why:     "Logs reach the groups through AWS services and roles, not HTTP bearer tokens.",
		Actions: []string{"logs:PutBearerTokenAuthentication"}},
	{Type: "AWS::Logs::LogGroup", Feature: "data protection policy", Properties: []string{"DataProtectionPolicy"},
		Why:     "The functions log no personal data (see DESIGN.md, Lambdas), so no group masks any; reading and deleting the policy is granted.",
		Actions: []string{"logs:PutDataProtectionPolicy"}},
	{Type: "AWS::Logs::LogGroup", Feature: "field index policies", Properties: []string{"FieldIndexPolicies"},
		Why:     "No group indexes fields (logs:DescribeIndexPolicies, read on create, is granted); an update has no index policy to remove.",
		Actions: []string{"logs:PutIndexPolicy", "logs:DeleteIndexPolicy"}},
	{Type: "AWS::Logs::LogGroup", Feature: "log group resource policy", Properties: []string{"ResourcePolicyDocument"},
		Why:     "Writers reach the groups with their own roles; no group has a resource policy (logs:DescribeResourcePolicies is granted).",
		Actions: []string{"logs:PutResourcePolicy", "logs:DeleteResourcePolicy"}},
	{Type: "AWS::Logs::LogGroup", Feature: "deletion protection", Properties: []string{"DeletionProtectionEnabled"},
		Why:     "Retention of log groups follows the environment's removal policy; no group sets deletion protection.",
		Actions: []string{"logs:PutLogGroupDeletionProtection"}},

	{Type: "AWS::S3::Bucket", Feature: "optional bucket configurations", Properties: []string{"AccelerateConfiguration", "AnalyticsConfigurations",
		"CorsConfiguration", "IntelligentTieringConfigurations", "InventoryConfigurations", "MetricsConfigurations",
		"WebsiteConfiguration", "AbacStatus"},
		Why: "The buckets are private stores (site, access logs, trail) read through CloudFront or AWS services: no transfer acceleration, analytics, CORS, tiering, inventory, request metrics, website hosting or ABAC (event notifications go to EventBridge, and are granted).",
		Actions: []string{"s3:PutAccelerateConfiguration", "s3:PutAnalyticsConfiguration", "s3:PutBucketCORS", "s3:PutIntelligentTieringConfiguration",
			"s3:PutInventoryConfiguration", "s3:PutMetricsConfiguration", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite",
			"s3:PutBucketAbac"}},
	{Type: "AWS::S3::Bucket", Feature: "replication", Properties: []string{"ReplicationConfiguration"},
		Why:     "No bucket replicates (iam:PassRole of the replication role is granted on the app's roles anyway).",
		Actions: []string{"s3:PutReplicationConfiguration"}},
	{Type: "AWS::S3::Bucket", Feature: "metadata tables (S3 Tables)", Properties: []string{"MetadataConfiguration", "MetadataTableConfiguration"},
		Why: "No bucket keeps a metadata table (reading the setting is granted).",
		Actions: []string{"s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucketMetadataTableConfiguration",
			"s3:UpdateBucketMetadataAnnotationTableConfiguration", "s3:UpdateBucketMetadataInventoryTableConfiguration",
			"s3:UpdateBucketMetadataJournalTableConfiguration", "s3tables:CreateNamespace", "s3tables:CreateTable", "s3tables:CreateTableBucket",
			"s3tables:GetTable", "s3tables:GetTableMetadataLocation", "s3tables:PutTableBucketPolicy", "s3tables:PutTableEncryption",
			"s3tables:PutTablePolicy", "s3tables:UpdateTableMetadataLocation"}},
	{Type: "AWS::S3::Bucket", Feature: "object ACLs (canned ACL on create)", Properties: []string{"AccessControl"},
		Why:     "Object-level calls on the bucket being created; the registry lists them for the legacy canned-ACL property, which no template sets (ownership comes from OwnershipControls). Judgement, not proof: the S3 handler is not open source, and dev deploys before prod.",
		Actions: []string{"s3:PutObjectAcl", "s3:DeleteObject"}},

	{Type: "AWS::SNS::Topic", Feature: "data protection policy", Properties: []string{"DataProtectionPolicy"},
		Why:     "Alarm notifications carry no personal data (reading the policy, on update, is granted).",
		Actions: []string{"sns:PutDataProtectionPolicy"}},

	{Type: "AWS::SecretsManager::Secret", Feature: "replica regions", Properties: []string{"ReplicaRegions"},
		Why:     "The secret lives in the environment's region only.",
		Actions: []string{"secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication"}},

	{Type: "AWS::WAFv2::WebACLAssociation", Feature: "protected resources other than a REST API stage",
		Why: "The web ACL protects the API Gateway stage only (the association's ResourceArn is the stage); the actions of the other protectable services (Amplify, App Runner, AppSync, AgentCore, ALB, Cognito, Verified Access) and of shared rule groups are never called.",
		Actions: []string{"amplify:AssociateWebACL", "amplify:DisassociateWebACL", "amplify:GetWebACLForResource",
			"apprunner:AssociateWebAcl", "apprunner:DescribeWebAclForService", "apprunner:DisassociateWebAcl",
			"appsync:AssociateWebACL", "appsync:DisassociateWebACL", "appsync:GetWebACLForResource", "appsync:SetWebACL",
			"bedrock-agentcore:GatewayAssociateWebACL", "bedrock-agentcore:GatewayDisassociateWebACL", "bedrock-agentcore:GatewayGetWebACLForResource",
			"cognito-idp:AssociateWebACL", "cognito-idp:DisassociateWebACL", "cognito-idp:GetWebACLForResource",
			"ec2:AssociateVerifiedAccessInstanceWebAcl", "ec2:DescribeVerifiedAccessInstanceWebAclAssociations",
			"ec2:DisassociateVerifiedAccessInstanceWebAcl", "ec2:GetVerifiedAccessInstanceWebAcl",
			"elasticloadbalancing:CreateWebACLAssociation", "elasticloadbalancing:DeleteWebACLAssociation",
			"elasticloadbalancing:GetLoadBalancerWebACL", "elasticloadbalancing:SetWebACL",
			"wafv2:GetPermissionPolicy", "wafv2:PutPermissionPolicy"}},
}

// NoRegistryHandlers are the resource types the templates use whose registry schema has
// no handlers section, so the registry lists no permissions for them, with how their
// permissions are known instead.
var NoRegistryHandlers = map[string]string{
	"AWS::CloudFormation::CustomResource": "A custom resource (also every Custom::* type) is handled by CloudFormation invoking its provider, a Lambda function of the same stack: the execution role needs lambda:InvokeFunction on the app's functions (customResource); the provider calls AWS with its own role.",
	"AWS::CodeBuild::Project":             "Pipeline account only. CloudFormation implements the type itself; the actions are those of AWS's CodeBuild permissions reference (https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-permissions-reference.html): CreateProject, BatchGetProjects, UpdateProject and DeleteProject on the project, and iam:PassRole of its service role.",
	"AWS::CodeCommit::Repository":         "Pipeline account only. CloudFormation implements the type itself; the actions are those of AWS's CodeCommit permissions reference (https://docs.aws.amazon.com/codecommit/latest/userguide/auth-and-access-control-permissions-reference.html) for creating, reading, describing and tagging a repository; it is retained, so never deleted.",
	"AWS::Route53::RecordSet":             "Not used by any template today; listed because the vendored data includes it.",
}

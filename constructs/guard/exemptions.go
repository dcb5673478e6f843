package guard

// This file is the one reviewed list of exemptions from AWS Control Tower's proactive
// controls. test/controltower_test.go fails on any failure not listed here, on an entry
// that matches no resource or exempts nothing that fails (stale), and on suppression
// metadata that does not come from here. Change it in a reviewed pull request, with the
// reason a security reviewer can check.

// Control ids used below.
const (
	s3AccessLogging    = "CT.S3.PR.2"
	s3ObjectLock       = "CT.S3.PR.9"
	lambdaInVPC        = "CT.LAMBDA.PR.3"
	cloudFrontFailover = "CT.CLOUDFRONT.PR.4"
)

// Resource types used below.
const (
	bucketType       = "AWS::S3::Bucket"
	functionType     = "AWS::Lambda::Function"
	distributionType = "AWS::CloudFront::Distribution"
)

// Log buckets: the destinations of server access logs (and of CloudFront's logs).
var logBuckets = []string{
	"*/Base/AccessLogs/Resource",
	"*/Frontend/Site/Logs/Resource",
	"*-pipeline/ArtifactAccessLogs/Resource",
	"cross-region-stack-*/ReplicationAccessLogs/Resource",
}

// Waivers are the per-resource exemptions; Apply writes them into the templates.
var Waivers = func() []Waiver {
	var w []Waiver
	for _, p := range logBuckets {
		w = append(w,
			Waiver{Control: s3AccessLogging, Type: bucketType, Path: p,
				Reason: "A log bucket receives the server access logs of the other buckets; logging its own accesses into itself would write a log object for every log object, forever, and S3 recommends against it. Its writes are recorded by CloudTrail management events, and it is KMS-encrypted, TLS-only and private."},
			Waiver{Control: s3ObjectLock, Type: bucketType, Path: p,
				Reason: "S3 does not deliver server access logs into a bucket with Object Lock (Amazon S3 User Guide, 'Configuring S3 Object Lock'); the log bucket is versioned, expires its logs and only the logging services may write to it."},
		)
	}
	return append(w,
		Waiver{Control: s3ObjectLock, Type: bucketType, Path: "*/Frontend/Site/Bucket/Resource",
			Reason: "The site bucket holds the public single-page app, replaced by every deployment (BucketDeployment prunes old files). CDK's read-write grant to the deployment role includes s3:PutObjectRetention and s3:PutObjectLegalHold, which take effect only with Object Lock: a deployment could then lock files it must later delete. Versioning already keeps every previous file."},
		Waiver{Control: s3ObjectLock, Type: bucketType, Path: "*-pipeline/Artifacts/Resource",
			Reason: "Pipeline artifacts and the build cache are scratch data of one execution that expire after 30 days. CDK's grants to the pipeline roles include s3:PutObjectRetention and s3:PutObjectLegalHold, which take effect only with Object Lock: a build could then lock objects that the lifecycle rule must delete. Versioning keeps overwritten objects until they expire."},
		Waiver{Control: s3ObjectLock, Type: bucketType, Path: "cross-region-stack-*/Default/CrossRegionCodePipelineReplicationBucket/Resource",
			Reason: "CodePipeline's cross-region copy of the artifacts (made by CDK Pipelines): scratch data that expires after 30 days like the artifact bucket, written by the pipeline roles only; versioned, KMS-encrypted, access-logged."},
		Waiver{Control: cloudFrontFailover, Type: distributionType, Path: "*/Frontend/Site/Resource/Resource",
			Reason: "Origin failover needs a second, replicated copy of the site bucket in another region. The app runs in one region (its API, table and user pool are regional too, so a second origin would not keep the app up); the static files are redeployed by the pipeline from the repository at any time."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*/Backend/PreTrafficCheck/Resource/Resource",
			Reason: "CodeDeploy's pre-traffic check calls the Lambda API (to invoke the new version) and the CodeDeploy API (to read the deployment and report), and reads no data; the isolated subnets reach neither API without two more interface endpoints. It runs only during deployments, with a role limited to invoking this environment's function versions and reporting on its deployment groups."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*/Base/AWS679f53fac002430cb0da5b7982bd2287/Resource",
			Reason: "CDK's AwsCustomResource provider that looks up the region's DynamoDB prefix list id at deploy time (for the functions' security group); it calls the EC2 API, which the isolated subnets cannot reach, and its role may only call ec2:DescribeManagedPrefixLists."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*/Base/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler",
			Reason: "CDK's deployment-time handler that removes the rules of the VPC's default security group. It calls the EC2 API, which the isolated subnets cannot reach (no NAT, no EC2 endpoint), and CDK's CustomResourceProvider offers no VPC placement; it runs only during deployments, with a role limited to that security group."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*/*/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
			Reason: "CDK's deployment-time handler that empties a bucket when its stack is deleted (removalPolicy destroy, non-production only). CDK's CustomResourceProvider offers no VPC placement; it runs only when CloudFormation deletes a bucket, with a role limited to the buckets tagged for it."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*/Frontend/Custom::CDKBucketDeployment*/Resource",
			Reason: "CDK's BucketDeployment handler copies the app into its bucket and invalidates the CloudFront cache. CloudFront's API has no VPC endpoint, so from the isolated subnets the invalidation could not run; the function runs only during deployments."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*-pipeline/Pipeline/PipelinesSecurityCheck/CDKPipelinesAutoApprove/Resource",
			Reason: "CDK Pipelines' auto-approval function of the permissions-broadening check calls the CodePipeline API from the pipeline account, which has no VPC; the construct offers no VPC placement and the role may only approve pipelines tagged for it."},
		Waiver{Control: lambdaInVPC, Type: functionType, Path: "*-pipeline/AWS679f53fac002430cb0da5b7982bd2287/Resource",
			Reason: "CDK's AwsCustomResource provider that creates, updates and associates the pull-request check's CodeCommit approval rule template at deploy time; it calls the CodeCommit API from the pipeline account, which has no VPC, runs only when the pipeline stack deploys, and its role may only manage approval rule templates and associate them with the pipeline's repository."},
	)
}()

// NotApplicableControls are the controls that cannot apply to some configurations.
var NotApplicableControls = []NotApplicable{
	{Control: lambdaInVPC, When: func(f Facts) bool { return !f.Pipeline && !f.PrivateFunctions },
		Reason: "config.environments[].privateFunctions is off (the default outside production): the environment's functions run outside a VPC by choice, without the interface endpoints a private VPC needs (about 15 USD a month). Production turns it on and is held to the control, with the waivers above for CDK's deploy-time handlers."},
	{Control: "CT.CLOUDWATCH.PR.2", When: func(f Facts) bool { return !f.Pipeline && f.LogRetentionDays < 365 },
		Reason: "The environment keeps its logs for fewer days than the control's 365 by configuration (config.environments[].logRetentionDays, e.g. 30 for dev). An organization that enables CT.CLOUDWATCH.PR.2 sets logRetentionDays to 365 or more; prod does, and the test holds it and the pipeline to the control."},
	{Control: "CT.CLOUDFRONT.PR.6", When: func(f Facts) bool { return !f.Pipeline && !f.CustomDomain },
		Reason: "Without a custom domain (config domainName and certificateArn) CloudFront serves its *.cloudfront.net certificate; a custom certificate needs a domain. The custom-domain configuration is held to the control."},
	{Control: "CT.CLOUDFRONT.PR.7", When: func(f Facts) bool { return !f.Pipeline && !f.CustomDomain },
		Reason: "SNI applies to a custom certificate, which needs a custom domain (config domainName); the default *.cloudfront.net certificate is served by CloudFront itself. The custom-domain configuration is held to the control."},
	{Control: "CT.CLOUDFRONT.PR.9", When: func(f Facts) bool { return !f.Pipeline && !f.CustomDomain },
		Reason: "CloudFront cannot pin a minimum TLS version on its default *.cloudfront.net certificate; with a custom domain the distribution uses TLSv1.2_2021, and the custom-domain configuration is held to the control."},
}

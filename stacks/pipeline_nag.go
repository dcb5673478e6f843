package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/internal/config"
)

// suppressPipelineFindings records the reviewed cdk-nag findings of the pipeline stack, each
// on the one generated policy that causes it and narrowed with appliesTo. Every one of them
// is CDK Pipelines' own grant: the wildcard is either an S3/KMS action group on the one
// artifact bucket and key, a log group or report group named after the project, or an
// AssumeRole narrowed by a tag condition to the CDK bootstrap roles.
func suppressPipelineFindings(stack awscdk.Stack, cfg *config.Config, artifacts awss3.IBucket) {
	p := cfg.Pipeline
	bucketID := *stack.GetLogicalId(artifacts.Node().DefaultChild().(awscdk.CfnElement))
	logGroup := func(project string) string {
		return fmt.Sprintf("Resource::arn:aws:logs:%s:%s:log-group:/aws/codebuild/<%s>:*", p.Region, p.Account, project)
	}
	reportGroup := func(project string) string {
		return fmt.Sprintf("Resource::arn:aws:codebuild:%s:%s:report-group/<%s>-*", p.Region, p.Account, project)
	}
	artifactRead := []string{"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Resource::<" + bucketID + ".Arn>/*"}
	artifactWrite := append([]string{"Action::s3:Abort*", "Action::s3:DeleteObject*"}, artifactRead...)
	artifactRead = append(artifactRead, "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	artifactWrite = append(artifactWrite, "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	const artifactReason = "CDK Pipelines grants object-level access (s3:GetObject*, s3:List*, s3:GetBucket*; writers also s3:DeleteObject*, s3:Abort*) on the one artifact bucket's objects" +
		" and encrypt/decrypt (kms:GenerateDataKey*, kms:ReEncrypt*) on its one artifact key, because execution ids in object keys are not known at synth."
	const logsReason = "CodeBuild writes its logs to /aws/codebuild/<its own project> and reports to report groups named after its own project; the wildcard is the stream and report names it creates per build."
	project := func(path string) string {
		return *stack.GetLogicalId(find(stack, path).Node().DefaultChild().(awscdk.CfnElement))
	}
	codebuildRole := func(rolePath, projectPath string, write bool) {
		applies := append([]string{}, artifactRead...)
		reason := artifactReason + " " + logsReason
		if write {
			applies = append([]string{}, artifactWrite...)
			reason += " The write actions serve the step's output artifact or its S3 build cache (CDK's codebuild.Cache.bucket grants read-write on the whole bucket, not only its build-cache/ prefix)."
		}
		id := project(projectPath)
		nag.Suppress(find(stack, rolePath+"/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
			reason, append(applies, logGroup(id), reportGroup(id))...)
	}

	// The pipeline's own role and the source action move artifacts in and out of the bucket.
	nag.Suppress(find(stack, "Pipeline/Pipeline/Role/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5", artifactReason, artifactWrite...)
	if len(otherRegions(cfg)) > 0 {
		// Environments in other regions: CodePipeline replicates artifacts to a bucket of a
		// support stack in each such region, encrypted with that region's key.
		nag.Suppress(find(stack, "Pipeline/Pipeline/Role/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
			"Cross-region stages: the pipeline role writes artifacts (object keys per execution) into the replication bucket of each region's support stack,"+
				" and uses that region's replication key, which CDK cannot reference across regions and so grants as '*' (its key policy admits only this account).",
			`/^Resource::arn:aws:s3:::`+PipelineStackName(cfg.AppName)+`-support-[a-z0-9]+\/\*$/`, "Resource::*")
	}
	nag.Suppress(find(stack, "Pipeline/Pipeline/Source/Source/CodePipelineActionRole/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
		artifactReason, artifactWrite...)

	// Synth writes the cloud assembly and the build cache (build-cache/synth) to the bucket.
	codebuildRole("Pipeline/Pipeline/Build/Synth/CdkBuildProject/Role", "Pipeline/Pipeline/Build/Synth/CdkBuildProject", true)

	// Self-mutation deploys the pipeline stack itself through the bootstrap roles.
	codebuildRole("Pipeline/UpdatePipeline/SelfMutation/Role", "Pipeline/UpdatePipeline/SelfMutation", false)
	nag.Suppress(find(stack, "Pipeline/UpdatePipeline/SelfMutation/Role/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
		"`cdk deploy` of the pipeline stack: cloudformation:DescribeStacks and s3:ListBucket have no useful resource scope before the stack exists,"+
			" and sts:AssumeRole on role/* is limited by the condition iam:ResourceTag/aws-cdk:bootstrap-role to the CDK bootstrap roles of the pipeline account.",
		"Resource::*", "Resource::arn:*:iam::"+p.Account+":role/*")

	// One role publishes every file asset; its projects are generated per asset, so its log
	// and report groups are every CodeBuild group of the account and region.
	nag.Suppress(find(stack, "Pipeline/Assets/FileRole/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
		artifactReason+" The single asset-publishing role serves one generated CodeBuild project per asset, so it writes to /aws/codebuild/* log and report groups of this account and region,"+
			" and codebuild:StartBuild/BatchGetBuilds/StopBuild carry no resource scope in the generated statement; it can only assume the file-publishing bootstrap roles of the target accounts.",
		append(append([]string{}, artifactRead...),
			"Resource::*",
			fmt.Sprintf("Resource::arn:aws:logs:%s:%s:log-group:/aws/codebuild/*", p.Region, p.Account),
			fmt.Sprintf("Resource::arn:aws:codebuild:%s:%s:report-group/*", p.Region, p.Account))...)

	approval := false
	for i, e := range cfg.Environments {
		stage := "Pipeline/Pipeline/" + e.Name
		step := func(name string) (role, project string) {
			return stage + "/" + name + "/" + name + "/Role", stage + "/" + name + "/" + name
		}
		// The smoke test and the drift check only read their input; the compatibility
		// gate, the policy check and the artifact tests also keep a build cache on the
		// artifact bucket.
		for _, name := range []string{"SmokeTest", DriftCheckStepName} {
			role, project := step(name)
			codebuildRole(role, project, false)
		}
		role, project := step(CompatGateStepName)
		codebuildRole(role, project, true)
		// The policy check keeps Go's and npm's caches on the artifact bucket too.
		role, project = step(PolicyCheckStepName)
		codebuildRole(role, project, true)
		if i == 0 {
			role, project := step(ArtifactTestsStepID)
			codebuildRole(role, project, true)
		}
		approval = approval || e.RequireApproval
	}

	if approval {
		// ConfirmPermissionsBroadening: a CodeBuild project that runs `cdk diff --security-only`
		// against the target account and a function that approves when nothing broadens.
		check := "Pipeline/PipelinesSecurityCheck/CDKSecurityCheck"
		codebuildRole(check+"/Role", check, false)
		nag.Suppress(find(stack, check+"/Role/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
			"The security check assumes only roles tagged aws-cdk:bootstrap-role=deploy (the condition on sts:AssumeRole; the target accounts' roles cannot be named here),"+
				" and invokes any version of its own auto-approve function.",
			"Resource::*", "Resource::<"+project("Pipeline/PipelinesSecurityCheck/CDKPipelinesAutoApprove")+".Arn>:*")
		approve := "Pipeline/PipelinesSecurityCheck/CDKPipelinesAutoApprove/ServiceRole"
		nag.Suppress(find(stack, approve+"/Resource"), false, "AwsSolutions-IAM4",
			"CDK Pipelines' auto-approve function logs through AWSLambdaBasicExecutionRole (CreateLogGroup/CreateLogStream/PutLogEvents only); the construct does not take a role.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
		nag.Suppress(find(stack, approve+"/DefaultPolicy/Resource"), false, "AwsSolutions-IAM5",
			"codepipeline:GetPipelineState and PutApprovalResult are limited by the condition aws:ResourceTag/SECURITY_CHECK=ALLOW_APPROVE to pipelines tagged for auto-approval (this one).",
			"Resource::*")
	}
}

// otherRegions are the regions of environments' stacks (an Edge stack's us-east-1
// included) that are not the pipeline's region.
func otherRegions(cfg *config.Config) []string {
	var out []string
	for _, e := range cfg.Environments {
		for _, r := range e.Regions() {
			if r != cfg.Pipeline.Region && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// find returns the construct at a path below scope ("a/b/c"), or panics naming the path:
// a CDK upgrade that moves a generated construct must fail synth, not drop a suppression.
func find(scope constructs.IConstruct, path string) constructs.IConstruct {
	cur := scope
	for _, id := range strings.Split(path, "/") {
		next := cur.Node().TryFindChild(jsii.String(id))
		if next == nil {
			panic(fmt.Errorf("pipeline: no construct %q below %s (cdk-nag suppression target)", path, *scope.Node().Path()))
		}
		cur = next
	}
	return cur
}

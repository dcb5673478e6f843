package policycheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Deployed is what the target account's CloudFormation execution role has now: the
// policies IAM evaluates for it.
type Deployed struct {
	// Role is the execution role's ARN; Exists is false when it does not exist (the
	// account is not bootstrapped with this qualifier).
	Role   string `json:"role"`
	Exists bool   `json:"exists"`
	// Managed are its attached managed policies, Inline its inline ones.
	Managed []ManagedPolicy `json:"managed"`
	Inline  []InlinePolicy  `json:"inline"`
	// Boundary is its permissions boundary, if any.
	Boundary *ManagedPolicy `json:"boundary,omitempty"`
}

// ManagedPolicy is a managed policy as IAM holds it.
type ManagedPolicy struct {
	ARN string `json:"arn"`
	// Document is the default version's document.
	Document json.RawMessage `json:"document"`
	// Versions are its versions (IAM keeps at most MaxPolicyVersions).
	Versions []PolicyVersion `json:"versions"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID      string    `json:"id"`
	Default bool      `json:"default"`
	Created time.Time `json:"created"`
}

// InlinePolicy is a policy embedded in the role.
type InlinePolicy struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// Name is the policy's name: the last segment of its ARN.
func (p ManagedPolicy) Name() string { return p.ARN[strings.LastIndexByte(p.ARN, '/')+1:] }

// MaxPolicyVersions is how many versions IAM keeps of a managed policy: a sixth needs one
// deleted first (IAM quotas: "Versions of a managed policy that can be stored: 5").
const MaxPolicyVersions = 5

// Oldest is the oldest version that is not the default: the one to delete before a new
// version when the policy has MaxPolicyVersions. Empty when there is none.
func (p ManagedPolicy) Oldest() string {
	var vs []PolicyVersion
	for _, v := range p.Versions {
		if !v.Default {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	slices.SortStableFunc(vs, func(a, b PolicyVersion) int { return a.Created.Compare(b.Created) })
	return vs[0].ID
}

// deployedPolicies reads what an execution role has.
type deployedPolicies interface {
	Read(ctx context.Context, t target) (*Deployed, error)
}

// target is the account, region and roles of one stage.
type target struct {
	Account, Region string
	// ExecutionRole is the execution role's name; LookupRole the ARN of the role to read
	// it with.
	ExecutionRole, LookupRole string
}

// fileDeployed reads Deployed from a JSON file (--deployed), for offline runs and tests.
type fileDeployed string

// Read implements deployedPolicies.
func (f fileDeployed) Read(_ context.Context, t target) (*Deployed, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	var d Deployed
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w (want the JSON of policycheck.Deployed)", f, err)
	}
	if d.Role == "" {
		d.Role = fmt.Sprintf("arn:aws:iam::%s:role/%s", t.Account, t.ExecutionRole)
	}
	return &d, nil
}

// iamDeployed reads the execution role's policies with IAM, as the target account's
// bootstrap lookup role (cdk-<qualifier>-lookup-role-<account>-<region>, which `cdk
// bootstrap --trust` lets the pipeline account assume and whose ReadOnlyAccess reads IAM:
// iam:GetRole, ListAttachedRolePolicies, ListRolePolicies, GetRolePolicy, GetPolicy,
// GetPolicyVersion, ListPolicyVersions).
type iamDeployed struct {
	// loadConfig gives the caller's own credentials (the pipeline step's role) in a region.
	loadConfig func(ctx context.Context, region string) (aws.Config, error)
	// endpoint overrides the STS and IAM endpoints (tests). Default: AWS's.
	endpoint string
}

func newDeployedReader(file string) deployedPolicies {
	if file != "" {
		return fileDeployed(file)
	}
	return &iamDeployed{loadConfig: func(ctx context.Context, region string) (aws.Config, error) {
		return config.LoadDefaultConfig(ctx, config.WithRegion(region))
	}}
}

// Read implements deployedPolicies.
func (r *iamDeployed) Read(ctx context.Context, t target) (*Deployed, error) {
	cfg, err := r.loadConfig(ctx, t.Region)
	if err != nil {
		return nil, err
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if r.endpoint != "" {
			o.BaseEndpoint = aws.String(r.endpoint)
		}
	})
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, t.LookupRole, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "policy-check"
	}))
	client := iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.Credentials = creds
		if r.endpoint != "" {
			o.BaseEndpoint = aws.String(r.endpoint)
		}
	})
	d := &Deployed{Role: fmt.Sprintf("arn:aws:iam::%s:role/%s", t.Account, t.ExecutionRole)}
	role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(t.ExecutionRole)})
	if noSuchEntity(err) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iam:GetRole %s: %w", t.ExecutionRole, err)
	}
	d.Exists = true
	if role.Role.Arn != nil {
		d.Role = *role.Role.Arn
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(t.ExecutionRole)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam:ListAttachedRolePolicies %s: %w", t.ExecutionRole, err)
		}
		for _, p := range page.AttachedPolicies {
			mp, err := readManaged(ctx, client, aws.ToString(p.PolicyArn))
			if err != nil {
				return nil, err
			}
			d.Managed = append(d.Managed, *mp)
		}
	}
	inline := iam.NewListRolePoliciesPaginator(client, &iam.ListRolePoliciesInput{RoleName: aws.String(t.ExecutionRole)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam:ListRolePolicies %s: %w", t.ExecutionRole, err)
		}
		for _, name := range page.PolicyNames {
			out, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(t.ExecutionRole), PolicyName: aws.String(name)})
			if err != nil {
				return nil, fmt.Errorf("iam:GetRolePolicy %s %s: %w", t.ExecutionRole, name, err)
			}
			doc, err := decodeDocument(aws.ToString(out.PolicyDocument))
			if err != nil {
				return nil, fmt.Errorf("inline policy %s of %s: %w", name, t.ExecutionRole, err)
			}
			d.Inline = append(d.Inline, InlinePolicy{Name: name, Document: doc})
		}
	}
	if pb := role.Role.PermissionsBoundary; pb != nil && pb.PermissionsBoundaryArn != nil {
		mp, err := readManaged(ctx, client, *pb.PermissionsBoundaryArn)
		if err != nil {
			return nil, err
		}
		d.Boundary = mp
	}
	return d, nil
}

// readManaged reads a managed policy's default document and its versions.
func readManaged(ctx context.Context, client *iam.Client, arn string) (*ManagedPolicy, error) {
	p, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("iam:GetPolicy %s: %w", arn, err)
	}
	v, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return nil, fmt.Errorf("iam:GetPolicyVersion %s %s: %w", arn, aws.ToString(p.Policy.DefaultVersionId), err)
	}
	doc, err := decodeDocument(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", arn, err)
	}
	mp := &ManagedPolicy{ARN: arn, Document: doc}
	versions, err := client.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("iam:ListPolicyVersions %s: %w", arn, err)
	}
	for _, pv := range versions.Versions {
		mp.Versions = append(mp.Versions, PolicyVersion{ID: aws.ToString(pv.VersionId), Default: pv.IsDefaultVersion, Created: aws.ToTime(pv.CreateDate)})
	}
	return mp, nil
}

// decodeDocument undoes IAM's URL encoding of policy documents (RFC 3986: a "+" is a
// plus, not a space) and checks that the result is JSON.
func decodeDocument(s string) (json.RawMessage, error) {
	dec, err := url.PathUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	if !json.Valid([]byte(dec)) {
		return nil, errors.New("policy document is not JSON")
	}
	return json.RawMessage(dec), nil
}

// noSuchEntity: IAM answers NoSuchEntity for a role that does not exist.
func noSuchEntity(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchEntity"
}

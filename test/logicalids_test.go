package test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// statefulIDs pins the logical ids of resources that hold state or identity. A refactor
// that renames a construct id changes the logical id, and CloudFormation would replace
// the resource: delete the table, the users or the audit log. These ids are the contract.
var statefulIDs = map[string]map[string]string{
	"Base": {
		"LogKeyE83D0C1B":              "AWS::KMS::Key",
		"AccessLogs8B620ECA":          "AWS::S3::Bucket",
		"AuditTrail213A10E8":          "AWS::CloudTrail::Trail",
		"AuditTrailBucketA91FD435":    "AWS::S3::Bucket",
		"AuditTrailLogGroup28BB9333":  "AWS::Logs::LogGroup",
		"Network6E62CE96":             "AWS::EC2::VPC",
		"PermissionsBoundary2D0B48CC": "AWS::IAM::ManagedPolicy",
	},
	"Data": {
		"Notes25A8A941":       "AWS::DynamoDB::Table",
		"NotesKeyAB3AEC01":    "AWS::KMS::Key",
		"Users10139FB0":       "AWS::Cognito::UserPool",
		"UsersDomain51E2A623": "AWS::Cognito::UserPoolDomain",
	},
	"Backend": {
		"CursorKey255E8F8A": "AWS::SecretsManager::Secret",
	},
	"Frontend": {
		"AppClient4AE61178":  "AWS::Cognito::UserPoolClient",
		"SiteBucket978D4AEB": "AWS::S3::Bucket",
		"SiteLogsBCCC85C3":   "AWS::S3::Bucket",
	},
}

func TestStatefulLogicalIDsAreStable(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		for part, ids := range statefulIDs {
			tpl := templateJSON(s.Templates[e.Name+"/"+part])
			res := tpl["Resources"].(map[string]interface{})
			for id, typ := range ids {
				r, ok := res[id].(map[string]interface{})
				if assert.True(t, ok, "%s/%s: stateful resource %s (%s) is gone or renamed: it would be replaced", e.Name, part, id, typ) {
					assert.Equal(t, typ, r["Type"], id)
				}
			}
		}
	}
}

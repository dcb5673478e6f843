package approvalrule

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every problem at once, each naming the field, the value and what is allowed; checked
// without the jsii runtime.
func TestValidate(t *testing.T) {
	err := (&Props{Name: "bad name!", DestinationBranches: []string{"refs/heads/main", "*x"}, Approvers: []string{"CheckRole"}}).validate()
	assert.ErrorContains(t, err, `Name "bad name!": allowed is 1-100`)
	assert.ErrorContains(t, err, "Description of 0 characters")
	assert.ErrorContains(t, err, `DestinationBranches "refs/heads/main": allowed is a branch name such as main (not a ref)`)
	assert.ErrorContains(t, err, `DestinationBranches "*x"`)
	assert.ErrorContains(t, err, `Approvers "CheckRole": allowed is a fully qualified ARN`)
	assert.ErrorContains(t, err, "Approvals 0: allowed is 1 or more")
	assert.ErrorContains(t, err, "Repositories is required")

	err = (&Props{Name: "x", Description: "d", DestinationBranches: []string{"main"}, Approvers: []string{"${Token[TOKEN.12]}"}, Approvals: 1}).validate()
	assert.NotContains(t, err.Error(), "Approvers", "a token (the role's ARN before synth) is accepted")
}

// The content is CodeCommit's approval rule language, as its documentation's example
// writes it: version 2018-11-08, the destination refs, one Approvers statement.
func TestContent(t *testing.T) {
	b, err := json.Marshal(Content([]string{"main"}, []string{"arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*"}, 2))
	assert.NoError(t, err)
	assert.JSONEq(t, `{"Version": "2018-11-08","DestinationReferences": ["refs/heads/main"],"Statements": [{"Type": "Approvers","NumberOfApprovalsNeeded": 2,"ApprovalPoolMembers": ["arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*"]}]}`, string(b))
}

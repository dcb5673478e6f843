package artifact

// ReviewedGrant is an action a function's role is granted that no test exercises, kept
// for a reason a reviewer accepted.
type ReviewedGrant struct {
	// Function is the function whose role is granted it; empty for every function whose
	// role has Policy.
	Function string
	// Policy names the policy that grants it (an AWS managed policy's name); empty for
	// any policy of Function's role.
	Policy string
	// Action is the pattern as the statement writes it.
	Action string
	Reason string
}

// Matches reports whether the entry covers an unexercised grant.
func (r ReviewedGrant) Matches(g Grant) bool {
	return (r.Function == "" || r.Function == g.Function) && (r.Policy == "" || r.Policy == g.Statement.Policy) && r.Action == g.Action
}

// writerKeyReason is why NotesWrite keeps the table key's encrypt actions.
const writerKeyReason = "DynamoDB, not our code, uses the table's customer-managed key, with the caller's permissions " +
	"(a forward access session). The replay models the kms:Decrypt of the table key that every data call needs; which " +
	"other KMS calls DynamoDB makes for writes cannot be observed without AWS (dynalite does not encrypt). CDK's " +
	"grantWriteData grants these three for a table with a customer-managed key, and stacks/backend.go follows it " +
	"(GrantEncryptDecrypt). They are limited to the one table key, and the key policy refuses grants to non-AWS " +
	"resources. To remove them, check the dev account's CloudTrail for kms events invoked by dynamodb.amazonaws.com " +
	"with this role while notes are written."

// ReviewedGrants is the one reviewed list of granted actions that no recorded or
// platform call uses (TestLeastPrivilegeByReplay). The test fails on an unexercised grant
// missing here, and on an entry here that is exercised or no longer granted.
var ReviewedGrants = []ReviewedGrant{
	{Function: "NotesWrite", Action: "kms:Encrypt", Reason: writerKeyReason},
	{Function: "NotesWrite", Action: "kms:GenerateDataKey*", Reason: writerKeyReason},
	{Function: "NotesWrite", Action: "kms:ReEncrypt*", Reason: writerKeyReason},
	{Policy: "AWSLambdaVPCAccessExecutionRole", Action: "logs:CreateLogGroup", Reason: "Part of AWS's managed policy for " +
		"functions in a VPC (constructs/gofunction attaches it where config makes functions private, prod). Each function's " +
		"log group is made by its stack (with the environment's retention and key), so Lambda never creates one; an AWS " +
		"managed policy cannot lose an action. Replacing it by our own statement of its six EC2 actions would drop this grant."},
}

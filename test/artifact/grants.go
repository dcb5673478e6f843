package artifact

// ReviewedGrant is an action a function's role is granted that no test exercises, kept
// for a reason a reviewer accepted.
type ReviewedGrant struct {
	Function string
	// Action is the pattern as the role's statement writes it.
	Action string
	Reason string
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
	{"NotesWrite", "kms:Encrypt", writerKeyReason},
	{"NotesWrite", "kms:GenerateDataKey*", writerKeyReason},
	{"NotesWrite", "kms:ReEncrypt*", writerKeyReason},
}

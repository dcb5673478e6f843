package table

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{PartitionKey: "pk", SortKey: "sk", TTLAttribute: "expiresAt"}).validate())
	assert.ErrorContains(t, (&Props{}).validate(), `PartitionKey ""`)
	assert.ErrorContains(t, (&Props{PartitionKey: "pk", SortKey: "bad key"}).validate(), `"bad key"`)
}

package alarms

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{}).validate())
	assert.NoError(t, (&Props{Email: "ops@example.com"}).validate())
	assert.ErrorContains(t, (&Props{Email: "Ops <ops@example.com>"}).validate(), `Email "Ops <ops@example.com>"`)
	assert.ErrorContains(t, (&Props{Email: "nope"}).validate(), "plain address")
	assert.NoError(t, (&Props{Namespace: "notes/prod"}).validate())
	assert.ErrorContains(t, (&Props{Namespace: "AWS/Lambda"}).validate(), `Namespace "AWS/Lambda": allowed is`)
	assert.ErrorContains(t, (&Props{Namespace: "notes|prod"}).validate(), `Namespace "notes|prod"`)
}

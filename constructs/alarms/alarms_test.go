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
}

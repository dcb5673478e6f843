package logging

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRetention(t *testing.T) {
	for _, days := range []int{1, 30, 365, 3653} {
		_, ok := Retention(days)
		assert.True(t, ok, days)
	}
	for _, days := range []int{0, -7, 2, 10, 4000} {
		_, ok := Retention(days)
		assert.False(t, ok, days)
	}
}

func TestLogGroupValidate(t *testing.T) {
	err := (&LogGroupProps{RetentionDays: 10}).validate()
	assert.ErrorContains(t, err, "Key is required")
	assert.ErrorContains(t, err, "RetentionDays 10")
}

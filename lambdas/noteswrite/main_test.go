package main

import (
	"testing"

	"github.com/example/notesplatform/lambdas/internal/lambdatest"
)

func TestSetup(t *testing.T) { lambdatest.CheckSetup(t, "NotesWrite", setup) }

// BenchmarkSetup is the function's cold-init cost up to lambda.Start.
func BenchmarkSetup(b *testing.B) { lambdatest.BenchmarkSetup(b, setup) }

package main

import (
	"testing"

	"github.com/example/notesplatform/lambdas/internal/lambdatest"
)

func TestSetup(t *testing.T) { lambdatest.CheckSetup(t, "NotesRead", setup) }

// BenchmarkSetup is the function's cold-init cost up to lambda.Start.
func BenchmarkSetup(b *testing.B) { lambdatest.BenchmarkSetup(b, setup) }

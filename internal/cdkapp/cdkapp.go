// Package cdkapp is the one app builder: it loads and validates the configuration, builds
// what the context asks for (every configured environment and the pipeline, or one personal
// sandbox) and synthesizes it. `cdk synth` (app.go), the tests, the sandbox and the commands
// that need constructs all build the app here, so they build exactly the same thing.
package cdkapp

import (
	"errors"
	"fmt"
	"maps"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/gofunction"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthprof"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/stacks"
)

// Options say what to build.
type Options struct {
	// Root is the module root (the functions' sources, web/, go.mod). Default: repo.Root().
	Root string
	// CLI builds the app the CDK CLI runs (`cdk synth`, `cdk deploy`): context, output
	// directory and bundling as the CLI passes them through its environment. Context,
	// Outdir and SkipBundling must then be empty.
	CLI bool
	// Context is the app's context. Default: cdk.json's (repo.CDKContext).
	Context map[string]any
	// Extra adds keys to the context (e.g. "sandbox": "alice").
	Extra map[string]any
	// Outdir is where the cloud assembly is written. Default: a new temporary directory,
	// removed by App.Cleanup.
	Outdir string
	// SkipBundling leaves the functions unbuilt (the context key aws:cdk:bundling-stacks
	// set to []): for readers of templates and constructs, which do not depend on the
	// bundles (asset hashes are computed from the sources either way). Default: bundled.
	SkipBundling bool
	// Routes replaces the shipped route table in every stage (the scale benchmark's hook).
	// Default: api.Shipped().
	Routes *api.Table
	// Getenv reads the account and region the CDK CLI resolved from the caller's
	// credentials (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION), the defaults of a sandbox.
	// Default: os.Getenv.
	Getenv func(string) string
}

// App is a built (not yet synthesized) app.
type App struct {
	*stacks.App
	// CDK is the construct tree's root.
	CDK awscdk.App
	// Config is the validated configuration.
	Config *config.Config
	// Sandbox is the personal sandbox built instead of the configured environments; nil
	// when the context names none.
	Sandbox *config.Environment
	// Root is the module root the app was built from.
	Root string

	tempDir string
}

// ConfigError is a configuration the app refuses: synth stops with its message, which
// names the key, the value and what is allowed.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid configuration (cdk.json context, -c overrides):\n%v", e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Build validates the configuration and builds the app's constructs. A jsii panic (a
// construct that refuses its props) is returned as an error.
func Build(opts Options) (a *App, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the app: %v", r)
		}
	}()
	a = &App{Root: opts.Root}
	if a.Root == "" {
		if a.Root, err = repo.Root(); err != nil {
			return nil, err
		}
	}
	// The functions' source hashes (one `go list`) are computed while jsii starts.
	gofunction.Prefetch(a.Root, stacks.GoPackages()...)
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var ctx map[string]any
	if opts.CLI {
		if opts.Context != nil || opts.Outdir != "" || opts.SkipBundling || len(opts.Extra) > 0 {
			return nil, errors.New("cdkapp: a CLI build takes its context, output directory and bundling from the CDK CLI")
		}
		a.CDK = awscdk.NewApp(nil)
		ctx, _ = a.CDK.Node().GetAllContext(nil).(map[string]any)
	} else {
		ctx = opts.Context
		if ctx == nil {
			if ctx, err = repo.CDKContext(a.Root); err != nil {
				return nil, err
			}
		}
		ctx = maps.Clone(ctx)
		maps.Copy(ctx, opts.Extra)
		if opts.SkipBundling {
			ctx["aws:cdk:bundling-stacks"] = []any{}
		}
		outdir := opts.Outdir
		if outdir == "" {
			if outdir, err = os.MkdirTemp("", "cdk-app-*"); err != nil {
				return nil, err
			}
			a.tempDir = outdir
		}
		a.CDK = awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	}
	synthprof.Mark("jsii kernel and app")
	// A Go map given to jsii as context comes back wrapped ({"$jsii.map": ...}): the
	// configuration is read from the map given, and from jsii only as the CLI passes it.
	if a.Config, err = config.Load(ctx); err == nil {
		a.Sandbox, err = a.Config.Sandbox(ctx, getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION"))
	}
	if err != nil {
		a.Cleanup()
		return nil, &ConfigError{Err: err}
	}
	if a.Sandbox != nil {
		a.App = stacks.NewSandbox(a.CDK, a.Config, *a.Sandbox, a.Root)
	} else {
		a.App = stacks.NewAppWith(a.CDK, a.Config, a.Root, stacks.Options{Routes: opts.Routes})
	}
	return a, nil
}

// Synth writes the cloud assembly and returns its directory.
func (a *App) Synth() (dir string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth: %v", r)
		}
	}()
	dir = *a.CDK.Synth(nil).Directory()
	synthprof.Mark("synthesis")
	return dir, nil
}

// Cleanup removes the temporary output directory that Build made, if any.
func (a *App) Cleanup() {
	if a.tempDir != "" {
		os.RemoveAll(a.tempDir)
	}
}

// Summary says in one line what the app holds, for the end of a synth.
func (a *App) Summary() string {
	if a.Pipeline == nil {
		e := a.Stages[0].Env
		return fmt.Sprintf("sandbox %s (account %s, %s): 4 stacks, no pipeline", e.Name, e.Account, e.Region)
	}
	return fmt.Sprintf("%d environments x 4 stacks and %s", len(a.Stages), *a.Pipeline.StackName())
}

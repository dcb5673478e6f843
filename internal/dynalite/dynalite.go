// Package dynalite runs dynalite, a DynamoDB-compatible server from npm, for integration
// tests and the local dev server, so that the real AWS SDK and the real store code run
// against a real wire protocol without AWS credentials, Docker or a network.
//
// dynalite is a devDependency in the repository's package.json; `npm ci` at the repository
// root installs it under node_modules. This package never installs anything itself.
//
// Known gaps of dynalite 4 that the code is written around: no TransactWriteItems /
// TransactGetItems and no UpdateTimeToLive.
package dynalite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/syncbuf"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Options configure Start.
type Options struct {
	// Path is a directory for dynalite's LevelDB files, so data survives restarts.
	// Default: in memory, gone when the server stops.
	Path string
	// Port to listen on, on 127.0.0.1. Default: a free port chosen at start.
	Port int
	// Log receives dynalite's output. Default: kept in memory and shown only in the
	// error when the server fails to start.
	Log io.Writer
	// StartTimeout bounds the wait until the server answers. Default: 20s.
	StartTimeout time.Duration
}

// RepoRoot returns the repository root (where package.json and node_modules are).
func RepoRoot() (string, error) { return repo.Root() }

// CLIPath returns the path of dynalite's cli.js, or an error that says how to install it.
func CLIPath() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cli := filepath.Join(root, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return "", fmt.Errorf("dynalite: %s not found: run `npm ci` in %s to install the devDependencies", cli, root)
	}
	return cli, nil
}

// Start runs dynalite with node on 127.0.0.1 and waits until it answers. It returns the
// endpoint URL (http://127.0.0.1:PORT) and a function that stops the server and waits for
// it to exit. The server is also killed if the calling process dies (Linux).
func Start(ctx context.Context, opts Options) (endpoint string, stop func() error, err error) {
	cli, err := CLIPath()
	if err != nil {
		return "", nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, errors.New("dynalite: `node` is not on PATH; install Node.js 20 or newer")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 20 * time.Second
	}
	// A free port found here may be taken before dynalite binds it; try a few times.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return "", nil, err
			}
		}
		endpoint, stop, lastErr = start(ctx, node, cli, port, opts)
		if lastErr == nil || opts.Port != 0 {
			return endpoint, stop, lastErr
		}
	}
	return "", nil, lastErr
}

func start(ctx context.Context, node, cli string, port int, opts Options) (string, func() error, error) {
	args := []string{cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	if opts.Path != "" {
		if err := os.MkdirAll(opts.Path, 0o755); err != nil {
			return "", nil, fmt.Errorf("dynalite: data directory: %w", err)
		}
		args = append(args, "--path", opts.Path)
	}
	cmd := exec.Command(node, args...)
	out := &syncbuf.Buffer{Max: 64 << 10}
	var w io.Writer = out
	if opts.Log != nil {
		w = io.MultiWriter(out, opts.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("dynalite: start node: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return stopErr
	}

	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(opts.StartTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			return "", nil, fmt.Errorf("dynalite: exited before answering (%v); output:\n%s", err, out.String())
		case <-ctx.Done():
			_ = stop()
			return "", nil, ctx.Err()
		default:
		}
		// The port was free when chosen; another process (a test running beside this one)
		// may have taken it since, and would answer the probe while this dynalite fails
		// to listen. Only its own line says that this process listens.
		if !strings.Contains(out.String(), listening+strconv.Itoa(port)) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		resp, err := client.Get(endpoint)
		if err == nil {
			resp.Body.Close()
			return endpoint, stop, nil
		}
		if time.Now().After(deadline) {
			_ = stop()
			return "", nil, fmt.Errorf("dynalite: no answer on %s after %s; output:\n%s", endpoint, opts.StartTimeout, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listening starts the line dynalite's CLI prints once it listens, followed by the port.
const listening = "Dynalite listening at: http://127.0.0.1:"

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynalite: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewClient returns an AWS SDK v2 DynamoDB client for a dynalite endpoint, with static
// dummy credentials (dynalite checks that requests are signed, not by whom) and a fixed
// region, so no shared config, environment or metadata service is consulted.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("dynalite", "dynalite", ""),
	})
}

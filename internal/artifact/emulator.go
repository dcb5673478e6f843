package artifact

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/example/notesplatform/internal/syncbuf"
)

// Emulator runs functions on this machine: AWS's Lambda Runtime Interface Emulator (the Go
// tool pinned in go.mod), plus qemu user-mode emulation for functions built for the other
// architecture.
type Emulator struct {
	// RIE is the path of the aws-lambda-rie binary.
	RIE string
	// QEMU maps a Lambda architecture to the program that runs its binaries here; absent
	// for the host's own architecture, which runs natively.
	QEMU map[string]string
}

// HostArchitecture is this machine's architecture in Lambda's words (arm64, x86_64).
func HostArchitecture() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	}
	return runtime.GOARCH
}

// MissingQEMUError says that functions of another architecture cannot run here.
type MissingQEMUError struct {
	// Architecture is the functions' architecture; Program the qemu program looked for.
	Architecture, Program string
}

func (e *MissingQEMUError) Error() string {
	return fmt.Sprintf("%s is not installed: the functions are %s binaries and this machine is %s, so they run under qemu user-mode emulation. Install it with: apt-get install -y qemu-user-static (Debian, Ubuntu); or run these tests on an %s machine, where they run natively",
		e.Program, e.Architecture, HostArchitecture(), e.Architecture)
}

var qemuPrograms = map[string][]string{
	"arm64":  {"qemu-aarch64-static", "qemu-aarch64"},
	"x86_64": {"qemu-x86_64-static", "qemu-x86_64"},
}

// NewEmulator finds the emulator (building it through `go tool -n aws-lambda-rie` in the
// module at moduleRoot when needed) and qemu for every architecture in archs that is not
// this machine's.
func NewEmulator(moduleRoot string, archs []string) (*Emulator, error) {
	e := &Emulator{QEMU: map[string]string{}}
	for _, arch := range archs {
		if arch == HostArchitecture() || e.QEMU[arch] != "" {
			continue
		}
		progs, ok := qemuPrograms[arch]
		if !ok {
			return nil, fmt.Errorf("architecture %q: Lambda offers arm64 and x86_64", arch)
		}
		for _, p := range progs {
			if path, err := exec.LookPath(p); err == nil {
				e.QEMU[arch] = path
				break
			}
		}
		if e.QEMU[arch] == "" {
			return nil, &MissingQEMUError{Architecture: arch, Program: progs[0]}
		}
	}
	rie, err := findRIE(moduleRoot)
	if err != nil {
		return nil, err
	}
	e.RIE = rie
	return e, nil
}

// rieByRoot caches the emulator's path by module root for the life of the process.
var rieByRoot sync.Map

func findRIE(moduleRoot string) (string, error) {
	if path, ok := rieByRoot.Load(moduleRoot); ok {
		return path.(string), nil
	}
	cmd := exec.Command("go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = moduleRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n aws-lambda-rie failed (%v): %s\nThe Lambda Runtime Interface Emulator is pinned as a tool in go.mod; `go mod download` fetches it", err, strings.TrimSpace(stderr.String()))
	}
	path := strings.TrimSpace(string(out))
	rieByRoot.Store(moduleRoot, path)
	return path, nil
}

// Instance is one function running under the emulator: one execution environment, which
// serves one invocation at a time, as in Lambda.
type Instance struct {
	// Function is what runs.
	Function *Function
	// Endpoint is the emulator's invoke URL.
	Endpoint string

	cmd    *exec.Cmd
	out    *syncbuf.Buffer
	exited chan struct{}
	mu     sync.Mutex
}

// Start starts the emulator for f on two free loopback ports, with exactly the
// environment env (nothing leaks in from this process), in the function's asset directory
// (Lambda's /var/task). The bootstrap itself starts on the first invocation, as in Lambda.
// log, when not nil, also receives the emulator's and the function's output.
func (e *Emulator) Start(f *Function, env []string, log io.Writer) (*Instance, error) {
	var lastErr error
	for range 3 { // a free port may be taken before the emulator binds it
		in, err := e.start(f, env, log)
		if err == nil {
			return in, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func (e *Emulator) start(f *Function, env []string, log io.Writer) (*Instance, error) {
	invokePort, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(invokePort),
		"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort),
		"--log-level", "info",
	}
	if q := e.QEMU[f.Architecture]; q != "" {
		args = append(args, q)
	}
	args = append(args, filepath.Join(f.AssetDir, "bootstrap"))
	cmd := exec.Command(e.RIE, args...)
	cmd.Dir = f.AssetDir
	cmd.Env = env
	out := &syncbuf.Buffer{Max: 8 << 20}
	var w io.Writer = out
	if log != nil {
		w = io.MultiWriter(out, &prefixWriter{prefix: "[" + f.Name + "] ", w: log})
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start the emulator: %w", f.Name, err)
	}
	in := &Instance{Function: f, cmd: cmd, out: out, exited: make(chan struct{}),
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", invokePort)}
	go func() { _ = cmd.Wait(); close(in.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		// The ports were free when chosen; another process (a test running beside this
		// one) may have taken one since. The emulator then exits ("address already in
		// use", and Start tries other ports); until then, only the emulator's own
		// listening sockets count.
		if listensOn(cmd.Process.Pid, invokePort) && listensOn(cmd.Process.Pid, apiPort) {
			return in, nil
		}
		select {
		case <-in.exited:
			return nil, fmt.Errorf("%s: the emulator exited before listening: %s", f.Name, out.String())
		default:
		}
		if time.Now().After(deadline) {
			in.Stop()
			return nil, fmt.Errorf("%s: the emulator did not listen on port %d within 15 s: %s", f.Name, invokePort, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// StartError says that a function's bootstrap did not get to serve its first event.
type StartError struct {
	Function string
	// Reason is the emulator's reason (e.g. "Runtime exited with error: exit status 2").
	Reason string
	// Output is what the bootstrap wrote before it stopped.
	Output string
}

func (e *StartError) Error() string {
	what := "its bootstrap stopped during init, before it asked Lambda for its first event"
	if strings.Contains(e.Output, "panic: ") {
		what = "its bootstrap panicked during init, before it asked Lambda for its first event"
	}
	return fmt.Sprintf("function %s did not start: %s (%s). Lambda would report Runtime.ExitError and API Gateway would answer every request with 502. The bootstrap's output:\n%s",
		e.Function, what, e.Reason, indentText(e.Output))
}

// FunctionError is an error the handler returned (or a runtime crash during an invocation):
// API Gateway answers such an invocation with a bare 502.
type FunctionError struct {
	Function, Type, Message string
	Output                  string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function %s failed the invocation with %s: %s (API Gateway would answer 502). Output:\n%s", e.Function, e.Type, e.Message, indentText(e.Output))
}

// TimeoutError says that the emulator stopped an invocation at the function's timeout, as
// Lambda does ("Task timed out after 10.00 seconds"): API Gateway would answer 502.
type TimeoutError struct {
	Function, Message string
	// TimeoutSeconds is the timeout the emulator enforced (the template's, unless a test
	// started the instance with another).
	TimeoutSeconds int
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: %s (its Timeout is %d s)", e.Function, e.Message, e.TimeoutSeconds)
}

// initFailed finds the emulator's reason in its "Init failed" line; logrus writes the
// fields in either order ("error=... InvokeID=" or "InvokeID= error=...").
var initFailed = regexp.MustCompile(`Init failed[^\n]*?error=([^\n]*?)(?: InvokeID=[^\n]*)?(?:\n|$)`)

// Invoke sends one event and returns the function's response payload. An init failure is a
// *StartError, a handler error or crash a *FunctionError, a timeout an error saying so.
func (in *Instance) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	select {
	case <-in.exited:
		return nil, fmt.Errorf("%s: the emulator is not running: %s", in.Function.Name, in.out.String())
	default:
	}
	mark := in.out.Len()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.Endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: invoke: %w; emulator output:\n%s", in.Function.Name, err, indentText(in.out.Since(mark)))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	// The emulator finishes its log after answering: wait for its last line of this
	// invocation so that failures quote all of it.
	output := func() string {
		deadline := time.Now().Add(2 * time.Second)
		for {
			log := in.out.Since(mark)
			if strings.Contains(log, "REPORT RequestId") || strings.Contains(log, "Invoke DONE failed") || time.Now().After(deadline) {
				return log
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if resp.StatusCode != http.StatusOK {
		log := output()
		if m := initFailed.FindStringSubmatch(log); m != nil || strings.Contains(log, "INIT RTDONE(status: error)") {
			reason := "the runtime exited"
			if m != nil {
				reason = strings.TrimSpace(m[1])
			}
			return nil, &StartError{Function: in.Function.Name, Reason: reason, Output: functionOutput(log)}
		}
		return nil, &FunctionError{Function: in.Function.Name, Type: "Sandbox.Failure", Message: fmt.Sprintf("the emulator answered %d %s", resp.StatusCode, body), Output: functionOutput(log)}
	}
	if bytes.HasPrefix(body, []byte("Task timed out after")) {
		return nil, &TimeoutError{Function: in.Function.Name, Message: string(body), TimeoutSeconds: in.Function.TimeoutSeconds}
	}
	var fnErr struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.Type != "" {
		return nil, &FunctionError{Function: in.Function.Name, Type: fnErr.Type, Message: fnErr.Message, Output: functionOutput(output())}
	}
	return body, nil
}

// Output returns everything the emulator and the function wrote so far. An invocation
// under way (another goroutine's) is waited for, so that the output holds whole
// invocations, each to its last line.
func (in *Instance) Output() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.out.String()
}

// FunctionOutput returns only what the function wrote (its JSON log lines and any
// panic), without the emulator's own lines; as Output, between invocations.
func (in *Instance) FunctionOutput() string { return functionOutput(in.Output()) }

var emulatorLine = regexp.MustCompile(`^(\d{2} \w{3} \d{4} [\d:,]+ \[\w+\] \(rapid\)|START RequestId|END RequestId|REPORT RequestId)`)

func functionOutput(log string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !emulatorLine.MatchString(sc.Text()) {
			b.WriteString(sc.Text())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// BootstrapPID returns the process id of the running bootstrap (a child of the emulator;
// under qemu the qemu process, which holds the emulated program), or 0 before the first
// invocation started it.
func (in *Instance) BootstrapPID() int {
	if in.cmd.Process == nil {
		return 0
	}
	parent := in.cmd.Process.Pid
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// PeakRSS returns the bootstrap process's peak resident memory (VmHWM) in bytes.
func (in *Instance) PeakRSS() (int64, error) {
	pid := in.BootstrapPID()
	if pid == 0 {
		return 0, fmt.Errorf("%s: no bootstrap process is running", in.Function.Name)
	}
	return peakRSS(pid)
}

func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// Stop ends the bootstrap and the emulator and waits for the emulator to exit.
func (in *Instance) Stop() {
	if in.cmd.Process == nil {
		return
	}
	if pid := in.BootstrapPID(); pid != 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL) // the emulator gives it its own process group
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-in.exited:
	case <-time.After(5 * time.Second):
	}
}

// listensOn reports whether process pid holds a listening TCP socket on the loopback
// port (Linux: the process's /proc/<pid>/net/tcp and its descriptors).
func listensOn(pid, port int) bool {
	inodes := map[string]bool{}
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && inodes[link] {
			return true
		}
	}
	return false
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func indentText(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (nothing)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	line   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line = append(p.line, b...)
	for {
		i := bytes.IndexByte(p.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		_, _ = fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.line[:i])
		p.line = p.line[i+1:]
	}
}

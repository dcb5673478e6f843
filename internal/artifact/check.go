package artifact

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Limits and names that Lambda itself enforces.
const (
	// maxUnzippedBytes is Lambda's limit on a function's unzipped deployment package.
	maxUnzippedBytes = 250 << 20
	// maxEnvironmentBytes is Lambda's limit on the total size of a function's variables.
	maxEnvironmentBytes = 4 << 10
)

// supportedRuntimes are the OS-only runtimes Lambda accepts for new functions (the
// Amazon Linux 1 "provided" runtime is deprecated).
var supportedRuntimes = []string{"provided.al2023", "provided.al2"}

// reservedEnvironment are the variable names Lambda sets itself and refuses in a
// function's configuration.
var reservedEnvironment = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
}

// envKeyPattern is Lambda's rule for variable names.
var envKeyPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)

var machines = map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}

var machineNames = map[elf.Machine]string{elf.EM_AARCH64: "arm64 (aarch64)", elf.EM_X86_64: "x86_64 (amd64)", elf.EM_386: "32-bit x86", elf.EM_ARM: "32-bit ARM"}

// CheckBundle checks a function's bundle and configuration against what Lambda needs
// before any of our code runs: a supported custom runtime, an executable named bootstrap
// at the root of the package, a static Linux binary for the template's architecture, the
// package size, and an environment Lambda accepts whose every name the code can read.
// env is the resolved environment. Every problem is reported, each in plain words.
func CheckBundle(f *Function, env map[string]string) error {
	var errs []error
	if !slices.Contains(supportedRuntimes, f.Runtime) {
		errs = append(errs, fmt.Errorf("runtime %q: Lambda runs our Go binaries on the OS-only runtimes %v", f.Runtime, supportedRuntimes))
	}
	if _, ok := machines[f.Architecture]; !ok {
		errs = append(errs, fmt.Errorf("architecture %q: Lambda offers arm64 and x86_64", f.Architecture))
	}
	if f.Handler == "" {
		errs = append(errs, errors.New("no Handler: CloudFormation requires one for a zip package (by convention \"bootstrap\" on OS-only runtimes)"))
	}
	errs = append(errs, checkEnvironment(env)...)

	bin, err := findBootstrap(f.AssetDir)
	if err != nil {
		errs = append(errs, err)
		return wrap(f, errs)
	}
	errs = append(errs, checkBinary(f, bin)...)
	if size, err := dirSize(f.AssetDir); err == nil && size > maxUnzippedBytes {
		errs = append(errs, fmt.Errorf("the package is %d MB unzipped: Lambda refuses more than 250 MB", size>>20))
	}
	if len(errs) == 0 {
		errs = append(errs, checkNamesInBinary(bin, env)...)
	}
	return wrap(f, errs)
}

func wrap(f *Function, errs []error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("function %s (%s, asset %s):\n%w", f.Name, f.LogicalID, filepath.Base(f.AssetDir), indent(err))
	}
	return nil
}

func indent(err error) error {
	return errors.New("  - " + strings.ReplaceAll(err.Error(), "\n", "\n  - "))
}

// findBootstrap returns the path of the bootstrap, or an error that says what is there
// instead: Lambda runs exactly /var/task/bootstrap on OS-only runtimes.
func findBootstrap(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("the asset directory cannot be read (%v): run make synth", err)
	}
	path := filepath.Join(dir, "bootstrap")
	st, err := os.Stat(path)
	if err == nil && st.Mode().IsRegular() {
		if st.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("bootstrap is not executable (mode %v): Lambda fails with Runtime.InvalidEntrypoint (permission denied); build it with go build, which sets the executable bit", st.Mode().Perm())
		}
		return path, nil
	}
	var names []string
	var hint string
	for _, e := range entries {
		names = append(names, e.Name())
		switch {
		case e.Name() == "bootstrap" && e.IsDir():
			hint = " bootstrap is a directory, not a program."
		case strings.EqualFold(e.Name(), "bootstrap"):
			hint = fmt.Sprintf(" %q differs only in case: file names in Lambda are case-sensitive, rename it to bootstrap.", e.Name())
		case hint == "" && isELF(filepath.Join(dir, e.Name())):
			hint = fmt.Sprintf(" %q is a program: build it as bootstrap (go build -o bootstrap, as lambdas/build does).", e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "", errors.New("the package is empty: there is no bootstrap, so Lambda has nothing to run (Runtime.InvalidEntrypoint)")
	}
	return "", fmt.Errorf("there is no file named bootstrap at the root of the package, which is the only program an OS-only runtime (provided.al2023) starts; Lambda would fail every request with Runtime.InvalidEntrypoint. The package holds %v.%s", names, hint)
}

func isELF(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func checkBinary(f *Function, path string) []error {
	var errs []error
	ef, err := elf.Open(path)
	if err != nil {
		head := make([]byte, 2)
		if r, e := os.Open(path); e == nil {
			_, _ = r.Read(head)
			r.Close()
		}
		what := "not a Linux executable (not ELF)"
		if string(head) == "#!" {
			what = "a script, not a Go binary"
		}
		return []error{fmt.Errorf("bootstrap is %s: this project's functions are static Go binaries built by lambdas/build", what)}
	}
	defer ef.Close()
	if want, ok := machines[f.Architecture]; ok && ef.Machine != want {
		got := machineNames[ef.Machine]
		if got == "" {
			got = ef.Machine.String()
		}
		errs = append(errs, fmt.Errorf("bootstrap is built for %s, but the template runs the function on %s (Architectures): Lambda cannot start it (exec format error, Runtime.InvalidEntrypoint); build with GOARCH=%s as lambdas/build does", got, f.Architecture, GoArch(f.Architecture)))
	}
	if ef.Class != elf.ELFCLASS64 {
		errs = append(errs, errors.New("bootstrap is a 32-bit program: Lambda runs 64-bit programs only"))
	}
	if ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		errs = append(errs, fmt.Errorf("bootstrap is built for %v, not Linux: build with GOOS=linux", ef.OSABI))
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		errs = append(errs, fmt.Errorf("bootstrap is an ELF %v, not an executable", ef.Type))
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		interp := make([]byte, p.Filesz)
		_, _ = p.ReadAt(interp, 0)
		needs := "the loader " + strings.TrimRight(string(interp), "\x00")
		if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
			needs += " and the libraries " + strings.Join(libs, ", ")
		}
		errs = append(errs, fmt.Errorf("bootstrap is dynamically linked: it needs %s of the machine it runs on. Lambda's provided.al2023 has only its own loader and glibc, so such a binary breaks when they differ; build a static binary with CGO_ENABLED=0 and no -buildmode=pie, as lambdas/build does", needs))
		break
	}
	return errs
}

// GoArch is the GOARCH of a Lambda architecture (x86_64, arm64).
func GoArch(lambdaArch string) string {
	if lambdaArch == "x86_64" {
		return "amd64"
	}
	return lambdaArch
}

func checkEnvironment(env map[string]string) []error {
	var errs []error
	size := 0
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		size += len(k) + len(env[k])
		if slices.Contains(reservedEnvironment, k) {
			errs = append(errs, fmt.Errorf("environment variable %s is reserved by Lambda, which refuses to deploy a function that sets it", k))
		}
		if !envKeyPattern.MatchString(k) {
			errs = append(errs, fmt.Errorf("environment variable name %q: Lambda allows a letter followed by letters, digits and underscores", k))
		}
	}
	if size > maxEnvironmentBytes {
		errs = append(errs, fmt.Errorf("the environment variables take %d bytes: Lambda refuses more than 4 KB", size))
	}
	return errs
}

// checkNamesInBinary fails for a variable that the template sets but whose name appears
// nowhere in the program: Go keeps every string constant verbatim, so the code cannot be
// reading that variable; it reads another name, and gets nothing.
func checkNamesInBinary(path string, env map[string]string) []error {
	bin, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !bytes.Contains(bin, []byte(k)) {
			errs = append(errs, fmt.Errorf("the template sets the environment variable %s, but the bootstrap never mentions that name, so the code cannot read it: the code and the template disagree on the variable's name (both should use the constants in lambdas/api)", k))
		}
	}
	return errs
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

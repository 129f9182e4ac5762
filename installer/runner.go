package installer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Runner runs one external command and returns its combined output. It is the seam between
// the install and the machine: ExecRunner in production, a recorder in tests, DryRunner for
// --dry-run.
type Runner interface {
	Run(ctx context.Context, argv []string) ([]byte, error)
}

// LineRunner is a Runner that can also hand over output line by line while the command runs,
// for progress displays. Execute uses it when the runner has it.
type LineRunner interface {
	Runner
	RunLines(ctx context.Context, argv []string, line func(string)) ([]byte, error)
}

// CommandError is a failed command: its argv, exit status and combined output.
type CommandError struct {
	Argv     []string
	ExitCode int
	Output   []byte
	Err      error
}

// Error names the command and its exit status; the output is in Output (see Tail).
func (e *CommandError) Error() string {
	if e.ExitCode >= 0 {
		return fmt.Sprintf("%s: exit status %d", shellJoin(e.Argv), e.ExitCode)
	}
	return fmt.Sprintf("%s: %v", shellJoin(e.Argv), e.Err)
}

// Unwrap returns the underlying error.
func (e *CommandError) Unwrap() error { return e.Err }

// Tail returns the last n lines of the command's output.
func (e *CommandError) Tail(n int) string { return tail(string(e.Output), n) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ExecRunner runs commands on this machine with LC_ALL=C, so that their messages can be read
// the same everywhere.
type ExecRunner struct {
	// Env is added to the environment of every command.
	Env []string
}

// Run runs argv and returns its combined output.
func (r ExecRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	return r.RunLines(ctx, argv, nil)
}

// RunLines runs argv, calling line for every line of combined output as it comes.
func (r ExecRunner) RunLines(ctx context.Context, argv []string, line func(string)) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("run: empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), r.Env...)
	// A command runs in a process group of its own, and a timeout or an interrupt kills the
	// whole group: disko and nixos-install leave children (mkfs, nix builders) that would
	// otherwise keep running, and keep the output pipe open, after their parent is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			out.Write(sc.Bytes())
			out.WriteByte('\n')
			if line != nil {
				line(sc.Text())
			}
		}
		_, _ = io.Copy(&out, pr) // a line longer than the buffer: keep the rest as it is
	}()
	err := cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	pw.Close()
	wg.Wait()
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return out.Bytes(), &CommandError{Argv: argv, ExitCode: code, Output: out.Bytes(), Err: err}
	}
	return out.Bytes(), nil
}

// DryRunner records commands instead of running them: --dry-run's runner.
type DryRunner struct {
	mu         sync.Mutex
	Transcript []string
}

// Run records argv and succeeds without output.
func (d *DryRunner) Run(_ context.Context, argv []string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Transcript = append(d.Transcript, shellJoin(argv))
	return nil, nil
}

// shellJoin writes argv as a shell would need it typed, for logs and transcripts.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = shellQuote(a)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%#", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recorder is the test Runner: it records every command and fails the one whose index
// (counting from 0 over all commands run) is failAt.
type recorder struct {
	ran    []string
	failAt int
}

func (r *recorder) Run(_ context.Context, argv []string) ([]byte, error) {
	i := len(r.ran)
	r.ran = append(r.ran, shellJoin(argv))
	if i == r.failAt {
		return []byte("line 1\nsomething broke\n"), &CommandError{Argv: argv, ExitCode: 3, Output: []byte("line 1\nsomething broke\n"), Err: errors.New("exit status 3")}
	}
	return []byte("ok\n"), nil
}

func commands(p Plan) []string {
	var out []string
	for _, s := range p.Steps {
		for _, c := range s.Commands {
			out = append(out, shellJoin(c))
		}
	}
	return out
}

// stepOf returns the name of the step that runs the k-th command.
func stepOf(p Plan, k int) string {
	for _, s := range p.Steps {
		if k < len(s.Commands) {
			return s.Name
		}
		k -= len(s.Commands)
	}
	return ""
}

func noopHooks(p Plan, calls *[]string) map[Action]Hook {
	h := map[Action]Hook{}
	for _, s := range p.Steps {
		if s.Action != "" {
			h[s.Action] = func(_ context.Context, s Step, _ StepEvents) error {
				*calls = append(*calls, string(s.Action))
				return nil
			}
		}
	}
	return h
}

func syntheticPlan() Plan {
	return Plan{Host: Resolved{Answers: Answers{Host: Host{Hostname: "t"}}}, Steps: []Step{
		{Name: "preflight", Action: ActionPreflight},
		{Name: "write-layout", Files: []File{{Path: "/tmp/xennix/disko.nix", Data: []byte("{ }\n")}}},
		{Name: "disko", Commands: [][]string{{"disko", "--mode", "destroy,format,mount", "/tmp/xennix/disko.nix"}}, Destroys: []string{"/dev/disk/by-id/x"},
			OnResume: [][]string{{"disko", "--mode", "mount", "/tmp/xennix/disko.nix"}}, UndoneBy: "finish"},
		{Name: "generate", Commands: [][]string{{"nixos-generate-config", "--no-filesystems", "--root", "/mnt"}}},
		{Name: "install", Commands: [][]string{{"nixos-install", "--root", "/mnt"}, {"true"}}},
		{Name: "finish", Commands: [][]string{{"umount", "-R", "/mnt"}}},
		{Name: "reboot", Commands: [][]string{{"systemctl", "reboot"}}},
	}}
}

// checkFaults makes every command of p fail in turn and checks the error, what ran, the state
// file, and that --resume then runs exactly the rest.
func checkFaults(t *testing.T, p Plan) {
	t.Helper()
	all := commands(p)
	for k := range all {
		t.Run(fmt.Sprintf("fail-%d-%s", k, stepOf(p, k)), func(t *testing.T) {
			dir := t.TempDir()
			state := filepath.Join(dir, "state.json")
			var calls []string
			rec := &recorder{failAt: k}
			var log bytes.Buffer
			err := Execute(context.Background(), p, rec, ExecOptions{StateFile: state, Root: dir, Hooks: noopHooks(p, &calls), Log: slog.New(slog.NewJSONHandler(&log, nil))})
			var se *StepError
			if !errors.As(err, &se) {
				t.Fatalf("Execute = %v, want a StepError", err)
			}
			want := stepOf(p, k)
			if se.Step != want || !strings.Contains(err.Error(), all[k]) || !strings.Contains(err.Error(), "something broke") {
				t.Errorf("error = %q; want step %s, command %q and the output tail", err, want, all[k])
			}
			if !slices.Equal(rec.ran, all[:k+1]) {
				t.Errorf("ran %q, want %q (nothing after the failure)", rec.ran, all[:k+1])
			}
			st, err := LoadState(state)
			if err != nil {
				t.Fatal(err)
			}
			var wantDone []string
			for _, s := range p.Steps {
				if s.Name == want {
					break
				}
				wantDone = append(wantDone, s.Name)
			}
			if !slices.Equal(st.Done, wantDone) || st.Failed != want {
				t.Errorf("state done=%q failed=%q, want done=%q failed=%q", st.Done, st.Failed, wantDone, want)
			}
			// Resume: exactly the remaining commands, after the restore commands of the last
			// done step that has any.
			rec2 := &recorder{failAt: -1}
			if err := Execute(context.Background(), p, rec2, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: noopHooks(p, &calls)}); err != nil {
				t.Fatalf("resume: %v", err)
			}
			var wantRun []string
			started := false
			for _, s := range p.Steps {
				if s.Name == want {
					started = true
				}
				if !started {
					if s.UndoneBy != "" && slices.Contains(wantDone, s.UndoneBy) {
						continue // unmounted already: no mount again
					}
					for _, c := range s.OnResume {
						wantRun = append(wantRun, shellJoin(c))
					}
					continue
				}
				for _, c := range s.Commands {
					wantRun = append(wantRun, shellJoin(c))
				}
			}
			if !slices.Equal(rec2.ran, wantRun) {
				t.Errorf("resume ran\n%q\nwant\n%q", rec2.ran, wantRun)
			}
			st, _ = LoadState(state)
			if len(st.Done) != len(p.Steps) || st.Failed != "" {
				t.Errorf("state after resume: %+v", st)
			}
		})
	}
}

func TestExecuteFaults(t *testing.T) {
	checkFaults(t, syntheticPlan())
}

func TestExecuteWritesFilesAndEvents(t *testing.T) {
	p := syntheticPlan()
	dir := t.TempDir()
	var kinds []EventKind
	var calls []string
	err := Execute(context.Background(), p, &recorder{failAt: -1}, ExecOptions{
		StateFile: filepath.Join(dir, "state.json"), Root: dir, Hooks: noopHooks(p, &calls),
		Events: func(e Event) {
			if e.Kind != StepOutput {
				kinds = append(kinds, e.Kind)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tmp/xennix/disko.nix")); err != nil || string(b) != "{ }\n" {
		t.Errorf("disko.nix = %q, %v", b, err)
	}
	if len(kinds) != 2*len(p.Steps) {
		t.Errorf("events %v, want a start and a done per step", kinds)
	}
	if !slices.Equal(calls, []string{"preflight"}) {
		t.Errorf("hooks called %v", calls)
	}
}

func TestResumeRefusesOtherPlan(t *testing.T) {
	p := syntheticPlan()
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	var calls []string
	_ = Execute(context.Background(), p, &recorder{failAt: 1}, ExecOptions{StateFile: state, Root: dir, Hooks: noopHooks(p, &calls)})
	p.Steps[1].Files[0].Data = []byte("{ changed = true; }\n")
	err := Execute(context.Background(), p, &recorder{failAt: -1}, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: noopHooks(p, &calls)})
	if !errors.Is(err, ErrStateMismatch) {
		t.Errorf("resume with another plan = %v, want ErrStateMismatch", err)
	}
}

func TestMayFailStepContinues(t *testing.T) {
	p := syntheticPlan()
	p.Steps[3].MayFail = true
	var calls []string
	rec := &recorder{failAt: 1}
	dir := t.TempDir()
	if err := Execute(context.Background(), p, rec, ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir, Hooks: noopHooks(p, &calls)}); err != nil {
		t.Fatalf("Execute = %v, want the optional step's failure to be reported only", err)
	}
	if len(rec.ran) != len(commands(p)) {
		t.Errorf("ran %d commands, want all %d", len(rec.ran), len(commands(p)))
	}
}

func TestExecRunner(t *testing.T) {
	var lines []string
	out, err := ExecRunner{}.RunLines(context.Background(), []string{"sh", "-c", "echo one; echo two >&2; exit 4"}, func(l string) { lines = append(lines, l) })
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 4 {
		t.Fatalf("err = %v, want exit 4", err)
	}
	if !strings.Contains(string(out), "one") || !strings.Contains(string(out), "two") || len(lines) != 2 {
		t.Errorf("output %q lines %q", out, lines)
	}
	if !strings.Contains(ce.Error(), "sh -c 'echo one; echo two >&2; exit 4': exit status 4") {
		t.Errorf("error = %q", ce.Error())
	}
	if out, err := (ExecRunner{}).Run(context.Background(), []string{"sh", "-c", "echo $LC_ALL"}); err != nil || strings.TrimSpace(string(out)) != "C" {
		t.Errorf("LC_ALL = %q, %v; want C", out, err)
	}
}

// TestStateWriteFailureOnFailure: when the state file cannot record a failed step, the
// failure says so (and still names the step and its command), rather than only the log.
func TestStateWriteFailureOnFailure(t *testing.T) {
	p := syntheticPlan()
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	var calls []string
	rec := &recorder{failAt: 0}
	err := Execute(context.Background(), p, runnerFunc(func(ctx context.Context, argv []string) ([]byte, error) {
		// Something takes the state file's place while disko runs.
		if rerr := os.Remove(state); rerr != nil {
			t.Fatal(rerr)
		}
		if merr := os.MkdirAll(filepath.Join(state, "x"), 0o755); merr != nil {
			t.Fatal(merr)
		}
		return rec.Run(ctx, argv)
	}), ExecOptions{StateFile: state, Root: dir, Hooks: noopHooks(p, &calls)})
	var se *StepError
	var ce *CommandError
	if !errors.As(err, &se) || se.Step != "disko" || !errors.As(err, &ce) || !strings.Contains(err.Error(), "record the failure in the install state: write "+state) {
		t.Errorf("Execute = %v, want the disko failure and the state file's", err)
	}
}

// TestScrubFailureOnFailedStep: a file a failed step must remove (the passphrase) that
// cannot be removed is named in the step's failure, not only in the log.
func TestScrubFailureOnFailedStep(t *testing.T) {
	dir := t.TempDir()
	key := "/tmp/xennix/luks.key"
	// A non-empty directory where the key is: os.Remove fails, even for root.
	if err := os.MkdirAll(filepath.Join(dir, key, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := Plan{Steps: []Step{{Name: "disko", Commands: [][]string{{"disko"}}, Scrub: []string{key}}}}
	err := Execute(context.Background(), p, &recorder{failAt: 0}, ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir})
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "remove "+key) {
		t.Errorf("Execute = %v, want disko's failure and the key's removal", err)
	}
}

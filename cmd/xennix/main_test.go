package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"xennix":       func() { os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
		"xennix-setup": func() { os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line flows in testdata/script with the real binary.
func TestScripts(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			return nil
		},
	})
}

// TestExitCodes pins the exit codes: 0 success, 1 invalid input or failed work, 2 usage.
func TestExitCodes(t *testing.T) {
	good := "../../assets/examples/uefi-ext4-dhcp.yaml"
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nhost:\n  hostname: 'x\"; evil'\n"), 0o644)
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"xennix", "validate", good}, 0, "ok: xen-01"},
		{[]string{"xennix", "validate", bad}, 1, "host.hostname"},
		{[]string{"xennix", "validate"}, 2, "accepts 1 arg"},
		{[]string{"xennix", "validate", "--nope", good}, 2, "unknown flag"},
		{[]string{"xennix", "validate", "/nonexistent.yaml"}, 1, "no such file"},
		{[]string{"xennix", "schema"}, 0, `"$schema": "https://json-schema.org/draft/2020-12/schema"`},
		{[]string{"xennix", "version"}, 0, "xennix "},
		{[]string{"xennix-setup", "--root", t.TempDir()}, 1, "is this a host installed by xennix?"},
		{[]string{"/usr/bin/xennix-setup", "--root", t.TempDir(), "diff"}, 1, "is this a host installed by xennix?"},
		{[]string{"xennix", "frobnicate"}, 2, "unknown command"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb)
		all := out.String() + errb.String()
		if code != tc.code || !strings.Contains(all, tc.out) {
			t.Errorf("run(%q) = %d, output %q; want %d and %q", tc.args, code, all, tc.code, tc.out)
		}
	}
}

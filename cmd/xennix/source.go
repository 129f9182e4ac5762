package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/iso"
)

// readAnswers reads --answers: a local path, or an http(s) URL that gets a POST of the
// hardware report (iso.Fetcher: timeouts, retries with backoff). It returns the bytes and
// the name to put in problem messages.
func readAnswers(ctx context.Context, spec string, rep hwdetect.Report) ([]byte, string, error) {
	if !strings.Contains(spec, "://") {
		b, err := os.ReadFile(spec)
		if err != nil {
			return nil, spec, fmt.Errorf("read answers: %w", err)
		}
		return b, spec, nil
	}
	loc, err := iso.ParseLocation(spec)
	if err != nil {
		return nil, spec, usageError{fmt.Errorf("--answers: %w", err)}
	}
	f := &iso.Fetcher{Report: func() ([]byte, error) { return json.Marshal(rep) }}
	b, err := f.Fetch(ctx, iso.Request{Location: loc})
	if err != nil {
		return nil, loc.String(), err
	}
	return b, loc.String(), nil
}

// discoverAnswers looks for answers when --answers is not given, in the order DESIGN §6
// gives: the kernel command line (xennix.answers=URL|file:PATH, with its sha256, token and
// TLS pin), then a volume labelled XENNIX-ANS. It returns nil data when there are none: the
// install is then interactive.
func discoverAnswers(ctx context.Context, w io.Writer, root string, rep hwdetect.Report) ([]byte, string, error) {
	if b, err := os.ReadFile(filepath.Join(root, "proc/cmdline")); err == nil {
		cl, warnings, err := iso.ParseCmdline(string(b))
		for _, warn := range warnings {
			fmt.Fprintf(w, "kernel command line: %s\n", warn)
		}
		if err != nil {
			return nil, "", fmt.Errorf("kernel command line: %w", err)
		}
		if !cl.Location.IsZero() {
			req := cl.Request
			if req.Location.Path != "" {
				req.Location.Path = filepath.Join(root, req.Location.Path)
			}
			fmt.Fprintf(w, "answers from the kernel command line: %s\n", cl.Location)
			f := &iso.Fetcher{Report: func() ([]byte, error) { return json.Marshal(rep) },
				Logf: func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }}
			data, err := f.Fetch(ctx, req)
			if err != nil {
				return nil, "", err
			}
			return data, cl.Location.String(), nil
		}
	}
	dev := filepath.Join(root, "dev/disk/by-label", iso.VolumeLabel)
	if _, err := os.Stat(dev); err == nil {
		data, err := iso.ReadAnswersMedia(dev)
		if err != nil {
			return nil, "", fmt.Errorf("answers volume %s: %w", dev, err)
		}
		fmt.Fprintf(w, "answers from the volume labelled %s\n", iso.VolumeLabel)
		return data, iso.VolumeLabel + ":answers.yaml", nil
	}
	return nil, "", nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/iso"
)

// readAnswers reads --answers: a local path, or an http(s) URL that gets a POST of the
// hardware report (iso.Fetcher: timeouts, retries with backoff). It returns the bytes and
// the name to put in problem messages.
func readAnswers(ctx context.Context, spec string, rep hwdetect.Report) ([]byte, string, error) {
	if !strings.Contains(spec, "://") {
		b, err := installer.ReadFile(spec)
		if err != nil {
			return nil, spec, err
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

// discoverAnswers looks for answers when --answers is not given (iso.Discover): the kernel
// command line (xennix.answers=URL|file:PATH, with its sha256, token and TLS pin), then a DNS
// TXT record xennix-answers.<search domain>, then a volume labelled XENNIX-ANS. It returns
// nil data when there are none: the install is then interactive.
func discoverAnswers(ctx context.Context, w io.Writer, root string, rep hwdetect.Report) ([]byte, string, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	src, data, err := iso.Discover(ctx, iso.Options{
		Root:    root,
		Fetcher: &iso.Fetcher{Report: func() ([]byte, error) { return json.Marshal(rep) }, Logf: logf},
		Logf:    logf,
	})
	switch {
	case errors.Is(err, iso.ErrNoAnswers):
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("answers discovery: %w", err)
	}
	fmt.Fprintf(w, "answers from %s\n", src)
	return data, src.String(), nil
}

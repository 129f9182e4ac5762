# XenNix tasks. `just --list` shows them. Recipes are thin: each is a command you can run
# by hand too.

version := `git describe --tags --always --dirty 2>/dev/null || echo dev`

# Build the xennix binary into ./bin (and the xennix-setup name for it).
build:
    mkdir -p bin
    go build -ldflags "-X main.version={{version}}" -o bin/xennix ./cmd/xennix
    ln -sf xennix bin/xennix-setup

# Run every test (what CI runs after installing prerequisites: .ci/run).
test:
    go test ./...

# Static checks: formatting, vet, and every .nix file parses.
lint:
    test -z "$(gofmt -l $(git ls-files '*.go'))"
    go vet ./...
    for f in $(git ls-files '*.nix'); do nix-instantiate --parse "$f" >/dev/null || exit 1; done

# Format Go sources.
fmt:
    gofmt -w $(git ls-files '*.go')

# Regenerate golden files and the answers JSON Schema after an intended change.
update-golden:
    go test ./... -update

# Fuzz the answers decoder and the Nix printer for a while.
fuzz time="60s":
    go test ./installer -run XXX -fuzz FuzzParseValidate -fuzztime {{time}}
    go test ./nixexpr -run XXX -fuzz FuzzPrintString -fuzztime {{time}}

# Run the whole CI script locally (needs root: it installs Debian packages).
ci:
    bash .ci/run

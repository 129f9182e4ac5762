// Package nixexpr is a small model of Nix values and a printer for them. Every .nix file
// that XenNix generates is built from these values and printed here, so that no value taken
// from a user (a hostname, a path, a password hash) can ever become Nix code: strings are
// escaped, attribute names are quoted unless they are plain identifiers, and references to
// variables and functions are restricted to validated dotted identifiers.
//
// The printer's output is stable (same value, same bytes), readable, and close to nixfmt's
// style: two-space indentation, one attribute per line, short lists of scalars on one line.
//
// It imports no other package of this project.
package nixexpr

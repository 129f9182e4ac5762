// Package assets embeds the data the xennix binary carries: the NixOS host modules
// (assets/nixos/) and the example answers files (assets/examples/).
//
// It imports no other package of this project.
package assets

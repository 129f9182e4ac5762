// Package tui is the bubbletea interface over installer.Answers: one small model per screen,
// routed by the root model in app.go. It may import installer; installer never imports it.
package tui

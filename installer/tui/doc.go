// Package tui is the bubbletea interface over installer.Answers: one small model per screen,
// routed by the root model in app.go. It may import installer; installer never imports it.
//
// The screens, in order: welcome (the hardware), disks, storage, impermanence, network,
// Xen, host and users, review (every choice, the plan's files and commands, and the typed
// confirmation of each disk to erase), install progress, done. The question screens are
// huh forms shown a page at a time (formscreen.go); the accessible mode (accessible.go)
// asks the same pages as plain prompts. Screens checks a partial answers file to skip what
// it fully answers. Run is the entry point; the command supplies the planner and the
// executor in Options, so that nothing here touches a disk except the encryption key file.
package tui

// Package hwdetect scans a machine's hardware into a Report: firmware (UEFI or BIOS,
// Secure Boot), CPU and virtualisation support, IOMMU, hypervisor, memory, disks, NICs and
// PCI devices, with warnings in words an operator understands.
//
// Scan takes a filesystem root as a value and reads <root>/sys, <root>/proc, <root>/run/udev
// and <root>/dev/disk/by-id, so tests run on fixture trees and production on "/".
//
// It imports no other package of this project.
package hwdetect

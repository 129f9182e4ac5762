package tui

// screenHelp is what F1 says about each screen: what it decides and what its choices mean.
var screenHelp = [numScreens]string{
	scrWelcome: "What the installer found on this machine. A warning says what will not work " +
		"here: without VT-x/AMD-V only PV guests run; without an active IOMMU no PCI device " +
		"can be given to a guest; Secure Boot must be off for Xen. Nothing is decided here.",
	scrDisks: "Which disks XenNix is installed on: everything on them is erased. One disk, or " +
		"two of about the same size for a mirror (btrfs raid1, a ZFS mirror, or mdadm RAID1 " +
		"under ext4 and lvm). The installer medium, read-only and mounted disks cannot be picked.",
	scrStorage: "How the disks are laid out. ext4: one root file system, guest images as files. " +
		"lvm: a 64GiB root volume and a thin pool for guest disks. btrfs: subvolumes, and / " +
		"can be reset at every boot. zfs: a pool with datasets, guest disks as zvols. " +
		"tmpfs-root: / in memory, only /nix and /persist on disk. Encryption asks for the " +
		"passphrase at every boot. Swap is in GiB unless a unit is given.",
	scrImpermanence: "Impermanence resets / at every boot to a blank state: only /nix, /persist " +
		"and the paths listed survive, so the host is what its configuration says and nothing " +
		"else. It needs btrfs, zfs or tmpfs-root storage.",
	scrNetwork: "How the host and its guests reach the network: a bridge (guests' interfaces " +
		"join it) over one NIC or a bond of several. DHCP or a static address, an optional " +
		"management VLAN for the host's own address, and DNS.",
	scrXen: "dom0 is the Linux that runs Xen's tools and the guests' disk and network I/O. " +
		"Its memory is fixed at boot (dom0_mem); the rest of the machine is for guests. PCI " +
		"devices reserved here are hidden from dom0 (xen-pciback) to be passed through.",
	scrHost: "The host's name, time zone and console keymap, and who can log in: root's " +
		"password and SSH keys, and an optional admin user in the wheel group. Passwords are " +
		"hashed at once; only the hashes are written.",
	scrReview: "Every choice, the files that will be written and the commands that will run. " +
		"Tab switches between them. Nothing has been written yet: c asks you to type the name " +
		"of each disk to erase, and only then does the install start.",
	scrProgress: "The install, step by step; l shows the log. If a step fails, what was done " +
		"is kept: r retries it, s says where a shell is, and `xennix install --resume` " +
		"continues later.",
	scrDone: "The install's result and the check that the new system will boot Xen. s saves " +
		"the answers: `xennix install --answers FILE` installs the same again, headless.",
}

// setupHelp replaces the installer's words on the screens xennix-setup shows differently.
var setupHelp = map[screenID]string{
	scrWelcome: "The host as it is now. The disk layout was chosen at install time and cannot " +
		"change here; the network, Xen's share, passthrough, persisted paths, the logins and the guests can.",
	scrGuests: "The guests XenNix manages: a adds one, e (or enter) edits the one under the cursor, " +
		"d removes it from the list (its volumes are kept), r goes on to the review. Guests declared " +
		"in configuration.nix are listed read-only: edit them there. Nothing is written before the " +
		"review's apply.",
	scrReview: "The files that would change, as a diff, and how the change takes effect " +
		"(nixos-rebuild switch, or boot when it needs a reboot). a applies it; if the rebuild " +
		"fails the previous files are put back, and Esc goes back to change the answers.",
}

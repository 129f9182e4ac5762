{
  description = "XenNix: NixOS as a Xen hypervisor host (dom0), its installer and host modules";

  inputs = {
    # nixos-unstable: the Xen module with Limine and BIOS boot (virtualisation.xen.boot.*,
    # nixpkgs PR #393287, in 25.11 and later) and Go 1.26, which go.mod requires
    # (nixos-25.11 ships Go 1.25). Switch to the first stable release that has Go 1.26 when
    # one exists; `nix flake lock` records the exact revision either way.
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    disko = {
      url = "github:nix-community/disko";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    impermanence = {
      url = "github:nix-community/impermanence";
      # Its flake's nixpkgs and home-manager inputs are only for its own tests; without
      # them the installer image needs to carry three sources, not five.
      inputs.nixpkgs.follows = "nixpkgs";
      inputs.home-manager.follows = "";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      disko,
      impermanence,
      ...
    }@inputs:
    let
      system = "x86_64-linux";
      inherit (nixpkgs) lib;
      pkgs = import nixpkgs {
        inherit system;
        overlays = [ self.overlays.default ];
      };

      version = self.shortRev or self.dirtyShortRev or "dev";

      # The example hosts: for each answers file in assets/examples/, the /etc/nixos the
      # installer writes for it (assets/nixos/examples/<name>/, regenerated and checked by
      # `go test ./installer -run ExampleHosts`).
      examples = [
        "bios-limine-static"
        "btrfs-impermanence"
        "lvm-thinpool-bond-vlan"
        "tmpfs-root"
        "uefi-ext4-dhcp"
        "zfs-mirror-impermanence"
      ];

      # What the installer's /etc/nixos/flake.nix passes to nixosSystem (installer/target.go);
      # the host's configuration.nix imports ./xennix/host.nix, the installed copy of
      # nixosModules.host, itself.
      hostModules = [
        disko.nixosModules.disko
        impermanence.nixosModules.impermanence
        { nixpkgs.overlays = [ self.overlays.default ]; }
      ];

      exampleHost =
        name:
        lib.nixosSystem {
          inherit system;
          specialArgs = { inherit inputs; };
          modules = hostModules ++ [ ./assets/nixos/examples/${name}/configuration.nix ];
        };

      installerSystem =
        module:
        lib.nixosSystem {
          inherit system;
          specialArgs = { inherit inputs; };
          modules = [
            module
            { nixpkgs.overlays = [ self.overlays.default ]; }
          ];
        };

      # A check that only needs the host to evaluate: the toplevel's .drv, not its outputs.
      evalCheck =
        name: nixos:
        pkgs.writeText "${name}-drv-path" (
          builtins.unsafeDiscardOutputDependency nixos.config.system.build.toplevel.drvPath
        );
    in
    {
      overlays.default = final: _prev: {
        # buildGoModule with Go 1.26 where the default Go is older.
        xennix = (final.buildGo126Module or final.buildGoModule) {
          pname = "xennix";
          inherit version;
          src = lib.cleanSource ./.;
          # The NAR hash of `go mod vendor`: `just vendor-hash` recomputes it, and
          # TestVendorHash (assets/nixos_test.go) fails when it is stale.
          vendorHash = "sha256-Vo7C7vwOJo/Jm2QH8H9JABpu3YamCRNIg/4kVsDda8c=";
          subPackages = [ "cmd/xennix" ];
          ldflags = [
            "-s"
            "-w"
            "-X main.version=${version}"
          ];
          # `go test ./...` runs in CI (.ci/run) with its prerequisites (nix-instantiate, root,
          # loop devices); the build sandbox has none of them.
          doCheck = false;
          postInstall = ''
            ln -s xennix $out/bin/xennix-setup
          '';
          meta = {
            description = "XenNix installer and host configurator";
            mainProgram = "xennix";
            platforms = lib.platforms.linux;
          };
        };
      };

      packages.${system} = {
        inherit (pkgs) xennix;
        default = pkgs.xennix;
        iso = self.nixosConfigurations.installer-iso.config.system.build.isoImage;
        netboot = self.nixosConfigurations.netboot.config.system.build.xennixNetboot;
      };

      nixosModules = {
        host = ./assets/nixos/host.nix;
        default = self.nixosModules.host;
      };

      nixosConfigurations =
        {
          installer-iso = installerSystem ./iso/installer.nix;
          netboot = installerSystem ./iso/netboot.nix;
        }
        // lib.listToAttrs (map (n: lib.nameValuePair "example-${n}" (exampleHost n)) examples)
        // {
          example-guests = lib.nixosSystem {
            inherit system;
            specialArgs = { inherit inputs; };
            modules = hostModules ++ [ ./assets/nixos/tests/example-guests/configuration.nix ];
          };
        };

      checks.${system} =
        lib.listToAttrs (
          map (n: lib.nameValuePair "example-${n}" (evalCheck "example-${n}" self.nixosConfigurations."example-${n}")) examples
        )
        // {
          # The uefi-ext4-dhcp host with declared guests (xennix.guests): evaluates each NixOS
          # guest with it.
          example-guests = evalCheck "example-guests" self.nixosConfigurations.example-guests;
          xennix = pkgs.xennix;
          installer-iso-eval = evalCheck "installer-iso" self.nixosConfigurations.installer-iso;
          netboot-eval = evalCheck "netboot" self.nixosConfigurations.netboot;
          # Boots the installer in a VM (needs KVM), installs onto a blank disk headless.
          installer-vm = pkgs.testers.runNixOSTest (import ./iso/vm-test.nix { inherit inputs; });
        };

      devShells.${system}.default = pkgs.mkShell {
        packages = [
          (pkgs.go_1_26 or pkgs.go)
          pkgs.gopls
          pkgs.just
          pkgs.nixfmt
          pkgs.nix
          pkgs.qemu
          pkgs.OVMF
          pkgs.pixiecore
        ];
        # assets/nixos_test.go evaluates the modules with the real lib when this is set.
        shellHook = ''
          export NIXPKGS_LIB=${nixpkgs}
        '';
      };

      # nixfmt is the RFC 166 formatter (the package was called nixfmt-rfc-style until
      # nixpkgs 25.05 made it the default nixfmt).
      formatter.${system} = pkgs.nixfmt;
    };
}

# The flake of this XenNix host, written once by the installer. Its inputs are pinned in
# flake.lock to the revisions the installer image carried, so it builds offline.
# Rebuild with: nixos-rebuild switch --flake /etc/nixos#legacy-01
# (the configuration's name follows networking.hostName in xennix/settings.nix).
{
  description = "A XenNix host";
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567";
    disko = {
      url = "github:nix-community/disko/89abcdef0123456789abcdef0123456789abcdef";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    impermanence = {
      url = "github:nix-community/impermanence/fedcba9876543210fedcba9876543210fedcba98";
      inputs = {
        nixpkgs.follows = "nixpkgs";
        home-manager.follows = "";
      };
    };
    xennix = {
      url = "github:xennix/xennix/00112233445566778899aabbccddeeff00112233";
      inputs = {
        nixpkgs.follows = "nixpkgs";
        disko.follows = "disko";
        impermanence.follows = "impermanence";
      };
    };
  };
  outputs = inputs@{ self, nixpkgs, disko, impermanence, xennix, ... }:
  let
    hostName = (import ./xennix/settings.nix {
      pkgs = { };
    }).networking.hostName;
  in
  {
    nixosConfigurations = builtins.listToAttrs [
      {
        name = hostName;
        value = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs.inputs = inputs;
          modules = [
            disko.nixosModules.disko
            impermanence.nixosModules.impermanence
            {
              nixpkgs.overlays = [ xennix.overlays.default ];
            }
            ./configuration.nix
          ];
        };
      }
    ];
  };
}

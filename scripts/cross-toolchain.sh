# Sourced (not run) by scripts/release and scripts/test-platforms: `cross_toolchain TARGET` sets
# up, in the calling shell, what builds eks-kc for TARGET on an x86_64 Linux machine whose rustup
# has only the host's standard library (this project's machines and CI), installing the Debian
# packages it needs when they are missing (as root, else through `sudo -n`, else it says what to
# install and returns 1). Measured recipes: /work/shared/NOTES.md "Other platforms".
#
#   aarch64-unknown-linux-gnu   Debian's Rust (rustc-web, cargo-web: 1.96, /usr/bin) with its
#                               prebuilt arm64 standard library (libstd-rust-web-dev:arm64,
#                               multiarch); gcc-aarch64-linux-gnu as C compiler and linker of
#                               debug builds (zig links the release); qemu-user-static runs
#                               the binaries (the cargo runner). No -L /usr/aarch64-linux-gnu
#                               nor QEMU_LD_PREFIX: that pairs the cross package's ld.so with
#                               libc6:arm64's libc and every thread creation spins forever.
#   *-apple-darwin              Debian's Rust and the standard library's source (rust-web-src),
#                               built for the target (-Zbuild-std, RUSTC_BOOTSTRAP=1); zig is the
#                               C compiler and linker (cargo zigbuild). No macOS SDK exists here:
#                               the frameworks eks-kc links are the text stubs (.tbd) in
#                               packaging/macos-sdk-stubs/. MACOSX_DEPLOYMENT_TARGET=11.0 (zig's
#                               default is the newest macOS).
#
# It exports RUSTC and puts a directory whose `cargo` is Debian's first on PATH (cargo-zigbuild
# runs the cargo that started it), and sets the bash array `build_std` to the cargo arguments the
# target needs (empty for aarch64 Linux). Run it in a subshell to keep the caller's toolchain.

cross_toolchain() {
  local target=$1 debs=() missing=() pkg as_root=()
  case $target in
    aarch64-unknown-linux-gnu) debs=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu qemu-user-static) ;;
    *-apple-darwin) debs=(rustc-web cargo-web rust-web-src) ;;
    *) printf 'cross-toolchain: no recipe for %s\n' "$target" >&2; return 1 ;;
  esac
  for pkg in "${debs[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
      else
        printf 'cross-toolchain: %s needs the Debian packages %s (as root: apt-get install)\n' \
          "$target" "${missing[*]}" >&2
        return 1
      fi
    fi
    printf 'cross-toolchain: apt-get install %s\n' "${missing[*]}" >&2
    if [[ " ${missing[*]} " == *":arm64 "* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
      "${as_root[@]}" dpkg --add-architecture arm64
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  # Debian's rustc and cargo, ahead of rustup's proxies (~/.cargo/bin stays on PATH after them:
  # cargo-zigbuild, cargo-deb and cargo-generate-rpm are there).
  local bin
  bin=$(mktemp -d)
  ln -s /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc "$bin/"
  PATH=$bin:$PATH
  export PATH CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  build_std=()
  case $target in
    aarch64-unknown-linux-gnu)
      export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
        AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static
      unset QEMU_LD_PREFIX ;;
    *-apple-darwin)
      local stubs var
      stubs=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/packaging/macos-sdk-stubs
      var=CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<< "$target")_RUSTFLAGS
      export RUSTC_BOOTSTRAP=1 MACOSX_DEPLOYMENT_TARGET=11.0 "$var=-C link-arg=-F$stubs"
      # The release profile aborts on panic: its standard library must be built that way too.
      build_std=(-Zbuild-std=std,panic_abort) ;;
  esac
}

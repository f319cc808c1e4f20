#!/usr/bin/env bash
# System packages from Debian, shared by scripts/run.sh and scripts/test.sh (a no-op when everything
# is already there). Each block says which part of the product needs it.
#
#   install_system_packages.sh gpu    what the main job needs: the software Vulkan driver on which
#                                     the dynamic GPU-delegate gate runs
#   install_system_packages.sh test   all of it: the GPU gate plus what the tests need (Java, aapt2, adb)
#
# --best-effort: where packages cannot be installed here (not Debian, not root), say which ones are
# missing and exit 0, so the caller carries on and its report names what to install.
set -euo pipefail
group="${1:-test}"
best_effort=false
if [ "${2:-}" = "--best-effort" ]; then best_effort=true; fi
case "$group" in gpu|test) ;; *) echo "error: unknown group '$group': use gpu or test" >&2; exit 2 ;; esac

give_up() {  # the one-line reason, then stop (or carry on when --best-effort)
    if [ "$best_effort" = true ]; then
        echo "note: $1; the GPU-delegate verdict will say NOT MEASURED" >&2
        exit 0
    fi
    echo "error: $1" >&2
    exit 1
}
if ! command -v dpkg >/dev/null 2>&1; then
    give_up "not a Debian system: install libvulkan1 and Mesa's Vulkan driver (lavapipe, Mesa 25+) with your package manager"
fi

missing=()
need() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }

if [ "$group" = test ]; then
    # -- Java: the Android demo's logic runs as JUnit tests on the JVM --
    # javac + java (JDK 17 on Debian 12), JUnit 4 (+ hamcrest) for android_demo's core classes, and
    # aapt2 with the platform's framework-res.apk to link the demo's manifest and resources.
    if ! command -v javac >/dev/null 2>&1; then need default-jdk-headless; fi
    need junit4
    # Android ships org.json in its framework; Debian packages the same (Android's) implementation.
    need libandroid-json-java
    # glslangValidator (Khronos' reference compiler) checks the demo's GLSL ES shaders.
    if ! command -v glslangValidator >/dev/null 2>&1; then need glslang-tools; fi
    need aapt
    need android-framework-res
    # -- adb: the device benchmark talks to phones through the real adb client --
    # The adbutils wheel (a Python dependency) bundles adb 36 for x86-64 Linux, and the tests use it;
    # elsewhere its wheel carries no binary, so Debian's adb client is the one the tests run.
    if [ "$(uname -m)" != "x86_64" ]; then need adb; fi
    # -- C++ compiler: pip builds the dense CRF (pydensecrf2, the crf extra) from source --
    if ! command -v g++ >/dev/null 2>&1; then need g++; fi
fi
# -- Vulkan: LiteRT's GPU accelerator on a software driver proves GPU-delegate compatibility --
# The dynamic gate compiles each model with the GPU accelerator alone on Mesa's lavapipe (llvmpipe)
# Vulkan driver. Debian 12's own Mesa (22.3) finds no adapter there ("No adapters found"); the
# bookworm-backports build (25.x) works. The backports line reuses the archive URI this machine
# already uses, so this script names no host.
need libvulkan1
mesa_from_backports=false
if [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = "bookworm" ]; then
    case "$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)" in
        *bpo12*) ;;  # already the backports build
        *) mesa_from_backports=true ;;
    esac
else
    need mesa-vulkan-drivers
fi

debian_archive_uri() {
    # The first archive URI of the deb822 sources file, else of the one-line sources.list.
    local uri=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri="$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list)"
    fi
    echo "$uri"
}

if [ ${#missing[@]} -eq 0 ] && [ "$mesa_from_backports" = false ]; then
    exit 0
fi
wanted="${missing[*]}"
if [ "$mesa_from_backports" = true ]; then wanted="$wanted mesa-vulkan-drivers (from bookworm-backports)"; fi
if [ "$(id -u)" -ne 0 ]; then
    give_up "missing system packages (${wanted# }): run scripts/install_system_packages.sh $group as root, or install them with apt-get"
fi
echo "installing system packages: ${wanted# }" >&2
if [ "$mesa_from_backports" = true ] && \
    ! grep -rqsE --include='*.list' --include='*.sources' '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d; then
    uri="$(debian_archive_uri)"
    if [ -z "$uri" ]; then
        give_up "no Debian archive URI in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list: add bookworm-backports to apt's sources by hand"
    fi
    echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
fi
# apt's own progress goes to a log: the caller's output stays short (the main job's log is read by people).
apt_log="$(mktemp -t edge-deeplab-apt.XXXXXX.log)"
install_or_report() {
    if ! DEBIAN_FRONTEND=noninteractive "$@" >>"$apt_log" 2>&1; then
        tail -n 5 "$apt_log" >&2
        give_up "apt-get failed (full log: $apt_log): install ${wanted# } by hand"
    fi
}
install_or_report apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
    install_or_report apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$mesa_from_backports" = true ]; then
    install_or_report apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers
fi
rm -f "$apt_log"

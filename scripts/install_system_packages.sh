#!/usr/bin/env bash
# System packages the tests need, from Debian (run as root on a fresh machine; a no-op when
# everything is already there). Each block says which part of the product needs it.
set -euo pipefail
missing=()
need() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }

# -- Java: the Android demo's logic runs as JUnit tests on the JVM --
# javac + java (JDK 17 on Debian 12), JUnit 4 (+ hamcrest) for android_demo's core classes, and
# aapt2 with the platform's framework-res.apk to link the demo's manifest and resources.
if ! command -v javac >/dev/null 2>&1; then need default-jdk-headless; fi
need junit4
need aapt
need android-framework-res
# -- adb: the device benchmark talks to phones through the real adb client --
# The adbutils wheel (a Python dependency) bundles adb 36 for x86-64 Linux, and the tests use it;
# elsewhere its wheel carries no binary, so Debian's adb client is the one the tests run.
if [ "$(uname -m)" != "x86_64" ]; then need adb; fi
# -- Vulkan: LiteRT's GPU accelerator on a software driver proves GPU-delegate compatibility --
# converters/gpu_gate.py compiles each model with the GPU accelerator alone on Mesa's lavapipe
# (llvmpipe) Vulkan driver. Debian 12's own Mesa (22.3) finds no adapter there ("No adapters found");
# the bookworm-backports build (25.x) works. The backports line reuses the archive URI this machine
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

if [ ${#missing[@]} -gt 0 ] || [ "$mesa_from_backports" = true ]; then
    if [ "$(id -u)" -ne 0 ]; then
        wanted="${missing[*]}"
        if [ "$mesa_from_backports" = true ]; then wanted="$wanted mesa-vulkan-drivers (from bookworm-backports)"; fi
        echo "error: missing system packages (${wanted# }): run this script as root, or install them with apt-get" >&2
        exit 1
    fi
    if [ "$mesa_from_backports" = true ] && \
        ! grep -rqsE --include='*.list' --include='*.sources' '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d; then
        uri="$(debian_archive_uri)"
        if [ -z "$uri" ]; then
            echo "error: no Debian archive URI in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list: add bookworm-backports to apt's sources by hand" >&2
            exit 1
        fi
        echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
    fi
    apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    if [ "$mesa_from_backports" = true ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -t bookworm-backports mesa-vulkan-drivers
    fi
fi

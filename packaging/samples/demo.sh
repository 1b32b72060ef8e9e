#!/bin/sh
# Run the document plugins on every sample status document, as the README's
# quick start does:
#
#   sh packaging/samples/demo.sh BUILD_DIR [--live [HOST [DOMAIN]]]
#
# Each run prints a header, the plugin's output and "exit N"; a non-zero
# exit never stops the demo.  KMS_PLUGINS_NOW is set to the samples' "now"
# (2026-11-25T14:00:00Z) so the documents are fresh whenever this runs.
# check_kms_host and check_kms_dns talk to the network, so they only run
# with --live (HOST and DOMAIN default to $KMS_HOST and $KMS_DOMAIN).

usage() {
    echo "usage: sh $0 BUILD_DIR [--live [HOST [DOMAIN]]]" >&2
    exit 3
}

[ $# -ge 1 ] || usage
build=$1
shift
live=0
if [ "${1:-}" = "--live" ]; then
    live=1
    live_host=${2:-${KMS_HOST:-}}
    live_domain=${3:-${KMS_DOMAIN:-}}
elif [ $# -gt 0 ]; then
    usage
fi

samples=$(dirname "$0")
KMS_PLUGINS_NOW=2026-11-25T14:00:00Z
export KMS_PLUGINS_NOW

# run PLUGIN ARGS...: header, output, exit status; never fails.
run() {
    plugin=$1
    shift
    echo "=== $plugin $*"
    if [ ! -x "$build/$plugin" ]; then
        echo "(not built)"
        echo
        return 0
    fi
    "$build/$plugin" "$@"
    echo "exit $?"
    echo
}

for sample in healthy below-threshold expiring not-kms dns-failure cloned dns-domains; do
    for plugin in check_kms_count check_kms_renewal check_kms_service check_kms_clients; do
        run "$plugin" -u "$samples/$sample.json"
    done
done

if [ "$live" = 1 ]; then
    if [ -n "$live_host" ]; then
        run check_kms_host -H "$live_host"
    else
        echo "=== check_kms_host: skipped (no HOST given and \$KMS_HOST unset)"
    fi
    if [ -n "$live_domain" ]; then
        run check_kms_dns -D "$live_domain"
    else
        echo "=== check_kms_dns: skipped (no DOMAIN given and \$KMS_DOMAIN unset)"
    fi
else
    echo "(check_kms_host and check_kms_dns skipped: they need the network; add --live HOST DOMAIN)"
fi
exit 0

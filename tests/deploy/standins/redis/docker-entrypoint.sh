#!/bin/sh
# As the official image: a first argument that is an option means redis-server, and a server started
# without a config file gets --protected-mode no (Debian's binary keeps protected mode on).
set -e
case "${1:-}" in -*) set -- redis-server "$@" ;; esac
if [ "${1:-}" = redis-server ]; then
	case "${2:-}" in *.conf) ;; *) set -- "$@" --protected-mode no ;; esac
fi
exec "$@"

#!/usr/bin/env bash
# A throwaway nginx on 127.0.0.1 for tests and benchmarks, everything inside one directory.
#
#   nginx.sh start DIR PORT [WORKERS] [ROOT]   write DIR/nginx.conf, start nginx, wait until PORT
#                                              accepts
#   nginx.sh stop DIR                   stop the nginx whose pid is in DIR/nginx.pid, wait until gone
#
# Every request gets `200` with the body "Ok\n"; with ROOT, the files in ROOT are served
# instead (connperf --object's sizes: files named 1k, 64k, ... made with head -c). With TLS_CERT
# and TLS_KEY set (PEM files), the listener speaks TLS 1.2 and 1.3 with a session cache and
# tickets, and each request is logged to DIR/access.log as "$ssl_protocol $ssl_session_reused"
# ("r": resumed, "." full); KEEPALIVE_REQUESTS sets the requests per connection (default 100000).
# For benchmarks: TLS_SESSIONS=off turns the session cache and tickets off (every handshake is
# full), TLS_PROTOCOLS pins the versions ("TLSv1.2"; default "TLSv1.2 TLSv1.3") and
# ACCESS_LOG=off writes no access log.
# Works as root with Debian's nginx-light
# (/usr/sbin/nginx, override with $NGINX). Waits are bounded (5 s to start, 10 s to stop).
set -u

NGINX=${NGINX:-/usr/sbin/nginx}

die() { echo "nginx.sh: $*" >&2; exit 1; }

usage() {
  echo "usage: nginx.sh start DIR PORT [WORKERS] [ROOT] | nginx.sh stop DIR" >&2
  exit 2
}

alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_accepts() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

read_pid() {
  local pid=""
  [ -s "$1/nginx.pid" ] && pid=$(tr -dc '0-9' <"$1/nginx.pid")
  echo "$pid"
}

start() {
  [ $# -ge 2 ] || usage
  local dir port workers
  dir=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot use directory $1"
  port=$2
  workers=${3:-2}
  local location='return 200 "Ok\n";'
  if [ -n "${4:-}" ]; then
    [ -d "$4" ] || die "no directory $4"
    location="root $(cd "$4" && pwd);"
  fi
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port: $port"
  [[ $workers =~ ^[0-9]+$ ]] && [ "$workers" -ge 1 ] || die "bad worker count: $workers"
  [ -x "$NGINX" ] || die "$NGINX not found (apt-get install nginx-light)"

  local old
  old=$(read_pid "$dir")
  if [ -n "$old" ] && alive "$old"; then
    die "an nginx (pid $old) is already running from $dir; run: nginx.sh stop $dir"
  fi
  if port_accepts "$port"; then
    die "127.0.0.1:$port already accepts connections; pick another port"
  fi

  mkdir -p "$dir/tmp" || die "cannot create $dir/tmp"
  rm -f "$dir/nginx.pid"

  # As root the workers would switch to "nobody", which may not reach DIR; keep them root
  # (loopback-only test server). As another user the directive does not apply, so leave it out.
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"

  local access_line="access_log off;" ssl_flag="" ssl_lines=""
  if [ -n "${TLS_CERT:-}" ]; then
    [ -r "$TLS_CERT" ] && [ -r "${TLS_KEY:-}" ] || die "TLS_CERT and TLS_KEY must be readable files"
    access_line="log_format tls '\$ssl_protocol \$ssl_session_reused'; access_log $dir/access.log tls;"
    [ "${ACCESS_LOG:-on}" = off ] && access_line="access_log off;"
    local cache="shared:SSL:1m" tickets=on
    [ "${TLS_SESSIONS:-on}" = off ] && cache=off && tickets=off
    ssl_flag=" ssl"
    ssl_lines="        ssl_certificate $TLS_CERT;
        ssl_certificate_key $TLS_KEY;
        ssl_protocols ${TLS_PROTOCOLS:-TLSv1.2 TLSv1.3};
        ssl_session_cache $cache;
        ssl_session_tickets $tickets;"
  fi

  cat >"$dir/nginx.conf" <<EOF
# Written by tests/peers/nginx.sh
$user_line
daemon on;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_processes $workers;
worker_rlimit_nofile 16384;

events {
    worker_connections 4096;
    multi_accept off;
}

http {
    $access_line
    server_tokens off;
    default_type text/plain;
    keepalive_requests ${KEEPALIVE_REQUESTS:-100000};
    keepalive_timeout 65;

    client_body_temp_path $dir/tmp/client_body;
    proxy_temp_path       $dir/tmp/proxy;
    fastcgi_temp_path     $dir/tmp/fastcgi;
    uwsgi_temp_path       $dir/tmp/uwsgi;
    scgi_temp_path        $dir/tmp/scgi;

    server {
        listen 127.0.0.1:$port reuseport backlog=4096$ssl_flag;
$ssl_lines
        location / {
            $location
        }
    }
}
EOF

  # -e: the error log to use before the configuration is read (else /var/log/nginx/error.log).
  local out
  if ! out=$("$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>&1); then
    echo "$out" >&2
    [ -s "$dir/error.log" ] && tail -n 5 "$dir/error.log" >&2
    die "nginx failed to start (config $dir/nginx.conf)"
  fi

  # Bounded: 50 x 0.1 s.
  local i pid
  for ((i = 0; i < 50; i++)); do
    pid=$(read_pid "$dir")
    if [ -n "$pid" ] && alive "$pid" && port_accepts "$port"; then
      echo "nginx pid $pid listening on 127.0.0.1:$port ($workers workers)"
      return 0
    fi
    sleep 0.1
  done
  [ -s "$dir/error.log" ] && tail -n 5 "$dir/error.log" >&2
  pid=$(read_pid "$dir")
  [ -n "$pid" ] && alive "$pid" && stop "$dir" >/dev/null 2>&1
  die "nginx did not accept on 127.0.0.1:$port within 5 s (see $dir/error.log)"
}

# Waits (bounded, tenths of a second) until none of the given pids is alive.
wait_gone() {
  local tenths=$1 i p any
  shift
  for ((i = 0; i < tenths; i++)); do
    any=0
    for p in "$@"; do alive "$p" && any=1; done
    [ $any -eq 0 ] && return 0
    sleep 0.1
  done
  return 1
}

stop() {
  [ $# -ge 1 ] || usage
  local dir=$1 pid workers
  pid=$(read_pid "$dir")
  if [ -z "$pid" ]; then
    echo "nginx.sh: no pid file in $dir, nothing to stop" >&2
    return 0
  fi
  if ! alive "$pid"; then
    rm -f "$dir/nginx.pid"
    echo "nginx pid $pid already gone"
    return 0
  fi
  # The workers hold the reuseport listeners too, so wait for them as well.
  workers=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ')
  # QUIT: graceful (finish in-flight requests, idle keep-alive connections are closed).
  kill -QUIT "$pid" 2>/dev/null
  if ! wait_gone 50 "$pid" $workers; then
    echo "nginx.sh: pid $pid still there after QUIT, sending TERM" >&2
    kill -TERM "$pid" $workers 2>/dev/null
    if ! wait_gone 30 "$pid" $workers; then
      echo "nginx.sh: sending KILL to $pid $workers" >&2
      kill -KILL "$pid" $workers 2>/dev/null
      wait_gone 20 "$pid" $workers || die "nginx pid $pid would not go away"
    fi
  fi
  rm -f "$dir/nginx.pid"
  echo "nginx pid $pid stopped"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) usage ;;
esac

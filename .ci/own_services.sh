# Servers of tresor's own for the TLS run, the S3 document store and the restart drill, beside
# (never instead of) the machine's PostgreSQL on 5432 and Redis on 6379, which other test runs
# share. Each ensure_* function is idempotent: it starts what is not running and exports where
# it listens. Sourced by .ci/run; usable by hand (`source .ci/own_services.sh; ensure_tls_postgres`).

OWN_DIR=${TRESOR_OWN_SERVICES_DIR:-/tmp/tresor-own-services}
# PostgreSQL's server binaries (found when first needed: .ci/run may install PostgreSQL later).
pg_bin() {
    if [ -z "${PG_BIN:-}" ]; then
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    fi
    export PG_BIN
}

# A test CA and a server certificate for localhost / 127.0.0.1 signed by it, plus an unrelated CA
# (the "wrong CA" a client must refuse).
ensure_test_ca() {
    local dir=$OWN_DIR/ca
    if [ ! -s "$dir/server.pem" ] || [ ! -s "$dir/other-ca.pem" ]; then
        mkdir -p "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tresor test CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -days 3650 -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=some other CA" \
            -keyout "$dir/other-ca.key" -out "$dir/other-ca.pem" 2>/dev/null
        # PostgreSQL runs as `postgres` and wants its key private to it.
        cp "$dir/server.key" "$dir/pg-server.key"
        chown postgres "$dir/pg-server.key" 2>/dev/null || true
        chmod 600 "$dir/pg-server.key"
        chmod 755 "$OWN_DIR" "$dir"
        chmod 644 "$dir/ca.pem" "$dir/server.pem" "$dir/other-ca.pem" "$dir/server.key"
    fi
    export TRESOR_TEST_CA=$dir/ca.pem TRESOR_TEST_OTHER_CA=$dir/other-ca.pem
}

# ensure_own_postgres NAME PORT [tls]: a cluster of its own (initdb as `postgres`), password
# `postgres`, listening on 127.0.0.1:PORT; with `tls`, ssl=on with the test CA's certificate.
ensure_own_postgres() {
    local name=$1 port=$2 tls=${3:-}
    local data=$OWN_DIR/pg-$name
    pg_bin
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "PostgreSQL's server binaries are missing (install postgresql)" >&2
        return 1
    fi
    mkdir -p "$OWN_DIR" && chmod 755 "$OWN_DIR"
    if [ ! -s "$data/PG_VERSION" ]; then
        mkdir -p "$data" && chown postgres "$data" && chmod 700 "$data"
        printf 'postgres\n' > "$OWN_DIR/pg-password" && chmod 644 "$OWN_DIR/pg-password"
        su postgres -c "$PG_BIN/initdb -D '$data' -U postgres --pwfile='$OWN_DIR/pg-password' \
            --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >/dev/null"
        {
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $port"
            echo "unix_socket_directories = '$data'"
            echo "max_connections = 300"
            echo "fsync = on"
            if [ "$tls" = tls ]; then
                echo "ssl = on"
                echo "ssl_cert_file = '$OWN_DIR/ca/server.pem'"
                echo "ssl_key_file = '$OWN_DIR/ca/pg-server.key'"
            fi
        } >> "$data/postgresql.conf"
    fi
    # A client that goes away mid-handshake (a test's pool dropped while it connects) holds a
    # backend in "authentication" until this timeout (60 s by default), and every DROP DATABASE
    # ... WITH (FORCE) of the suite waits for that backend meanwhile.
    if ! grep -q '^authentication_timeout' "$data/postgresql.conf"; then
        echo "authentication_timeout = 5s" >> "$data/postgresql.conf"
        if "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -q; then
            su postgres -c "$PG_BIN/pg_ctl -D '$data' reload >/dev/null"
        fi
    fi
    if ! "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -q; then
        su postgres -c "$PG_BIN/pg_ctl -D '$data' -l '$data/server.log' -w -t 60 start >/dev/null"
    fi
    "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -q
}

# ensure_own_redis NAME PORT [tls|aof]: a redis-server of its own on 127.0.0.1:PORT; `tls` serves
# TLS only (the test CA's certificate), `aof` persists every write (what a job queue needs to
# survive a restart).
ensure_own_redis() {
    local name=$1 port=$2 mode=${3:-}
    local dir=$OWN_DIR/redis-$name
    mkdir -p "$dir"
    local args=(--daemonize yes --bind 127.0.0.1 --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid")
    case "$mode" in
        tls) args+=(--port 0 --tls-port "$port" --tls-cert-file "$OWN_DIR/ca/server.pem"
                    --tls-key-file "$OWN_DIR/ca/server.key" --tls-ca-cert-file "$OWN_DIR/ca/ca.pem"
                    --tls-auth-clients no --save "" --appendonly no) ;;
        aof) args+=(--port "$port" --save "" --appendonly yes --appendfsync always) ;;
        *) args+=(--port "$port" --save "" --appendonly no) ;;
    esac
    printf '%q ' redis-server "${args[@]}" > "$dir/start.sh"
    if ! own_redis_ping "$name" "$port" "$mode"; then
        bash "$dir/start.sh"
        for _ in $(seq 1 30); do own_redis_ping "$name" "$port" "$mode" && break; sleep 0.5; done
    fi
    own_redis_ping "$name" "$port" "$mode"
}

own_redis_ping() {
    local port=$2 mode=${3:-}
    if [ "$mode" = tls ]; then
        redis-cli --tls --cacert "$OWN_DIR/ca/ca.pem" -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1
    else
        redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1
    fi
}

# An S3-protocol server (s3s-fs) on 127.0.0.1:PORT over a folder, with one bucket for the tests.
ensure_s3() {
    local port=${1:-9014}
    local dir=$OWN_DIR/s3
    if ! command -v s3s-fs >/dev/null 2>&1; then
        step "installing s3s-fs (the test S3 server)"
        cargo install s3s-fs --version 0.14.1 --locked --features binary
    fi
    command -v curl >/dev/null 2>&1 || apt_install curl
    mkdir -p "$dir/root/tresor-test"
    if ! curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
        nohup s3s-fs --host 127.0.0.1 --port "$port" --access-key tresor-test --secret-key tresor-test-secret \
            "$dir/root" > "$dir/s3s.log" 2>&1 &
        echo $! > "$dir/s3s.pid"
        for _ in $(seq 1 30); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
    fi
    curl -s -o /dev/null "http://127.0.0.1:$port/"
    export TEST_S3_ENDPOINT=http://127.0.0.1:$port TEST_S3_ROOT=$dir/root TEST_S3_BUCKET=tresor-test \
        TEST_S3_ACCESS_KEY_ID=tresor-test TEST_S3_SECRET_ACCESS_KEY=tresor-test-secret
}

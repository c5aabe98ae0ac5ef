#!/usr/bin/env bash
# A self-signed certificate for the proxy's TLS (deploy/nginx.conf), for a machine of your
# own or a test: browsers warn about it. A real deployment puts its CA-issued certificate
# and key at the same two paths (docs/serving.md § TLS).
#   bash scripts/make_local_cert.sh [DIR] [HOST]   (DIR: deploy/tls, HOST: localhost)
# Writes DIR/cert.pem and DIR/key.pem (the key readable by its owner only); keeps an
# existing pair unless FORCE=1.
set -euo pipefail

dir="${1:-deploy/tls}"
host="${2:-localhost}"
mkdir -p "$dir"
if [[ -s "$dir/cert.pem" && -s "$dir/key.pem" && "${FORCE:-0}" != 1 ]]; then
    echo "keeping the certificate in $dir (FORCE=1 makes a new one)"
    exit 0
fi
umask 077
openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 825 \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" \
    -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
    -addext "keyUsage=digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 644 "$dir/cert.pem"     # the key stays 600: nginx's master reads it as root
echo "wrote $dir/cert.pem and $dir/key.pem for $host"

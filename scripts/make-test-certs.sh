#!/usr/bin/env bash
# Makes the TLS test fixtures in Tests/Fixtures/tls (checked in; run again only to replace
# them): a test CA and a second, unrelated CA; server certificates for localhost and 127.0.0.1
# (one more for the reload test, one expired in 2001, one for another name); client
# certificates for alice and bob signed by the CA, and one for alice signed by the other CA.
# EC P-256 keys, valid for 100 years (but the expired one). Needs openssl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/Tests/Fixtures/tls"
mkdir -p "$out"
cd "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # name, subject
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days "$days" -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
signed() { # name, subject, extensions, CA
    key "$1.key"
    openssl req -new -key "$1.key" -out "$work/$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$work/$1.ext"
    openssl x509 -req -in "$work/$1.csr" -CA "$4.pem" -CAkey "$4.key" -CAcreateserial -CAserial "$work/serial" \
        -out "$1.pem" -days "$days" -extfile "$work/$1.ext" 2>/dev/null
}
ca ca "/CN=chat255 test CA"
ca other-ca "/CN=another CA"
server_ext="subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
signed server "/CN=localhost" "$server_ext" ca
signed server2 "/CN=localhost (reloaded)" "$server_ext" ca
signed wrong-name "/CN=chat.example.org" "subjectAltName=DNS:chat.example.org
extendedKeyUsage=serverAuth" ca
client_ext() { printf 'subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth' "$1"; }
signed alice "/CN=alice" "$(client_ext alice)" ca
signed bob "/CN=bob" "$(client_ext bob)" ca
signed alice-other-ca "/CN=alice" "$(client_ext alice)" other-ca
# Expired: `openssl ca` is the one that takes a start and an end date.
key expired.key
openssl req -new -key expired.key -out "$work/expired.csr" -subj "/CN=localhost"
mkdir -p "$work/ca"
touch "$work/ca/index.txt"
echo 1000 >"$work/ca/serial"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $work/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
CNF
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile ca.key -in "$work/expired.csr" -out expired.pem \
    -startdate 20000101000000Z -enddate 20010101000000Z -extensions ext -notext 2>/dev/null
rm -f ./*.srl
ls "$out"

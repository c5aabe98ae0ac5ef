#!/bin/sh
# One-shot (docker-compose.yml `es-certs`): a CA of this deployment and the node's HTTP
# and transport certificate, made once into the `certs` volume with the image's certutil.
# The CA certificate is public (0644: the API and indexer containers read it); every key
# stays 0640 root:root (the elasticsearch process reads them through group root).
set -eu
cd /usr/share/elasticsearch
if [ ! -f config/certs/ca/ca.crt ]; then
  bin/elasticsearch-certutil ca --silent --pem -out config/certs/ca.zip
  unzip -o config/certs/ca.zip -d config/certs
fi
if [ ! -f config/certs/elasticsearch/elasticsearch.crt ]; then
  printf 'instances:\n  - name: elasticsearch\n    dns: [elasticsearch, localhost]\n    ip: [127.0.0.1]\n' \
    > config/certs/instances.yml
  bin/elasticsearch-certutil cert --silent --pem -out config/certs/certs.zip \
    --in config/certs/instances.yml --ca-cert config/certs/ca/ca.crt --ca-key config/certs/ca/ca.key
  unzip -o config/certs/certs.zip -d config/certs
fi
chown -R root:root config/certs
find config/certs -type d -exec chmod 0755 {} \;
find config/certs -type f -exec chmod 0640 {} \;
chmod 0644 config/certs/ca/ca.crt

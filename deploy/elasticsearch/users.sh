#!/bin/sh
# One-shot (docker-compose.yml `es-users`), once the node answers: the least-privilege
# roles of docs/elasticsearch.md (role-*.json beside this script) and one user per
# process (and one for the API's live-bed pushes). Passwords come from the environment (.env), never from this file; they are
# sent in a JSON body, so they must not contain quotes or backslashes.
set -eu
: "${ELASTIC_PASSWORD:?}" "${DIRECTORY_API_ES_PASSWORD:?}" "${DIRECTORY_INDEXER_ES_PASSWORD:?}"
: "${DIRECTORY_SYNC_ES_PASSWORD:?}"
ES=https://elasticsearch:9200
CA=/usr/share/elasticsearch/config/certs/ca/ca.crt
call() {  # method path body
  curl -fsS --cacert "$CA" -u "elastic:${ELASTIC_PASSWORD}" -H 'Content-Type: application/json' \
    -X "$1" "$ES$2" -d "$3" > /dev/null
}
for role in directory_api directory_sync directory_indexer; do
  call PUT "/_security/role/$role" "$(cat "/setup/role-$role.json")"
done
call PUT /_security/user/directory_api \
  "{\"password\": \"${DIRECTORY_API_ES_PASSWORD}\", \"roles\": [\"directory_api\"]}"
# The API's live-bed pushes (ELASTICSEARCH_SYNC_*): the API's own user only reads.
call PUT /_security/user/directory_sync \
  "{\"password\": \"${DIRECTORY_SYNC_ES_PASSWORD}\", \"roles\": [\"directory_sync\"]}"
call PUT /_security/user/directory_indexer \
  "{\"password\": \"${DIRECTORY_INDEXER_ES_PASSWORD}\", \"roles\": [\"directory_indexer\"]}"
echo "roles and users directory_api, directory_sync, directory_indexer are in place"

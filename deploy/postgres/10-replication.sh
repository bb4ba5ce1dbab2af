#!/bin/sh
# Run once by the postgres image at initdb (docker-entrypoint-initdb.d): let the replica
# stream the primary's WAL with the application's role (docs/DEPLOYMENT.md, "Compose").
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"

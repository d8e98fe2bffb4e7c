#!/bin/bash
# MinIO's contract as far as docker-compose.yml uses it: port 9000, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD as the one
# access key (AWS signature v2 or v4), objects kept under /data (the compose volume "artifacts"), one folder per bucket.
# The arguments compose passes to MinIO ("server /data") are ignored.
set -euo pipefail
cat > /tmp/s3proxy.properties <<PROPERTIES
s3proxy.endpoint=http://0.0.0.0:9000
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}
s3proxy.credential=${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}
jclouds.provider=filesystem
jclouds.filesystem.basedir=/data
PROPERTIES
exec java -Dlogback.configurationFile=/opt/s3proxy/logback.xml -cp '/opt/s3proxy/libs/*' org.gaul.s3proxy.Main \
  --properties /tmp/s3proxy.properties

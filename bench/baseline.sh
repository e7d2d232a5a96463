#!/usr/bin/env bash
# The shell way, as a CI step would scan images with the AWS CLI: for each image in
# turn, start a scan, wait for it (the CLI's waiter polls every 5 s), read the findings.
#   bash bench/baseline.sh REPOSITORY COUNT [TAG_PREFIX]
# ENDPOINT is the ECR endpoint, passed as --endpoint-url; credentials and region come
# from the environment.
set -euo pipefail
repo=$1
count=$2
prefix=${3:-img-}
: "${ENDPOINT:?set ENDPOINT to the ECR endpoint URL}"

for ((i = 0; i < count; i++)); do
  image="imageTag=${prefix}${i}"
  aws ecr start-image-scan --endpoint-url "$ENDPOINT" --repository-name "$repo" --image-id "$image" >/dev/null
  aws ecr wait image-scan-complete --endpoint-url "$ENDPOINT" --repository-name "$repo" --image-id "$image"
  aws ecr describe-image-scan-findings --endpoint-url "$ENDPOINT" --repository-name "$repo" --image-id "$image" >/dev/null
done

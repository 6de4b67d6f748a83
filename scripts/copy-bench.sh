#!/usr/bin/env bash
# Builds a 100k-record, ~1 GB-of-blobs pod on SQLite + disk, then times
# rhizome store copy to PostgreSQL + S3 (versitygw), all on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."; go build -o bin/rhizome ./cmd/rhizome; .ci/versitygw; BIN=$PWD/bin/rhizome; D=$(mktemp -d /tmp/cb.XXXX); PORT=2631; POD=http://127.0.0.1:$PORT
$BIN serve --data $D --plc-url embedded --rate-limits off --listen 127.0.0.1:$PORT --handle-domains .test > $D.log 2>&1 &
PID=$!; sleep 2
TOK=$(curl -s -X POST $POD/xrpc/com.atproto.server.createAccount -H 'content-type: application/json' \
  -d '{"handle":"big.test","email":"big@example.test","password":"password-big"}' | python3 -c 'import json,sys;d=json.load(sys.stdin);print(d["accessJwt"]+" "+d["did"])')
set -- $TOK; JWT=$1; DID=$2
t0=$(date +%s)
python3 - "$POD" "$JWT" "$DID" <<'PY'
import json,sys,urllib.request,os
pod,jwt,did=sys.argv[1:4]
def call(m,body,ct='application/json'):
    r=urllib.request.Request(pod+'/xrpc/'+m,data=body,headers={'authorization':'Bearer '+jwt,'content-type':ct})
    return json.load(urllib.request.urlopen(r,timeout=120))
# 100 blobs of 10 MiB, each referenced by a record
for i in range(100):
    b=call('com.atproto.repo.uploadBlob',os.urandom(10<<20),'application/octet-stream')['blob']
    call('com.atproto.repo.createRecord',json.dumps({'repo':did,'collection':'com.example.file','record':{'$type':'com.example.file','n':i,'file':b}}).encode())
for s in range(0,100000,200):
    ws=[{'$type':'com.atproto.repo.applyWrites#create','collection':'com.example.note','value':{'$type':'com.example.note','text':'note %d %s'%(i,'lorem ipsum '*8),'createdAt':'2026-11-21T00:00:00.000Z'}} for i in range(s,s+200)]
    call('com.atproto.repo.applyWrites',json.dumps({'repo':did,'writes':ws,'validate':False}).encode())
PY
t1=$(date +%s); echo "filled in $((t1-t0)) s"; kill $PID; wait $PID 2>/dev/null || true
du -sh $D/rhizome.db $D/blobs
# S3 and PostgreSQL targets
S3D=$(mktemp -d /tmp/s3.XXXX); export AWS_ACCESS_KEY_ID=copybench AWS_SECRET_ACCESS_KEY=copybench-secret-0123456789
ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY .bin/versitygw --port 127.0.0.1:2632 --quiet posix $S3D > $S3D.log 2>&1 &
S3PID=$!; sleep 1
DB=rhizome_copybench_$$; psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
t0=$(date +%s.%N)
$BIN store copy --data $D --from sqlite://$D/rhizome.db --to postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable \
  --blobs-from file://$D/blobs --blobs-to "s3://copybench?endpoint=http://127.0.0.1:2632&region=us-east-1&create=true" --json > $D.copy.json
t1=$(date +%s.%N); echo "copy took $(echo "$t1 - $t0" | bc) s"; tail -3 $D.copy.json
t0=$(date +%s.%N)
$BIN store copy --data $D --from sqlite://$D/rhizome.db --to postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable \
  --blobs-from file://$D/blobs --blobs-to "s3://copybench?endpoint=http://127.0.0.1:2632&region=us-east-1" --json > $D.copy2.json
t1=$(date +%s.%N); echo "second run took $(echo "$t1 - $t0" | bc) s"; tail -1 $D.copy2.json
kill $S3PID; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $DB"; rm -rf $D $S3D

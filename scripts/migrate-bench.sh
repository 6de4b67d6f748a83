#!/usr/bin/env bash
# Times `rhizome migrate` of a 100k-record account with ~1 GB of blobs
# (100 blobs of 10 MiB) between two pods on SQLite + disk sharing one PLC
# directory, all on loopback; then `rhizome backup create` of the moved
# account, `rhizome backup verify` and `rhizome backup restore` onto a
# third pod, for their throughput.
set -euo pipefail
cd "$(dirname "$0")/.."; go build -o bin/rhizome ./cmd/rhizome; BIN=$PWD/bin/rhizome
W=$(mktemp -d /tmp/mb.XXXX); PLC=http://127.0.0.1:2641; A=http://127.0.0.1:2642; B=http://127.0.0.1:2643; C=http://127.0.0.1:2644
export RHIZOME_PLC_URL=$PLC # every command asks this directory, never a public one
$BIN plc serve --data $W/plc --listen 127.0.0.1:2641 > $W/plc.log 2>&1 & PLCPID=$!
$BIN serve --data $W/a --plc-url $PLC --rate-limits off --listen 127.0.0.1:2642 --handle-domains .test > $W/a.log 2>&1 & APID=$!
$BIN serve --data $W/b --plc-url $PLC --rate-limits off --listen 127.0.0.1:2643 --handle-domains .test > $W/b.log 2>&1 & BPID=$!
$BIN serve --data $W/c --plc-url $PLC --rate-limits off --listen 127.0.0.1:2644 --handle-domains .test > $W/c.log 2>&1 & CPID=$!
trap 'kill $PLCPID $APID $BPID $CPID 2>/dev/null; rm -rf $W' EXIT
sleep 2
printf 'password-big\n' > $W/pass; printf 'a long passphrase for the bench\n' > $W/passphrase
$BIN identity create --pod $A --handle big.test --email big@example.test --password-file $W/pass \
  --keystore $W/keys --passphrase-file $W/passphrase --plc $PLC --json > $W/id.json
python3 -c 'import json;d=json.load(open("'$W'/id.json"));print(" ".join(d["phrase"]))' > $W/phrase
DID=$(python3 -c 'import json;print(json.load(open("'$W'/id.json"))["did"])')
JWT=$(curl -s -X POST $A/xrpc/com.atproto.server.createSession -H 'content-type: application/json' \
  -d '{"identifier":"big.test","password":"password-big"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["accessJwt"])')
t0=$(date +%s)
python3 - "$A" "$JWT" "$DID" <<'PY'
import json,sys,urllib.request,os
pod,jwt,did=sys.argv[1:4]
def call(m,body,ct='application/json'):
    r=urllib.request.Request(pod+'/xrpc/'+m,data=body,headers={'authorization':'Bearer '+jwt,'content-type':ct})
    return json.load(urllib.request.urlopen(r,timeout=120))
for i in range(100):
    b=call('com.atproto.repo.uploadBlob',os.urandom(10<<20),'application/octet-stream')['blob']
    call('com.atproto.repo.createRecord',json.dumps({'repo':did,'collection':'com.example.file','record':{'$type':'com.example.file','n':i,'file':b}}).encode())
for s in range(0,100000,200):
    ws=[{'$type':'com.atproto.repo.applyWrites#create','collection':'com.example.note','value':{'$type':'com.example.note','text':'note %d %s'%(i,'lorem ipsum '*8),'createdAt':'2026-11-21T00:00:00.000Z'}} for i in range(s,s+200)]
    call('com.atproto.repo.applyWrites',json.dumps({'repo':did,'writes':ws,'validate':False}).encode())
PY
echo "filled in $(( $(date +%s) - t0 )) s"; du -sh $W/a/rhizome.db $W/a/blobs
t0=$(date +%s.%N)
$BIN migrate --from $A --to $B --account big.test --password-file $W/pass --phrase-file $W/phrase --plc $PLC \
  --state-dir $W/state --json > $W/migrate.json
t1=$(date +%s.%N); echo "migrate took $(echo "$t1 - $t0" | bc) s"; tail -1 $W/migrate.json | cut -c1-400
t0=$(date +%s.%N)
$BIN backup create --pod $B --did $DID --plc $PLC --to $W/archive --passphrase-file $W/passphrase --json > $W/backup.json
t1=$(date +%s.%N); echo "backup create took $(echo "$t1 - $t0" | bc) s"; du -sh $W/archive
t0=$(date +%s.%N)
$BIN backup verify --from $W/archive --plc $PLC --passphrase-file $W/passphrase > $W/verify.out
t1=$(date +%s.%N); echo "backup verify took $(echo "$t1 - $t0" | bc) s"; tail -2 $W/verify.out
t0=$(date +%s.%N)
$BIN backup restore --from $W/archive --passphrase-file $W/passphrase --pod $C --email big@example.test \
  --password-file $W/pass --phrase-file $W/phrase > $W/restore.out
t1=$(date +%s.%N); echo "backup restore took $(echo "$t1 - $t0" | bc) s"; tail -2 $W/restore.out

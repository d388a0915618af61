#!/bin/bash
# t3004-registry-transfer.sh - export | import between two real stores:
# idempotence, lineage and origin, cards; tampered and malicious tar
# streams refused with nothing written.
. "$(dirname "$0")/test-lib.sh"

# A second store, "prod", beside the test's own ("test").
make_prod() {
	mlops init --env prod prod >/dev/null
}

# churn/1 in the test store: two artifacts, metrics, params, lineage, a
# card, approved.
make_version() {
	echo '{"learner":{}}' >model.json &&
	head -c 5000 /dev/urandom >weights.bin &&
	echo '{"auc": 0.91}' >metrics.json &&
	MLOPS_RUN_ID=run-7 MLOPS_STEP=train MLOPS_GIT_COMMIT=abc123 \
		mlops-registry register -a model.json -a weights.bin \
		--metrics metrics.json --param eta=0.1 churn >/dev/null &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low >/dev/null &&
	MLOPS_USER=lead@example.com mlops-registry approve -m ok churn/1 >/dev/null
}

# craft.py MODE IN OUT: rewrite a valid export IN into a bad one.
write_crafter() {
	cat >craft.py <<-\EOF
	import io, sys, tarfile
	mode, src, dst = sys.argv[1:4]
	members = []
	with tarfile.open(src, "r:") as t:
	    for m in t.getmembers():
	        members.append((m, t.extractfile(m).read()))
	out = tarfile.open(dst, "w:", format=tarfile.USTAR_FORMAT)
	def add(name, data, kind=tarfile.REGTYPE, link=""):
	    i = tarfile.TarInfo(name); i.size = len(data); i.type = kind
	    i.linkname = link; i.mode = 0o644
	    out.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
	for m, data in members:
	    name = m.name
	    if "artifacts/weights.bin" in name:
	        if mode == "flip":
	            data = bytes([data[0] ^ 1]) + data[1:]
	        elif mode == "oversize":
	            data = data + b"x" * 4096
	        elif mode == "absolute":
	            name = "/tmp/evil"
	        elif mode == "dotdot":
	            name = "mlops-model/artifacts/../../evil"
	        elif mode == "symlink":
	            add(name, b"", tarfile.SYMTYPE, "/etc/passwd"); continue
	        elif mode == "hardlink":
	            add(name, b"", tarfile.LNKTYPE, "mlops-model/manifest.json"); continue
	        elif mode == "device":
	            add(name, b"", tarfile.CHRTYPE); continue
	        elif mode == "missing":
	            continue
	    add(name, data)
	if mode == "extra":
	    add("mlops-model/artifacts/extra.sh", b"#!/bin/sh\n")
	out.close()
	EOF
}

test_expect_success 'export | import moves a version between stores' '
	make_prod &&
	make_version &&
	mlops-registry export churn/1 |
		mlops --store prod registry import >out &&
	echo churn/1 >expect &&
	test_cmp expect out &&
	mlops --store prod registry show --json churn/1 >shown &&
	test "$(jq -r .status shown)" = Approved &&
	test "$(jq -r .metrics.auc shown)" = 0.91 &&
	test "$(jq -r .params.eta shown)" = 0.1 &&
	test "$(jq -r .lineage.run_id shown)" = run-7 &&
	test "$(jq -r .lineage.git_commit shown)" = abc123 &&
	test "$(jq -r .origin.account shown)" = test &&
	test "$(jq -r .origin.arn shown)" = model-package/churn/1 &&
	test "$(jq -r .created_by shown)" = tester@example.com &&
	mlops --store prod registry get -o got churn/1 &&
	cmp weights.bin got/weights.bin &&
	cmp model.json got/model.json &&
	mlops --store prod fsck &&
	mlops --store prod audit verify
'

test_expect_success 'a real XGBoost model predicts the same after export | import | get' '
	make_prod &&
	$PYTHON - <<-\EOF &&
	import json, numpy as np, xgboost as xgb
	rng = np.random.default_rng(1)
	X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
	m = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
	m.save_model("model.json")
	np.savetxt("x.csv", X[:10], delimiter=",")
	np.savetxt("want.txt", m.predict_proba(X[:10])[:, 1])
	json.dump({"accuracy": float((m.predict(X) == y).mean())}, open("metrics.json", "w"))
	EOF
	mlops-registry register -a model.json --metrics metrics.json --status Approved churn &&
	mlops-registry export churn/1 | mlops --store prod registry import &&
	test_expect_code 4 mlops --store prod registry get -o served churn@champion 2>err &&
	grep "alias .champion. is not set" err &&
	mlops --store prod registry get -o served \
		$(mlops --store prod registry latest --status Approved churn) &&
	$PYTHON - <<-\EOF
	import numpy as np, xgboost as xgb
	m = xgb.XGBClassifier(); m.load_model("served/model.json")
	got = m.predict_proba(np.loadtxt("x.csv", delimiter=","))[:, 1]
	assert np.allclose(got, np.loadtxt("want.txt")), (got,)
	EOF
'

test_expect_success 'the import keeps who approved it at the origin' '
	make_prod &&
	make_version &&
	mlops-registry export churn/1 | MLOPS_USER=ops@example.com \
		mlops --store prod registry import &&
	mlops --store prod registry lineage --json churn/1 >lin &&
	test "$(jq -r .approved.user lin)" = lead@example.com &&
	test "$(jq -r .approved.environment lin)" = test &&
	test "$(jq -r .approved.note lin)" = ok &&
	test "$(jq -r ".approvals[-1].action" lin)" = imported &&
	test "$(jq -r ".approvals[-1].user" lin)" = ops@example.com &&
	mlops --store prod registry lineage churn/1 >text &&
	grep "^origin: *test model-package/churn/1" text &&
	grep "^approved: .* by lead@example.com in test: ok" text
'

# dev -> staging -> prod, as the reference architecture promotes: lead
# approves in dev ("test" here), ops imports into staging for review,
# carol approves there, ops2 imports into prod.
promote() {
	mlops init --env staging staging >/dev/null &&
	make_prod &&
	make_version &&
	mlops-registry export churn/1 | MLOPS_USER=ops@example.com \
		mlops --store staging registry import \
		--status PendingManualApproval &&
	MLOPS_USER=carol@example.com mlops --store staging registry \
		approve -m "soak ok" churn/1 &&
	mlops --store staging registry export churn/1 |
		MLOPS_USER=ops2@example.com mlops --store prod registry import
}

test_expect_success 'promotion dev -> staging -> prod keeps every approval' '
	promote &&
	mlops --store prod registry status --json churn/1 >st &&
	jq -c ".approvals[] | [.environment, .action, .status, .user,
		.comment, .from]" st >got &&
	cat >expect <<-\EOF &&
	["test","registered","PendingManualApproval","tester@example.com",null,null]
	["test","approved","Approved","lead@example.com","ok",null]
	["staging","imported","PendingManualApproval","ops@example.com",null,"test"]
	["staging","approved","Approved","carol@example.com","soak ok",null]
	["prod","imported","Approved","ops2@example.com",null,"staging"]
	EOF
	test_cmp expect got &&
	jq -r ".approvals[].time" st >times &&
	test_line_count = 5 times &&
	! grep -v "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T" times &&
	mlops --store prod registry status --history churn/1 >hist &&
	test_line_count = 5 hist &&
	grep "  test  approved by lead@example.com: ok$" hist &&
	grep "  staging  imported from test as PendingManualApproval by ops@example.com$" hist &&
	grep "  staging  approved by carol@example.com: soak ok$" hist &&
	grep "  prod  imported from staging as Approved by ops2@example.com$" hist &&
	mlops --store prod registry show churn/1 >show &&
	sed -n "/^history:/,\$p" show >shown &&
	test_line_count = 6 shown &&
	grep "^  .*  staging  approved by carol@example.com: soak ok$" shown &&
	mlops --store prod registry lineage --json churn/1 >lin &&
	test "$(jq -r .approved.user lin)" = carol@example.com &&
	test "$(jq -r .approved.environment lin)" = staging &&
	mlops --store prod registry lineage churn/1 >text &&
	grep "^approved: .* by carol@example.com in staging: soak ok" text &&
	mlops --store prod registry card show --json churn/1 >card &&
	test "$(jq -r .content.additional_information.custom_details.approved_by card)" = \
		carol@example.com
'

test_expect_success 'an import taking the exported status approves nothing' '
	mlops init --env staging staging >/dev/null &&
	make_version &&
	mlops-registry export churn/1 | MLOPS_USER=ops@example.com \
		mlops --store staging registry import &&
	mlops --store staging registry status --json churn/1 >st &&
	test "$(jq -r ".approvals | map(select(.user == \"ops@example.com\")) |
		map(.action) | join(\",\")" st)" = imported &&
	test "$(jq -r ".history[0].user" st)" = ops@example.com &&
	test "$(jq -r ".history[0].note" st)" = "imported from test"
'

test_expect_success 'importing twice changes nothing' '
	make_prod &&
	make_version &&
	mlops-registry export -o churn.tar churn/1 &&
	mlops --store prod registry import churn.tar &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	mlops --store prod registry import churn.tar >out 2>err &&
	echo churn/1 >expect &&
	test_cmp expect out &&
	grep "same content; nothing changed" err &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap)
'

test_expect_success 'the export is deterministic: the same version, the same bytes' '
	make_version &&
	mlops-registry export churn/1 >a.tar &&
	(umask 022 && mlops-registry export -o b.tar churn/1) &&
	cmp a.tar b.tar &&
	test "$(stat -c %a b.tar)" = 644 &&
	tar tf a.tar >members &&
	printf "%s\n" mlops-model/manifest.json mlops-model/artifacts/model.json \
		mlops-model/artifacts/weights.bin mlops-model/card.json >expect &&
	test_cmp expect members
'

test_expect_success 'the card and its revisions travel with the version' '
	make_prod &&
	make_version &&
	mlops-registry export churn/1 | mlops --store prod registry import &&
	mlops --store prod registry card history --json churn/1 >revs &&
	test_line_count = 2 revs &&
	test "$(mlops --store prod registry card show --json churn/1 |
		jq -r .content.intended_uses.risk_rating)" = Low
'

test_expect_success 'import --status sets the status in the target store' '
	make_prod &&
	make_version &&
	mlops-registry export churn/1 |
		mlops --store prod registry import --status PendingManualApproval &&
	test_expect_code 1 mlops --store prod registry status churn/1 &&
	mlops --store prod event log --json --source mlops.registry >events &&
	test_line_count = 1 events &&
	test "$(jq -r .detail.status events)" = PendingManualApproval &&
	test "$(jq -r .account events)" = prod
'

test_expect_success 'a different version under the same number is a conflict' '
	make_prod &&
	make_version &&
	echo other >other.bin &&
	mlops --store prod registry register -a other.bin churn &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	mlops-registry export churn/1 >churn.tar &&
	test_expect_code 4 mlops --store prod registry import churn.tar 2>err &&
	grep "churn/1 already exists in this store with other content" err &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap)
'

test_expect_success 'imported numbers do not come back for local registers' '
	make_prod &&
	make_version &&
	for i in 2 3; do
		mlops-registry register -a model.json churn >/dev/null || return 1
	done &&
	mlops-registry export churn/3 | mlops --store prod registry import &&
	test "$(mlops --store prod registry register -a model.json churn)" = churn/4
'

# import_crafted SCRIPT MODE: an export made into bad.tar by SCRIPT MODE
# is refused by the prod store with exit 3, the message in err.
import_crafted() {
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	$PYTHON "$1" "$2" good.tar bad.tar &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	test_expect_code 3 mlops --store prod registry import bad.tar 2>err
}

# After import_crafted: the prod store as it was, no temporary file left.
nothing_written() {
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap) &&
	test -z "$(ls prod/.mlops/tmp)"
}

# Each bad stream: exit 3, a message naming why, nothing written.
for mode in flip oversize absolute dotdot symlink hardlink device missing extra; do
	test_expect_success "a tampered stream ($mode) is refused, nothing written" '
		write_crafter &&
		import_crafted craft.py '$mode' &&
		case '$mode' in
		flip) grep "hash mismatch in member .mlops-model/artifacts/weights.bin." err ;;
		oversize) grep "weights.bin. is 9096 bytes, the manifest says 5000" err ;;
		absolute) grep "unsafe member name: absolute path" err ;;
		dotdot) grep "unsafe member name: .\.. or .\.\.. in the path" err ;;
		symlink) grep "refused member type: symbolic link" err ;;
		hardlink) grep "refused member type: hard link" err ;;
		device) grep "refused member type: character device" err ;;
		missing) grep "artifact .weights.bin. is missing" err ;;
		extra) grep "unexpected member .mlops-model/artifacts/extra.sh." err ;;
		esac &&
		nothing_written &&
		! test -e /tmp/evil
	'
done

test_expect_success 'import --max-size refuses larger artifacts, nothing written' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	test_expect_code 3 mlops --store prod registry import --max-size 4KB good.tar 2>err &&
	grep "oversize member: artifact .weights.bin. is 5000 bytes, more than the 4096 allowed" err &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap) &&
	test_expect_code 2 mlops --store prod registry import --max-size lots good.tar &&
	mlops --store prod registry import --max-size 1MB good.tar
'

test_expect_success 'a truncated stream is refused at every cut, nothing written' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	size=$(stat -c %s good.tar) &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	for cut in 0 100 512 1500 3000 7000 $((size - 1024)) $((size - 1))
	do
		head -c $cut good.tar >cut.tar &&
		test_expect_code 3 mlops --store prod registry import cut.tar 2>err &&
		grep -E "truncated tar stream|empty stream|two zero blocks" err ||
		return 1
	done &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap)
'

test_expect_success 'a corrupt header, garbage after the end, a stranger tar: refused' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	cp good.tar bad.tar &&
	printf "X" | dd of=bad.tar bs=1 seek=10 conv=notrunc 2>/dev/null &&
	test_expect_code 3 mlops --store prod registry import bad.tar 2>err &&
	grep "bad.tar: byte 0: not a tar archive" err &&
	msize=$(tar tvf good.tar | sed -n "1s/^[^ ]* [^ ]* *\([0-9]*\) .*/\1/p") &&
	second=$((512 + (msize + 511) / 512 * 512)) &&
	cp good.tar bad.tar &&
	printf "X" | dd of=bad.tar bs=1 seek=$((second + 10)) conv=notrunc 2>/dev/null &&
	test_expect_code 3 mlops --store prod registry import bad.tar 2>err &&
	grep "bad.tar: byte $second: damaged tar stream" err &&
	{ cat good.tar; echo junk; } >junk.tar &&
	test_expect_code 3 mlops --store prod registry import junk.tar 2>err &&
	grep "data after the end of the archive" err &&
	gzip -c good.tar >good.tar.gz &&
	test_expect_code 3 mlops --store prod registry import good.tar.gz 2>err &&
	grep "not a tar archive" err &&
	echo hello >hello.txt &&
	for format in ustar gnu pax
	do
		tar --format=$format -cf other.tar hello.txt &&
		test_expect_code 3 mlops --store prod registry import other.tar 2>err &&
		grep "unexpected member .hello.txt." err || return 1
	done &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap) &&
	test_expect_code 4 mlops --store prod registry import no-such.tar
'

# An export unpacked and packed again by another tool, as a user would:
# GNU tar in its gnu and pax formats and Python's tarfile in its default
# format, each with and without directory entries, and each in an order
# of members other than the export's.
test_expect_success 'an export re-packed by GNU tar or Python imports' '
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	mkdir x &&
	(cd x && tar xf ../good.tar) &&
	files="mlops-model/card.json mlops-model/artifacts/weights.bin
		mlops-model/manifest.json mlops-model/artifacts/model.json" &&
	(cd x &&
	 tar --format=gnu -cf ../gnu-dirs.tar mlops-model &&
	 tar --format=pax -cf ../pax-dirs.tar mlops-model &&
	 tar --format=gnu -cf ../gnu-files.tar $files &&
	 tar --format=pax -cf ../pax-files.tar $files) &&
	$PYTHON - $files <<-\EOF &&
	import os, sys, tarfile
	files = sys.argv[1:]
	os.chdir("x")
	assert tarfile.DEFAULT_FORMAT == tarfile.PAX_FORMAT
	with tarfile.open("../py-dirs.tar", "w") as t:
	    t.add("mlops-model/artifacts/weights.bin")
	    t.add("mlops-model", recursive=False)
	    t.add("mlops-model/card.json")
	    t.add("mlops-model/artifacts", recursive=False)
	    t.add("mlops-model/manifest.json")
	    t.add("mlops-model/artifacts/model.json")
	with tarfile.open("../py-files.tar", "w") as t:
	    for f in files:
	        t.add(f)
	EOF
	tar tf pax-files.tar >order &&
	test "$(head -n 1 order)" = mlops-model/card.json &&
	tar tf py-dirs.tar >order &&
	test "$(head -n 1 order)" = mlops-model/artifacts/weights.bin &&
	grep -x "mlops-model/" order &&
	tar tf gnu-dirs.tar >order &&
	grep -x "mlops-model/artifacts/" order &&
	for t in gnu-dirs gnu-files pax-dirs pax-files py-dirs py-files
	do
		rm -rf prod && make_prod &&
		mlops --store prod registry import $t.tar >out &&
		echo churn/1 >expect &&
		test_cmp expect out &&
		mlops --store prod registry get -o got churn/1 &&
		cmp weights.bin got/weights.bin &&
		test "$(mlops --store prod registry card show --json churn/1 |
			jq -r .content.intended_uses.risk_rating)" = Low &&
		mlops --store prod fsck || return 1
	done
'

# Tar tools write a name that is not ASCII in a pax record, in UTF-8,
# which libarchive would convert to the C locale the programs run in.
test_expect_success 'a UTF-8 artifact name survives a pax re-pack' '
	make_prod &&
	echo hi >modèle.bin &&
	mlops-registry register -a modèle.bin churn &&
	mlops-registry export -o good.tar churn/1 &&
	mkdir x &&
	(cd x && tar xf ../good.tar && tar --format=pax -cf ../pax.tar mlops-model) &&
	LC_ALL=C mlops --store prod registry import pax.tar &&
	mlops --store prod registry get -o got churn/1 &&
	cmp modèle.bin got/modèle.bin
'

# repack.py MODE IN OUT: a valid export IN re-packed by tarfile's default
# (pax) format with a twist.
write_repacker() {
	cat >repack.py <<-\EOF
	import io, sys, tarfile
	mode, src, dst = sys.argv[1:4]
	with tarfile.open(src, "r:") as t:
	    members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
	members.reverse()
	out = tarfile.open(dst, "w:")
	def add(name, data=b"", kind=tarfile.REGTYPE, link=""):
	    i = tarfile.TarInfo(name); i.size = len(data); i.type = kind
	    i.linkname = link; i.mode = 0o644
	    out.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
	for m, data in members:
	    if mode == "twice" and m.name.endswith("model.json"):
	        add(m.name, data)
	    if mode == "dir":
	        add("mlops-model/elsewhere", kind=tarfile.DIRTYPE)
	    if mode == "longlink" and m.name.endswith("weights.bin"):
	        add(m.name, kind=tarfile.SYMTYPE, link="/" + "x" * 200); continue
	    if mode == "longname" and m.name.endswith("weights.bin"):
	        add("mlops-model/artifacts/" + "../" * 60 + "evil", data); continue
	    if mode == "extra" and m.name.endswith("weights.bin"):
	        add("mlops-model/artifacts/extra.sh", b"#!/bin/sh\n")
	    add(m.name, data)
	out.close()
	EOF
}

# The same refusals, whatever the format and wherever the member sits:
# here members come in reverse order, the manifest last.
for mode in twice dir longlink longname extra; do
	test_expect_success "a hostile pax stream ($mode) is refused, nothing written" '
		write_repacker &&
		import_crafted repack.py '$mode' &&
		case '$mode' in
		twice) grep "member .mlops-model/artifacts/model.json. appears twice" err ;;
		dir) grep "unexpected member .mlops-model/elsewhere." err ;;
		longlink) grep "refused member type: symbolic link" err ;;
		longname) grep "unsafe member name: .*\.\." err ;;
		extra) grep "unexpected member .mlops-model/artifacts/extra.sh." err ;;
		esac &&
		nothing_written
	'
done

test_expect_success 'many artifacts before the manifest are refused' '
	make_prod &&
	$PYTHON - <<-\EOF &&
	import io, tarfile
	with tarfile.open("many.tar", "w") as t:
	    for i in range(4097):
	        t.addfile(tarfile.TarInfo("mlops-model/artifacts/a%d" % i), io.BytesIO())
	EOF
	test_expect_code 3 mlops --store prod registry import many.tar 2>err &&
	grep "more than 4096 artifacts before mlops-model/manifest.json" err &&
	test -z "$(ls prod/.mlops/tmp)"
'

test_expect_success 'import --max-size refuses an artifact that comes before the manifest' '
	make_prod &&
	make_version &&
	write_repacker &&
	mlops-registry export -o good.tar churn/1 &&
	$PYTHON repack.py reverse good.tar reversed.tar &&
	test_expect_code 3 mlops --store prod registry import --max-size 4KB \
		reversed.tar 2>err &&
	grep "oversize member: artifact .weights.bin. is 5000 bytes, more than the 4096 allowed" err &&
	test -z "$(ls prod/.mlops/tmp)" &&
	mlops --store prod registry import reversed.tar
'

# forge MEMBER JQ-FILTER: forged.tar, good.tar with mlops-model/MEMBER
# (manifest.json or card.json) rewritten by jq.
forge() {
	rm -rf x && mkdir x &&
	(cd x && tar xf ../good.tar) &&
	jq -c "$2" "x/mlops-model/$1" >m &&
	mv m "x/mlops-model/$1" &&
	(cd x && tar --format=ustar -cf ../forged.tar mlops-model/manifest.json \
		mlops-model/artifacts/model.json mlops-model/artifacts/weights.bin \
		mlops-model/card.json)
}

test_expect_success 'a forged manifest is refused' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	forge manifest.json ".model.group = \"../etc\"" &&
	test_expect_code 3 mlops --store prod registry import forged.tar 2>err &&
	grep "manifest: the model.s group" err
'

test_expect_success 'a NUL in a manifest string is refused, not truncated' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	forge manifest.json ".model.artifacts[0].name |= . + \"\\u0000x\"" &&
	grep -F "\\u0000x" x/mlops-model/manifest.json &&
	test_expect_code 3 mlops --store prod registry import forged.tar 2>err &&
	grep "manifest.json:1:[0-9]*: a NUL character (.u0000) in a string" err &&
	test_expect_code 4 mlops --store prod registry show churn/1 &&
	printf "%s\n" "{\"auc\\u0000x\": 1}" >m.json &&
	test_expect_code 3 mlops-registry register --metrics m.json \
		--artifact model.json churn 2>err &&
	grep "m.json:1:[0-9]*: a NUL character" err
'

test_expect_success 'a manifest without arn or history still notes its origin' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	forge manifest.json "del(.model.arn) | del(.history) | del(.approvals)" &&
	mlops --store prod registry import forged.tar &&
	mlops --store prod registry lineage --json churn/1 >lin &&
	test "$(jq -r .origin.account lin)" = test &&
	test "$(jq -c "[.approvals[] | [.environment, .action]]" lin)" = \
		"[[\"prod\",\"imported\"]]" &&
	test "$(jq -r .approved lin)" = null &&
	mlops --store prod registry lineage churn/1 >out &&
	grep "^origin: *test -, imported" out
'

# What an export carried before approvals: the source store's status
# history alone, an import from further back named in its first note.
test_expect_success 'an old manifest with only a status history imports' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	forge manifest.json "del(.approvals) |
		.history[0].note = \"imported from dev\"" &&
	MLOPS_USER=ops@example.com mlops --store prod registry import forged.tar &&
	mlops --store prod registry status --json churn/1 >st &&
	jq -c ".approvals[] | [.environment, .action, .user, .from]" st >got &&
	cat >expect <<-\EOF &&
	["test","imported","tester@example.com","dev"]
	["test","approved","lead@example.com",null]
	["prod","imported","ops@example.com","test"]
	EOF
	test_cmp expect got &&
	mlops --store prod registry export churn/1 |
		mlops --store prod registry import
'

# A store that imported before approvals kept the source's status history
# in the origin: it reads as the source's records, and exports them on.
test_expect_success 'a version imported before approvals shows its origin history' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	MLOPS_USER=ops@example.com mlops --store prod registry import good.tar &&
	tar xOf good.tar mlops-model/manifest.json | jq -c .history >old &&
	db=prod/.mlops/mlops.db &&
	trigger=$(sqlite3 $db "SELECT sql FROM sqlite_master
		WHERE name = \"registry_version_immutable\"") &&
	sqlite3 $db "DROP TRIGGER registry_version_immutable;
		UPDATE registry_version SET origin = json_remove(json_set(origin,
		\"\$.history\", json(readfile(\"old\"))), \"\$.approvals\");
		$trigger;" &&
	mlops --store prod registry show --json churn/1 >shown &&
	test "$(jq -r ".origin.approvals" shown)" = null &&
	jq -c "[.approvals[] | [.environment, .action, .user]]" shown >got &&
	echo "[[\"test\",\"registered\",\"tester@example.com\"],[\"test\",\"approved\",\"lead@example.com\"],[\"prod\",\"imported\",\"ops@example.com\"]]" >expect &&
	test_cmp expect got &&
	mlops --store prod registry export churn/1 >again.tar &&
	tar xOf again.tar mlops-model/manifest.json | jq -c "[.approvals[] | [.environment, .action, .user]]" >got &&
	test_cmp expect got
'

test_expect_success 'a forged approval record is refused, nothing written' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	for filter in ".approvals[1].action = \"blessed\"" \
		".approvals[0].time = \"yesterday\"" \
		".approvals[1].user = \"\"" \
		".approvals[1].environment = \"a\nb\"" \
		".approvals[1].from = \"dev\"" \
		".approvals = {}" \
		"del(.approvals) | .history[1].status = \"Blessed\""
	do
		forge manifest.json "$filter" &&
		test_expect_code 3 mlops --store prod registry import \
			forged.tar 2>err &&
		grep "forged.tar: manifest: \(approval record\|history record\|approvals\)" err ||
		return 1
	done &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap)
'

test_expect_success 'what register refuses in a stream is exit 3, before any blob' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../.snap) &&
	forge manifest.json ".model.framework = \"pytorch\"" &&
	test_expect_code 3 mlops --store prod registry import forged.tar 2>err &&
	grep "forged.tar: unknown framework .pytorch." err &&
	forge manifest.json ".model.framework = \"exec\" | del(.model.entry)" &&
	test_expect_code 3 mlops --store prod registry import forged.tar 2>err &&
	grep "framework .exec. needs --entry" err &&
	forge card.json ".[0].time = \"bogus\"" &&
	test_expect_code 3 mlops --store prod registry import forged.tar 2>err &&
	grep "forged.tar: card revision 1: .bogus. is not a timestamp" err &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../.snap)
'

# A 16 MB manifest listing 150000 artifacts: checking its names pairwise
# took minutes; sorted, it is refused at once. The timeout is a hang
# guard, far above the time it takes.
test_expect_success 'a manifest listing very many artifacts is refused promptly' '
	make_prod &&
	make_version &&
	mlops-registry export -o good.tar churn/1 &&
	forge manifest.json "def art(i): {name: \"a\(i)\", hash: (\"0\" * 64), size: 0};
		.model.artifacts = [range(150000) | art(.)]" &&
	test_expect_code 3 timeout 60 mlops --store prod registry import \
		forged.tar 2>err &&
	grep "unexpected member .mlops-model/artifacts/model.json." err &&
	forge manifest.json "def art(i): {name: \"a\(i % 149999)\", hash: (\"0\" * 64), size: 0};
		.model.artifacts = [range(150000) | art(.)]" &&
	test_expect_code 3 timeout 60 mlops --store prod registry import \
		forged.tar 2>err &&
	grep "manifest: artifact .a0. is listed twice" err
'

test_expect_success 'export of a missing version writes no file' '
	make_version &&
	test_expect_code 4 mlops-registry export -o x.tar churn/9 2>err &&
	grep "churn/9 not found" err &&
	! test -e x.tar
'

test_done

// CTest HdrLogReader: `connperf crr --hdr-log` read back by HdrHistogram's own JavaScript port
// (hdr-histogram-js's HistogramLogReader, installed by `scripts/setup.sh test` into
// tests/hdr/node_modules). Runs `connperf server` and `connperf crr` on loopback, then checks
// every interval of the log against the result document's intervals: the total tag's count is
// `completed` exactly, and connect's and response's p50 and p99 fall in the same bucket as the
// JSON's (HdrHistogram reports a bucket's highest value, connperf its midpoint: the same bucket
// is all the precision either has).
// Usage: node tests/hdr/check_hdr_log.js CONNPERF [WORKDIR]
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

let hdr;
try {
  hdr = require(path.join(__dirname, "node_modules", "hdr-histogram-js"));
} catch (e) {
  console.error("hdr-histogram-js is not installed in tests/hdr/node_modules: run scripts/setup.sh test");
  process.exit(1);
}

const connperf = process.argv[2];
const dir = process.argv[3] || fs.mkdtempSync(path.join(os.tmpdir(), "connperf-hdr-"));
fs.mkdirSync(dir, { recursive: true });
let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures++;
    console.error("FAIL: " + what);
  }
}

function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(connperf, ["server", "--listen", "127.0.0.1:0", "-q"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    const timer = setTimeout(() => reject(new Error("server did not listen: " + err)), 10000);
    server.stderr.on("data", (chunk) => {
      err += chunk;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ server, port: Number(m[1]) });
      }
    });
    server.on("exit", (code) => reject(new Error("server exited " + code + ": " + err)));
  });
}

function readLog(file) {
  const reader = new hdr.HistogramLogReader(fs.readFileSync(file, "utf8"));
  const byTag = {};
  for (let h; (h = reader.nextIntervalHistogram()) !== null;) (byTag[h.tag] = byTag[h.tag] || []).push(h);
  return byTag;
}

// connperf's nearest-rank percentile and HdrHistogram's land in one bucket: [lowest, highest].
function sameBucket(h, p, value, what) {
  const v = h.getValueAtPercentile(p);
  const low = h.lowestEquivalentValue(v), high = h.highestEquivalentValue(v);
  check(value >= low && value <= high, `${what} p${p}: JSON ${value}, log's bucket [${low}, ${high}]`);
}

async function main() {
  const { server, port } = await startServer();
  const log = path.join(dir, "x.hlog"), json = path.join(dir, "x.json");
  const crr = spawnSync(connperf, ["crr", "127.0.0.1:" + port, "-c", "4", "-d", "2.2",
                                   "--interval", "0.5", "-q", "--hdr-log", log, "--json", json],
                        { encoding: "utf8", timeout: 60000 });
  server.kill("SIGTERM");
  check(crr.status === 0, "crr exited " + crr.status + ": " + crr.stderr);
  if (crr.status !== 0) return;
  const doc = JSON.parse(fs.readFileSync(json, "utf8"));
  const intervals = doc.intervals;
  const byTag = readLog(log);
  check(JSON.stringify(Object.keys(byTag).sort()) === '["connect","response","total"]',
        "tags: " + Object.keys(byTag));
  check(intervals.length >= 4, intervals.length + " intervals");
  let completed = 0, responses = 0;
  for (const tag of ["connect", "response", "total"]) {
    const hs = byTag[tag] || [];
    check(hs.length === intervals.length, `${tag}: ${hs.length} lines for ${intervals.length} intervals`);
  }
  intervals.forEach((j, i) => {
    const total = byTag.total[i], connect = byTag.connect[i], response = byTag.response[i];
    const start = j.t - j.seconds;
    check(Math.abs((total.endTimeStampMsec - total.startTimeStampMsec) / 1000 - j.seconds) < 0.002,
          `interval ${i}: length ${(total.endTimeStampMsec - total.startTimeStampMsec) / 1000} vs ${j.seconds}`);
    check(Math.abs((total.startTimeStampMsec - byTag.total[0].startTimeStampMsec) / 1000 - start) < 0.002,
          `interval ${i}: starts at ${start}`);
    check(total.totalCount === j.completed, `interval ${i}: total count ${total.totalCount}, completed ${j.completed}`);
    // The engine records a response latency just before the total one: the copy of the two at a
    // tick may fall between them, so an interval's response count is within one per worker
    // thread of its total; over the run they are equal.
    check(Math.abs(response.totalCount - j.completed) <= 2,
          `interval ${i}: response count ${response.totalCount}, completed ${j.completed}`);
    responses += response.totalCount;
    completed += j.completed;
    if (j.completed === 0) return;
    for (const p of [50, 99]) {
      sameBucket(connect, p, j.connect_us["p" + p], `interval ${i} connect`);
      sameBucket(response, p, j.response_us["p" + p], `interval ${i} response`);
    }
  });
  check(completed === doc.summary.completed, `completed ${completed} of ${doc.summary.completed}`);
  check(responses === completed, `responses ${responses} of ${completed} over the run`);
  check(completed > 0, "nothing completed");
  console.log(`${intervals.length} intervals, ${completed} connections checked against ${log}`);
}

main().then(() => process.exit(failures ? 1 : 0), (e) => {
  console.error(e.message);
  process.exit(1);
});

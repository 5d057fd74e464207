// A jest reporter that closes each run with one plain line, `unit: 948 passed, 0 failed, 0 skipped`,
// and keeps the counts in .local/test-results/<label>.json. CI's log is judged by such closing lines
// (jest's own "Tests: 948 passed, 948 total" is not read as one), and `.ci/run` ends with the total of
// every run: `node test/support/summary-reporter.js --total`.
const fs = require('node:fs');
const path = require('node:path');

const RESULTS_DIR = path.join(__dirname, '..', '..', '.local', 'test-results');

function line(label, counts) {
  return `${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

class SummaryReporter {
  constructor(_globalConfig, options = {}) {
    this.label = options.label ?? 'tests';
  }

  onRunComplete(_contexts, results) {
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, `${this.label}.json`), JSON.stringify(counts));
    process.stdout.write(`${line(this.label, counts)}\n`);
  }
}

/** The total of the runs recorded since `--reset`; exits 1 when a run failed or none ran a test. */
function total() {
  const files = fs.existsSync(RESULTS_DIR) ? fs.readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')) : [];
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const file of files) {
    const counts = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8'));
    for (const key of Object.keys(sum)) sum[key] += counts[key];
  }
  process.stdout.write(`${line('total', sum)}\n`);
  return sum.failed === 0 && sum.passed > 0 ? 0 : 1;
}

if (require.main === module) {
  if (process.argv[2] === '--reset') fs.rmSync(RESULTS_DIR, { recursive: true, force: true });
  else if (process.argv[2] === '--total') process.exitCode = total();
  else {
    process.stderr.write('usage: node test/support/summary-reporter.js --reset | --total\n');
    process.exitCode = 2;
  }
}

module.exports = SummaryReporter;

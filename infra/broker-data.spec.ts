// infra/broker.sh's guard against data RabbitMQ 4 cannot boot on, run as bash runs it: the
// function is cut out of the script and called with the broker's version stubbed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The feature flags file of a RabbitMQ 3.10.8 node (Debian 12), as it left it. */
const FLAGS_3_10 = `[classic_mirrored_queue_version,drop_unroutable_metric,empty_basic_get_metric,
 implicit_default_bindings,maintenance_mode_status,quorum_queue,stream_queue,
 user_limits,virtual_host_metadata].
`;
/** An excerpt of a RabbitMQ 4.0.5 node's. */
const FLAGS_4_0 = `[classic_queue_type_delivery_support,feature_flags_v2,message_containers,
 message_containers_deaths_v2,mqtt_v5,quorum_queue,'rabbitmq_4.0.0',stream_queue].
`;
const NODE = 'iotcloud@localhost';

const script = readFileSync(join(__dirname, 'broker.sh'), 'utf8');
const guard = /^move_aside_pre_4_data\(\) \{\n[^]*?^\}\n/m.exec(script)?.[0];

describe('infra/broker.sh: data left by RabbitMQ older than 3.13', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'broker-data-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A node's data folder with this feature flags file; runs the guard under `version`; what it said. */
  function start(flags: string, version: string): string {
    mkdirSync(join(dir, 'mnesia', NODE), { recursive: true });
    writeFileSync(join(dir, 'mnesia', `${NODE}-feature_flags`), flags);
    const run = `log() { echo "$*"; }\nbroker_version() { echo "${version}"; }\n${guard}\nmove_aside_pre_4_data\n`;
    return execFileSync('bash', ['-c', run], { env: { ...process.env, BROKER_DIR: dir, NODE }, encoding: 'utf8' });
  }

  it('is found in the script', () => {
    expect(guard).toBeDefined();
    expect(script).toMatch(/^\s+move_aside_pre_4_data$/m);
  });

  it('moves 3.10 data aside before RabbitMQ 4.0 starts, and says why and where', () => {
    const said = start(FLAGS_3_10, '4.0.5-6+deb13u2');
    const aside = readdirSync(dir).filter((name) => name.startsWith('mnesia.pre-4.0-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(dir, 'mnesia'))).toBe(false);
    expect(existsSync(join(dir, aside[0], `${NODE}-feature_flags`))).toBe(true);
    expect(said).toContain('older than 3.13');
    expect(said).toContain(join(dir, aside[0]));
  });

  it('leaves 4.0 data to RabbitMQ 4.0, and 3.10 data to RabbitMQ 3.10', () => {
    expect(start(FLAGS_4_0, '4.0.5-6+deb13u2')).toBe('');
    expect(readdirSync(dir)).toEqual(['mnesia']);
    rmSync(join(dir, 'mnesia'), { recursive: true });
    expect(start(FLAGS_3_10, '3.10.8-1.1+deb12u1')).toBe('');
    expect(readdirSync(dir)).toEqual(['mnesia']);
  });
});

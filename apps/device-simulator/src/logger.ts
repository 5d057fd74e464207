/**
 * Where the simulator writes its lines. Kept tiny so tests can capture lines
 * and a fleet of 10,000 devices can share one (quiet) instance.
 */
export interface SimulatorLogger {
  /** Per-request lines, UART output, connects: the normal chatter. */
  info(line: string): void;
  /** Something went wrong but the device keeps running (invalid request, lost connection). */
  warn(line: string): void;
}

/** Writes info to stdout and warnings to stderr, one line each. */
export const consoleLogger: SimulatorLogger = {
  info: (line) => process.stdout.write(`${line}\n`),
  warn: (line) => process.stderr.write(`${line}\n`),
};

/** Drops everything. */
export const silentLogger: SimulatorLogger = {
  info: () => undefined,
  warn: () => undefined,
};

/**
 * The default for devices created in-process (e2e tests): the chatter is
 * dropped, warnings still reach stderr so a misbehaving test is explainable.
 */
export const warningsOnlyLogger: SimulatorLogger = {
  info: () => undefined,
  warn: (line) => process.stderr.write(`${line}\n`),
};

/**
 * The protocol library and the framework-free parts of @app/common are loaded by
 * the CLI, the simulator and tools: loading them must not load Nest, a broker
 * client or the validation libraries. Each case requires the module in a fresh
 * module registry in which those packages record that they were loaded.
 */
const FRAMEWORK = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  'amqplib',
  'amqp-connection-manager',
  'class-transformer',
  'class-validator',
] as const;

function frameworkLoadedBy(moduleName: string): string[] {
  const loaded = new Set<string>();
  jest.isolateModules(() => {
    for (const name of FRAMEWORK) {
      jest.doMock(name, () => {
        loaded.add(name);
        return jest.requireActual<object>(name);
      });
    }
    jest.requireActual<object>(moduleName);
  });
  return [...loaded].sort();
}

afterEach(() => {
  for (const name of FRAMEWORK) jest.dontMock(name);
});

describe('framework-free libraries', () => {
  it.each(['@app/device-protocol', '@app/common', '@app/common/device-command'])(
    '%s loads no Nest, no broker client and no validation library',
    (moduleName) => {
      expect(frameworkLoadedBy(moduleName)).toEqual([]);
    },
  );

  it('the probe sees what @app/common/nest loads (so the cases above can fail)', () => {
    expect(frameworkLoadedBy('@app/common/nest')).toEqual([...FRAMEWORK].sort());
  });
});

import { INestApplication } from '@nestjs/common';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request } from './support/https-client';

describe('platform (e2e, both apps on the real broker over AMQPS)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('GET /health reports database, broker and device-command up', async () => {
    const res = await request<Record<string, { status: string }>>(gateway.baseUrl, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      database: { status: 'up' },
      broker: { status: 'up' },
      deviceCommand: { status: 'up' },
    });
  });

  it('GET /health says 503 and names device-command when it is gone', async () => {
    await deviceCommand.close();
    try {
      const res = await request<Record<string, { status: string }>>(gateway.baseUrl, 'GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: 'degraded',
        database: { status: 'up' },
        deviceCommand: { status: 'down' },
      });
    } finally {
      deviceCommand = await startDeviceCommand();
    }
  });

  it('serves HTTPS with a certificate that verifies against our CA, and security headers', async () => {
    const res = await request(gateway.baseUrl, 'GET', '/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('documents every route, its body and its errors in OpenAPI', async () => {
    const res = await request<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>(gateway.baseUrl, 'GET', '/api/docs-json');
    const { paths, components } = res.body;
    expect(Object.keys(paths).sort()).toEqual([
      '/audit',
      '/auth/legacy-secret/rotate',
      '/auth/login',
      '/auth/signup',
      '/devices',
      '/devices/{name}',
      '/devices/{name}/certificate',
      '/devices/{name}/commands',
      '/devices/{name}/commands/{id}',
      '/devices/{name}/gateway',
      '/devices/{name}/gpio/{number}',
      '/devices/{name}/ip',
      '/devices/{name}/mac',
      '/devices/{name}/rtc',
      '/devices/{name}/status',
      '/devices/{name}/subnet',
      '/devices/{name}/uart',
      '/events',
      '/health',
      '/health/live',
      '/health/ready',
      '/jobs',
      '/jobs/{id}',
      '/jobs/{id}/cancel',
      '/jobs/{id}/results',
    ]);
    expect(Object.keys(paths['/devices/{name}/gpio/{number}']).sort()).toEqual(['get', 'put']);
    expect(paths['/devices/{name}/gpio/{number}'].get.responses).toEqual(
      expect.objectContaining({
        '200': expect.anything(),
        '404': expect.anything(),
        '502': expect.anything(),
        '503': expect.anything(),
        '504': expect.anything(),
      }),
    );
    expect(JSON.stringify(paths)).not.toMatch(/broker-auth/);
    expect(Object.keys(paths['/devices/{name}']).sort()).toEqual(['delete', 'get', 'patch']);
    expect(paths['/devices'].post.responses).toHaveProperty('409');
    expect(paths['/devices'].post.responses).toHaveProperty('400');
    expect(paths['/auth/login'].post.responses).toHaveProperty('401');
    expect(Object.keys(components.schemas.RegisterDeviceRequestDto.properties ?? {}).sort()).toEqual([
      'csr',
      'keyType',
      'name',
      'tags',
    ]);
    expect(components.schemas.RegisterDeviceResponseDto.properties).toHaveProperty('privateKey');
    expect(components.schemas.RegisterDeviceResponseDto.properties).toHaveProperty('brokerPassword');
    expect(components.schemas.ErrorResponseDto.properties).toHaveProperty('code');

    const ui = await request(gateway.baseUrl, 'GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger-ui/i);
  });
});

import { getMetadataStorage } from 'class-validator';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { ConfigValidationError, configKeys, loadConfiguration } from '../src/config/configuration';
import { EnvironmentVariables } from '../src/config/environment';
import { startApp, type RunningApp } from './support/http-app';
import { freePort } from './support/redis';

/**
 * The deployment material under deploy/, checked without Docker or a cluster: the files parse,
 * name only configuration keys the server knows, and agree with the image, the server's routes
 * and its timeouts.
 */

const ROOT = join(__dirname, '..');
const DEPLOY = join(ROOT, 'deploy');
const KUBERNETES = join(DEPLOY, 'kubernetes');
/** Read by the process itself, beside the validated keys. */
const KNOWN_KEYS = new Set([...configKeys(), 'NODE_ENV', 'CONFIG_DIR']);
const TEST_KEY = 'team-a:0123456789abcdef0123456789abcdef';
const TEST_STATE_KEY = 'state-key-0123456789abcdef0123456789';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function text(path: string): string {
  return readFileSync(path, 'utf8');
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** KEY=value lines of an env file; comments and blank lines are skipped. */
function envFile(path: string): Record<string, string> {
  const entries = text(path)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const equals = line.indexOf('=');
      return [line.slice(0, equals), line.slice(equals + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/** Compose's environment, as a mapping or as a list of KEY=value. */
function composeEnvironment(service: Yaml): Record<string, string> {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) {
    return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(
    (environment as string[]).map((item) => [
      item.split('=')[0],
      item.slice(item.indexOf('=') + 1),
    ]),
  );
}

/** nginx and Compose durations ("3600s", "60m", "1h", "20s", "90") in seconds. */
function seconds(value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] ?? 's']!;
  return Number(match[1]) * factor;
}

/** nginx sizes ("5m", "512k", "1048576") in bytes. */
function bytes(value: string): number {
  const match = /^(\d+)([kKmMgG])?$/.exec(value.trim());
  if (!match) throw new Error(`not a size: ${value}`);
  const factor = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]?.toLowerCase() ?? ''] ?? 1;
  return Number(match[1]) * factor;
}

function schemaMaximum(key: string): number {
  const max = getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
    .find((m) => m.propertyName === key && m.name === 'max');
  return Number(max!.constraints[0]);
}

const defaults = load(text(join(ROOT, 'config', 'default.yaml'))) as Yaml;
const compose = load(text(join(DEPLOY, 'compose.yaml'))) as Yaml;
const kubernetesDocs = yamlFilesUnder(KUBERNETES)
  .filter((path) => !path.endsWith('kustomization.yaml'))
  .flatMap((path) => loadAll(text(path)) as Yaml[])
  .filter(Boolean);
const nginx = text(join(DEPLOY, 'nginx', 'nginx.conf'))
  .split('\n')
  .map((line) => line.replace(/#.*$/, '').trim())
  .filter(Boolean)
  .join('\n');
const dockerfile = text(join(ROOT, 'Dockerfile'));

function ofKind(kind: string): Yaml {
  const docs = kubernetesDocs.filter((doc) => doc.kind === kind);
  if (docs.length !== 1)
    throw new Error(`expected one ${kind} in deploy/kubernetes, found ${docs.length}`);
  return docs[0];
}

const deployment = ofKind('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const configMap = ofKind('ConfigMap');
const exampleSecret = ofKind('Secret');

/** The compose services built from the repository's Dockerfile: the replicas. */
const replicas = Object.entries(compose.services as Record<string, Yaml>).filter(
  ([, service]) => service.build,
);
const replicaEnvironment = composeEnvironment(replicas[0][1]);

/** A key's value as a replica sees it: the manifest's, else the documented default. */
function effective(env: Record<string, string>, key: string): number {
  return Number(env[key] ?? defaults[key]);
}

/** The runtime stage's last `USER uid:gid`. */
function imageUser(): { uid: number; gid: number } {
  const users = [...dockerfile.matchAll(/^USER\s+(\S+)\s*$/gm)].map((m) => m[1]);
  const match = /^(\d+):(\d+)$/.exec(users.at(-1) ?? '');
  if (!match) throw new Error(`the Dockerfile's USER is not numeric uid:gid: ${users.at(-1)}`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

function nginxDirective(name: string): string[] {
  return [...nginx.matchAll(new RegExp(`^${name}\\s+([^;{\\n]*);`, 'gm'))].map((m) => m[1].trim());
}

function portNamed(port: string | number): number {
  if (typeof port === 'number') return port;
  const named = (container.ports as Yaml[]).find((p) => p.name === port);
  if (!named) throw new Error(`no container port named ${port}`);
  return named.containerPort;
}

describe('deployment material (deploy/)', () => {
  describe('files', () => {
    it('every YAML file parses, and every Kubernetes document has apiVersion, kind and a name', () => {
      const files = yamlFilesUnder(DEPLOY);
      expect(files.map((path) => relative(DEPLOY, path)).sort()).toEqual(
        expect.arrayContaining(['compose.yaml', 'kubernetes/deployment.yaml']),
      );
      for (const path of files) expect(() => loadAll(text(path))).not.toThrow();
      for (const doc of kubernetesDocs) {
        expect(doc).toEqual(
          expect.objectContaining({
            apiVersion: expect.any(String),
            kind: expect.any(String),
            metadata: expect.objectContaining({ name: expect.any(String) }),
          }),
        );
      }
    });

    it('the kustomization lists existing files and leaves the example Secret out', () => {
      const kustomization = load(text(join(KUBERNETES, 'kustomization.yaml'))) as Yaml;
      for (const resource of kustomization.resources as string[]) {
        expect(statSync(join(KUBERNETES, resource)).isFile()).toBe(true);
      }
      expect(kustomization.resources).not.toContain('secret.example.yaml');
      expect(kustomization.resources).toEqual(
        expect.arrayContaining(['deployment.yaml', 'service.yaml', 'pdb.yaml', 'configmap.yaml']),
      );
    });

    it('Redis is an external dependency in Kubernetes: nothing runs a Redis image', () => {
      const images = kubernetesDocs.flatMap((doc) =>
        ((doc.spec?.template?.spec?.containers ?? []) as Yaml[]).map((c) => String(c.image)),
      );
      expect(images.length).toBeGreaterThan(0);
      expect(images.filter((image) => /redis|valkey/i.test(image))).toEqual([]);
    });
  });

  describe('configuration keys', () => {
    it('every variable named in compose, .env.example and the Kubernetes manifests is a configuration key', () => {
      const named: Record<string, string[]> = {
        'compose.yaml': replicas.flatMap(([, service]) => Object.keys(composeEnvironment(service))),
        '.env.example': Object.keys(envFile(join(DEPLOY, '.env.example'))),
        ConfigMap: Object.keys(configMap.data),
        Secret: Object.keys(exampleSecret.stringData),
        Deployment: (container.env as Yaml[]).map((e) => String(e.name)),
      };
      for (const [where, keys] of Object.entries(named)) {
        expect(keys.length).toBeGreaterThan(0);
        expect({ where, unknown: keys.filter((key) => !KNOWN_KEYS.has(key)) }).toEqual({
          where,
          unknown: [],
        });
      }
    });

    it('every replica in compose has its own REPLICA_ID and reads the env file', () => {
      expect(replicas.length).toBeGreaterThanOrEqual(2);
      const ids = replicas.map(([, service]) => composeEnvironment(service).REPLICA_ID);
      expect(new Set(ids).size).toBe(replicas.length);
      for (const [, service] of replicas) expect(service.env_file).toBe('.env');
    });

    it('.env.example holds no value: keys are filled in by whoever deploys', () => {
      const example = envFile(join(DEPLOY, '.env.example'));
      expect(Object.keys(example)).toEqual(expect.arrayContaining(['API_KEYS']));
      expect(Object.values(example).filter((value) => value !== '')).toEqual([]);
    });

    it('the compose and Kubernetes settings validate once real keys are given', () => {
      const composeEnv = { ...replicaEnvironment, ...envFile(join(DEPLOY, '.env.example')) };
      const fromCompose = loadConfiguration({
        ...composeEnv,
        API_KEYS: TEST_KEY,
        REQUEST_STATE_KEY: TEST_STATE_KEY,
      });
      expect(fromCompose.redis.url).toBe('redis://redis:6379');
      expect(fromCompose.http.trustProxy).toBe(1);

      const fromKubernetes = loadConfiguration({
        ...configMap.data,
        API_KEYS: TEST_KEY,
        ADMIN_API_KEYS: 'ops:fedcba9876543210fedcba9876543210',
        REDIS_URL: 'rediss://:secret@redis.example.internal:6380/0',
        REQUEST_STATE_KEY: TEST_STATE_KEY,
        REPLICA_ID: 'aareguru-mcp-7d9c-abcde',
      });
      expect(fromKubernetes.server).toEqual({ host: '0.0.0.0', port: 8000 });
      expect(fromKubernetes.http.trustProxy).toBe(1);
    });

    it('the placeholders of .env.example and secret.example.yaml are refused at start-up', () => {
      const composeEnv = { ...replicaEnvironment, ...envFile(join(DEPLOY, '.env.example')) };
      expect(() => loadConfiguration(composeEnv)).toThrow(ConfigValidationError);
      expect(() => loadConfiguration(composeEnv)).toThrow(/API_KEYS/);
      const kubernetesEnv = { ...configMap.data, ...exampleSecret.stringData };
      expect(() => loadConfiguration(kubernetesEnv)).toThrow(
        /REQUEST_STATE_KEY: must be empty or 32 to 512 characters without spaces \(value not shown\)/,
      );
      expect(() =>
        loadConfiguration({ ...kubernetesEnv, REQUEST_STATE_KEY: TEST_STATE_KEY }),
      ).toThrow(/API_KEYS: entry 1/);
    });
  });

  describe('probes and ports', () => {
    let app: RunningApp;

    beforeAll(async () => {
      // Redis unreachable on purpose: the probes must not depend on it.
      // startApp binds a random loopback port and keeps the test's logs quiet.
      const settings: Record<string, string> = { ...configMap.data };
      for (const key of ['HOST', 'PORT', 'LOG_LEVEL', 'LOG_FORMAT']) delete settings[key];
      app = await startApp({
        ...settings,
        API_KEYS: TEST_KEY,
        REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        REDIS_KEY_PREFIX: 'deploy-manifests-test:',
        REPLICA_ID: 'probe-test',
      });
    });

    afterAll(() => app?.close());

    it('every probe and healthcheck path answers 200, with Redis down', async () => {
      const dockerHealthcheck = /HEALTHCHECK[\s\S]*?\/health\/[a-z]+/.exec(dockerfile)![0];
      const paths = [
        container.startupProbe.httpGet.path,
        container.readinessProbe.httpGet.path,
        container.livenessProbe.httpGet.path,
        ...replicas.map(
          ([, service]) =>
            /\/health\/[a-z]+/.exec((service.healthcheck.test as string[]).join(' '))![0],
        ),
        /\/health\/[a-z]+/.exec(dockerHealthcheck)![0],
      ];
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      for (const path of new Set(paths)) {
        const response = await fetch(`${app.url}${path}`);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
      }
    });

    it('probes, Service, scrape annotation and PORT name one port; compose and nginx agree', () => {
      const port = Number(configMap.data.PORT);
      expect(container.ports.map((p: Yaml) => p.containerPort)).toEqual([port]);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(portNamed(container[probe].httpGet.port)).toBe(port);
      }
      const service = ofKind('Service');
      expect(service.spec.ports.map((p: Yaml) => portNamed(p.targetPort))).toEqual([port]);
      expect(Number(deployment.spec.template.metadata.annotations['prometheus.io/port'])).toBe(
        port,
      );
      expect(deployment.spec.template.metadata.annotations['prometheus.io/path']).toBe('/metrics');
      expect(Number(/^EXPOSE\s+(\d+)/m.exec(dockerfile)![1])).toBe(port);
      expect(Number(/^\s*PORT=(\d+)/m.exec(dockerfile)![1])).toBe(port);

      const composePort = Number(replicaEnvironment.PORT);
      for (const [name, service] of replicas) {
        expect(service.expose.map(Number)).toEqual([composePort]);
        expect((service.healthcheck.test as string[]).join(' ')).toContain(
          `127.0.0.1:${composePort}/`,
        );
        expect(nginxDirective('server')).toContainEqual(
          expect.stringMatching(new RegExp(`^${name}:${composePort}\\b`)),
        );
      }
    });
  });

  describe('Kubernetes', () => {
    it('runs two replicas or more, rolls out without losing capacity, names each pod', () => {
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(deployment.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: expect.objectContaining({ maxUnavailable: 0 }),
      });
      expect(container.env).toContainEqual({
        name: 'REPLICA_ID',
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
      });
      expect(container.envFrom).toEqual([
        { configMapRef: { name: configMap.metadata.name } },
        { secretRef: { name: exampleSecret.metadata.name } },
      ]);
      expect(container.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
      );
      expect(container.resources.limits).toEqual(
        expect.objectContaining({ memory: expect.anything() }),
      );
    });

    it('runs as the image user, by number, on a read-only root filesystem without privileges', () => {
      const { uid, gid } = imageUser();
      expect(uid).toBeGreaterThan(0);
      for (const context of [pod.securityContext, container.securityContext]) {
        expect(context).toEqual(
          expect.objectContaining({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid }),
        );
      }
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(container.securityContext).toEqual(
        expect.objectContaining({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        }),
      );
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    it('gives preStop and the graceful shutdown time to finish before the pod is killed', () => {
      const preStop = container.lifecycle.preStop;
      const sleep = preStop.sleep
        ? Number(preStop.sleep.seconds)
        : Number(/^sleep (\d+)$/.exec((preStop.exec.command as string[]).join(' '))![1]);
      expect(sleep).toBeGreaterThan(0);
      const grace = effective(configMap.data, 'SHUTDOWN_GRACE_SECONDS');
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleep + grace);
    });

    it('the Service, the PDB and the spread constraint select exactly the Deployment pods', () => {
      const podLabels = deployment.spec.template.metadata.labels;
      const selects = (selector: Record<string, string>) =>
        Object.entries(selector).every(([key, value]) => podLabels[key] === value);
      expect(selects(deployment.spec.selector.matchLabels)).toBe(true);

      const pdb = ofKind('PodDisruptionBudget');
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);

      const service = ofKind('Service');
      expect(service.spec.type).toBe('ClusterIP');
      expect(service.spec.sessionAffinity ?? 'None').toBe('None');
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);

      for (const constraint of pod.topologySpreadConstraints ?? []) {
        expect(constraint.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      }
    });

    it('the ServiceMonitor scrapes /metrics on the Service port, and stays out of the kustomization', () => {
      const monitor = ofKind('ServiceMonitor');
      const service = ofKind('Service');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata.namespace).toBeUndefined(); // the Service's own, whichever it is
      const selects = Object.entries(monitor.spec.selector.matchLabels as Record<string, string>);
      expect(selects.length).toBeGreaterThan(0);
      for (const [key, value] of selects) expect(service.metadata.labels[key]).toBe(value);
      const portNames = (service.spec.ports as Yaml[]).map((p) => p.name);
      expect(monitor.spec.endpoints.length).toBeGreaterThan(0);
      for (const endpoint of monitor.spec.endpoints as Yaml[]) {
        expect(portNames).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
        expect(seconds(endpoint.scrapeTimeout)).toBeLessThanOrEqual(seconds(endpoint.interval));
      }
      // Clusters without the operator's CRDs would refuse the whole `kubectl apply -k`.
      const kustomization = load(text(join(KUBERNETES, 'kustomization.yaml'))) as Yaml;
      expect(kustomization.resources).not.toContain('servicemonitor.yaml');
    });
  });

  describe('compose', () => {
    it('runs the replicas as the image user, read-only, without capabilities, stopping gracefully', () => {
      const { uid, gid } = imageUser();
      const grace = effective(replicaEnvironment, 'SHUTDOWN_GRACE_SECONDS');
      for (const [, service] of replicas) {
        expect(service).toEqual(
          expect.objectContaining({
            user: `${uid}:${gid}`,
            read_only: true,
            init: true,
            cap_drop: ['ALL'],
          }),
        );
        expect(seconds(service.stop_grace_period)).toBeGreaterThan(grace);
        expect(service.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
      }
    });

    it('the replicas trust one proxy hop and accept the host name nginx is reached by', () => {
      expect(replicaEnvironment).toEqual(
        expect.objectContaining({ TRUST_PROXY: '1', HOST: '0.0.0.0' }),
      );
      const published = (compose.services.nginx.ports as string[])[0];
      expect(published).toMatch(/^127\.0\.0\.1:/);
      expect(replicaEnvironment.ALLOWED_HOSTS.split(',')).toEqual(
        expect.arrayContaining(['localhost', '127.0.0.1']),
      );
      expect(compose.services.nginx.volumes).toContain(
        './nginx/nginx.conf:/etc/nginx/nginx.conf:ro',
      );
    });
  });

  describe('nginx', () => {
    it('passes event streams through: HTTP/1.1 keep-alive, no buffering, no cache, no gzip', () => {
      expect(nginxDirective('proxy_http_version')).toEqual(['1.1']);
      expect(nginxDirective('proxy_set_header')).toContain('Connection ""');
      expect(nginxDirective('proxy_buffering')).toEqual(['off']);
      expect(nginxDirective('proxy_cache')).toEqual(['off']);
      expect(nginxDirective('gzip')).toEqual(['off']);
      expect(nginxDirective('proxy_set_header')).toEqual(
        expect.arrayContaining([
          'X-Forwarded-For $proxy_add_x_forwarded_for',
          'X-Forwarded-Proto $scheme',
        ]),
      );
    });

    it('balances round robin without stickiness', () => {
      expect(nginx).not.toMatch(/^(ip_hash|hash|sticky|least_conn|random)\b/m);
      expect(nginxDirective('server').filter((s) => /:\d+/.test(s))).toHaveLength(replicas.length);
      expect(nginxDirective('keepalive').map(Number)[0]).toBeGreaterThan(0);
    });

    it('keeps a stream open longer than any healthy silence on it', () => {
      // The longest a healthy response is silent: a heartbeat interval (at its allowed maximum)
      // on streams, the upstream deadline on a plain answer. Twice that leaves room for one late beat.
      const longestSilence = Math.max(
        schemaMaximum('SSE_HEARTBEAT_SECONDS'),
        effective(replicaEnvironment, 'SSE_HEARTBEAT_SECONDS'),
        effective(replicaEnvironment, 'AAREGURU_DEADLINE_MS') / 1000,
      );
      const [readTimeout] = nginxDirective('proxy_read_timeout').map(seconds);
      expect(readTimeout).toBeGreaterThanOrEqual(2 * longestSilence);
    });

    it('closes idle upstream connections before the server does, and lets the server judge body sizes', () => {
      const [idle] = nginxDirective('keepalive_timeout').map(seconds);
      expect(idle).toBeLessThan(effective(replicaEnvironment, 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS'));
      const maxBody = effective(replicaEnvironment, 'MAX_BODY_BYTES');
      const [nginxMax] = nginxDirective('client_max_body_size').map(bytes);
      expect(nginxMax).toBeGreaterThanOrEqual(maxBody);
      expect(nginxMax).toBeLessThanOrEqual(2 * maxBody);
    });
  });
});

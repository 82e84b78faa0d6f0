/**
 * The one model of what the user chose. `jitsi-k8s.yaml` is its file form; the JSON Schema for
 * editors (schema/jitsi-k8s.schema.json) is generated from it. Every field has a description.
 */
import { AUTH_MODES, AUTOSCALE_ENGINES, AUTOSCALE_METRICS, CODECS, EXPOSURE_MODES, TLS_MODES } from './choices.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import * as z from './zod.js';

/** Registers a field's description in place (mini has no `.describe()`; the JSON Schema reads it). */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}

// zod/mini (./zod.ts): every check is one `.check(...)` and every wrapper one function call, so the schema
// is built once per node instead of once per method call (startup benchmark, issue 11).

export const API_VERSION = 'jitsi-k8s/v1';

/** Components the chart deploys exactly once; their replicas cannot be changed through it. */
export const FIXED_SINGLE = ['prosody', 'jicofo', 'jigasi', 'transcriber'] as const;
export const SCALABLE = ['web', 'jvb', 'jibri'] as const;
export const COMPONENTS = ['web', 'jvb', 'jicofo', 'prosody', 'jibri', 'jigasi', 'transcriber'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export {
  AUTH_MODES,
  AUTOSCALE_ENGINES,
  AUTOSCALE_METRICS,
  CODECS,
  EXPOSURE_MODES,
  TLS_MODES,
  type AuthMode,
  type AutoscaleEngine,
  type AutoscaleMetric,
  type Codec,
  type ExposureMode,
} from './choices.js';

// Kubernetes quantities: "500m", "2", "1.5"; memory "512Mi", "4Gi", "1G".
const cpuQuantity = described(
  z.string().check(z.regex(/^\d+(\.\d+)?m?$/, 'a CPU quantity such as "500m" or "2"')),
  'CPU quantity in Kubernetes notation, e.g. "500m" or "2"',
);
const memoryQuantity = described(
  z.string().check(z.regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, 'a memory quantity such as "512Mi" or "4Gi"')),
  'memory quantity in Kubernetes notation, e.g. "512Mi" or "4Gi"',
);

const resources = described(
  z.strictObject({
    requests: described(
      z.optional(z.strictObject({ cpu: z.optional(cpuQuantity), memory: z.optional(memoryQuantity) })),
      'what the scheduler reserves for the pod',
    ),
    limits: described(
      z.optional(z.strictObject({ cpu: z.optional(cpuQuantity), memory: z.optional(memoryQuantity) })),
      'hard caps; never give the JVB a CPU limit (throttling breaks media)',
    ),
  }),
  'explicit Kubernetes resources; when absent they are sized from the node size',
);
export type Resources = z.infer<typeof resources>;

const replicas = (def: number, what: string) =>
  described(z._default(z.number().check(z.int('must be a whole number'), z.minimum(0, 'must be ≥ 0')), def), `number of ${what} pods`);

/** Pods of a component the chart runs exactly once: the field exists so a wrong value gets a clear error. */
const singleReplica = (what: string) => described(z.optional(z.number().check(z.int())), `always 1: the chart runs a single ${what}`);

const storage = (defSize: string) =>
  described(
    z.strictObject({
      enabled: described(z._default(z.boolean(), true), 'keep data on a PersistentVolumeClaim'),
      size: described(z._default(memoryQuantity, defSize), 'size of the volume, e.g. "20Gi"'),
      storageClass: described(z.optional(z.string().check(z.minLength(1))), 'StorageClass name; absent = the cluster default class'),
      accessMode: described(
        z.optional(z.enum(['ReadWriteOnce', 'ReadWriteMany'])),
        'volume access mode; more than one pod sharing the volume needs ReadWriteMany',
      ),
    }),
    'persistent storage',
  );

const bitrate = (what: string) => described(z.optional(z.number().check(z.int(), z.positive('must be > 0'))), `bits/s ${what}`);
const bitrateLayers = described(
  z.strictObject({
    low: bitrate('of the lowest simulcast layer (180p)'),
    standard: bitrate('of the middle layer (360p)'),
    high: bitrate('of the top layer (720p)'),
    full: bitrate('at 1080p'),
    ultra: bitrate('at 4k'),
    ssHigh: bitrate('of high-quality screen sharing'),
  }),
  'target bitrates per quality layer, in bits per second',
);
export type BitrateLayers = z.infer<typeof bitrateLayers>;

const text = () => z.string().check(z.minLength(1));

const duration = () => z.string().check(z.refine((v) => parseDuration(v) !== undefined, DURATION_HINT));

/** The keeper's image: node from Docker Hub by exact tag (a registry mirror can serve it under its own name). */
export const KEEPER_IMAGE = 'node:24.11.1-alpine';

const drain = described(
  z.prefault(
    z.strictObject({
      timeout: described(
        z._default(duration(), '1h'),
        "how long a bridge may take to empty before it stops anyway: its terminationGracePeriodSeconds (plus the bridge's own 1-minute shutting-down delay) whoever removes it, and how long `scale` waits (--drain-timeout)",
      ),
      keeper: described(
        z.prefault(
          z.strictObject({
            image: described(
              z._default(text(), KEEPER_IMAGE),
              'image of the deletion-cost keeper (hostPort only): any image with node ≥ 20 on PATH, e.g. your registry mirror of the default',
            ),
            periodSeconds: described(
              z._default(z.number().check(z.int(), z.minimum(5, 'must be ≥ 5'), z.maximum(600, 'must be ≤ 600')), 30),
              "how often the keeper writes participants − octo endpoints into each bridge pod's pod-deletion-cost",
            ),
          }),
          {},
        ),
        'the in-cluster keeper of controller.kubernetes.io/pod-deletion-cost, so a scale-in (HPA, KEDA, kubectl scale) removes the emptiest bridge',
      ),
    }),
    {},
  ),
  'a bridge leaves only after its meetings did: graceful shutdown on removal, drain before a planned scale-in',
);

/** jicofo's BRIDGE_STRESS_THRESHOLD default: a bridge over it gets no new conference. */
export const JICOFO_STRESS_THRESHOLD = 0.8;
/**
 * 0.6 = 3/4 of jicofo's 0.8: an HPA acts only beyond ±10 % of its target (0.66), and a new bridge takes a
 * minute or two (pod start, JVM, joining the brewery) while meetings keep arriving; openfun lowered jicofo's own
 * threshold to 0.6 because bridges throttled before load balancing reacted.
 */
export const STRESS_TARGET = 0.6;

/** The labels kube-prometheus-stack's Prometheus selects by default are `release: <its release>`; the chart's default is this. */
export const DEFAULT_PROMETHEUS_LABELS = { release: 'prometheus-operator' };

const monitoring = described(
  z.prefault(
    z.strictObject({
      enabled: described(
        z._default(z.boolean(), false),
        "scrape the bridges, jicofo and prosody (ServiceMonitor/PodMonitor), alerting rules (PrometheusRule) and Grafana dashboards; needs the Prometheus operator's CRDs (monitoring.coreos.com)",
      ),
      labels: described(
        z._default(z.record(z.string(), z.string()), DEFAULT_PROMETHEUS_LABELS),
        "labels the cluster's Prometheus selects ServiceMonitors, PodMonitors and PrometheusRules by (kube-prometheus-stack: release: <its release name>); the wizard reads them from the Prometheus objects",
      ),
      prometheusURL: described(
        z.optional(z.url('a URL such as http://prometheus-operated.monitoring.svc:9090')),
        'the Prometheus server KEDA queries (autoscale metric stress/participants with engine keda), e.g. http://prometheus-operated.monitoring.svc:9090',
      ),
      namespace: described(
        z.optional(z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name'))),
        "the namespace the cluster's Prometheus runs in: its scrapes of the bridges, jicofo and prosody pass the NetworkPolicies; absent = the namespace in prometheusURL, else monitoring",
      ),
      dashboards: described(
        z._default(z.boolean(), true),
        'Grafana dashboards (the chart\'s and jitsi-k8s\'s capacity dashboard) as ConfigMaps labelled grafana_dashboard: "1" for the Grafana sidecar',
      ),
    }),
    {},
  ),
  'metrics, alerts and dashboards through the Prometheus operator',
);

/** Who may start a meeting (issue 22; shared/docs/operations.md "Who may start a meeting"). */

// what a JWT iss/aud or app id may hold: the chart passes env values through helm's tpl, and the image joins lists on ","
const jwtName = () => z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - (no commas or spaces)'), z.maxLength(200));

const auth = described(
  z.prefault(
    z.strictObject({
      mode: described(
        z._default(z.enum(AUTH_MODES), 'open'),
        'open: anyone who can reach the site starts meetings on your bridges; accounts: members with a prosody account (`jitsi-k8s users add`) start them; jwt: holders of a token signed with the app secret (`jitsi-k8s token`) start them',
      ),
      guests: described(
        z._default(z.boolean(), false),
        'accounts/jwt: once a member or token holder opened a room, others may join it without credentials (the guest domain offers anonymous login)',
      ),
      accounts: described(
        z.prefault(
          z.strictObject({
            size: described(z._default(memoryQuantity, '1Gi'), 'size of the prosody volume that keeps the accounts'),
            storageClass: described(z.optional(z.string().check(z.minLength(1))), 'StorageClass name; absent = the cluster default class'),
          }),
          {},
        ),
        'accounts mode: the volume prosody keeps its accounts on (kept on uninstall like the recordings; `uninstall --delete-data` deletes it)',
      ),
      jwt: described(
        z.prefault(
          z.strictObject({
            appId: described(z._default(jwtName(), 'jitsi'), 'JWT_APP_ID: the app id; the default accepted issuer'),
            issuers: described(z.optional(z.array(jwtName()).check(z.minLength(1))), 'JWT_ACCEPTED_ISSUERS: accepted `iss` claims (absent = the app id only)'),
            audiences: described(z.optional(z.array(jwtName()).check(z.minLength(1))), 'JWT_ACCEPTED_AUDIENCES: accepted `aud` claims (absent = any)'),
          }),
          {},
        ),
        'jwt mode: the app id and accepted claims; the app secret is generated once into the secrets file (or JWT_APP_SECRET on first use)',
      ),
    }),
    {},
  ),
  'who may start a meeting: open, accounts (prosody accounts) or jwt (signed tokens); `verify` checks it from outside',
);

export const configSchema = described(
  z.strictObject({
    apiVersion: described(z._default(z.literal(API_VERSION), API_VERSION), 'file format version'),
    cluster: described(
      z.prefault(
        z.strictObject({
          context: described(z.optional(text()), 'kubeconfig context; absent = the current context'),
          namespace: described(
            z._default(
              z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name (lowercase letters, digits, -)'), z.maxLength(63)),
              'jitsi',
            ),
            'namespace for the release',
          ),
          release: described(
            z._default(
              z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Helm release name (lowercase letters, digits, -)'), z.maxLength(53)),
              'jitsi',
            ),
            'Helm release name',
          ),
        }),
        {},
      ),
      'where Jitsi is installed',
    ),
    domain: described(
      z
        .string()
        .check(
          z.regex(
            /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
            'a DNS name such as meet.example.com (lowercase, no scheme, no port)',
          ),
        ),
      'public host name of the meeting site; the site is https://<domain>',
    ),
    nodes: described(
      z.prefault(
        z.strictObject({
          count: described(z._default(z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')), 3), 'number of worker nodes Jitsi may use'),
          cpu: described(z._default(z.number().check(z.positive('must be > 0')), 4), 'CPU cores per node (its size; 90 % is taken as allocatable)'),
          memoryGiB: described(z._default(z.number().check(z.positive('must be > 0')), 16), 'memory per node in GiB (its size; 90 % is taken as allocatable)'),
        }),
        {},
      ),
      'size of the nodes; resources are derived from it unless given explicitly',
    ),
    components: described(
      z.prefault(
        z.strictObject({
          web: described(
            z.prefault(z.strictObject({ replicas: replicas(1, 'web (nginx + static site)'), resources: z.optional(resources) }), {}),
            'the web front end; stateless',
          ),
          jvb: described(
            z.prefault(
              z.strictObject({
                replicas: described(z._default(z.number().check(z.int('must be a whole number'), z.minimum(1, 'must be ≥ 1')), 1), 'number of video bridges'),
                autoscale: described(
                  z.prefault(
                    z.strictObject({
                      enabled: described(z._default(z.boolean(), false), 'add a HorizontalPodAutoscaler per bridge Deployment (hostPort only)'),
                      min: described(z._default(z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')), 1), 'fewest bridges'),
                      max: described(z._default(z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')), 4), 'most bridges'),
                      cpuPercent: described(
                        z._default(z.number().check(z.int(), z.minimum(10, 'must be ≥ 10'), z.maximum(100, 'must be ≤ 100')), 70),
                        'target CPU use, percent of the request',
                      ),
                      metric: described(
                        z._default(z.enum(AUTOSCALE_METRICS), 'cpu'),
                        'what the bridges scale on: cpu (HPA on the metrics API), stress (the stress each bridge reports to jicofo), participants (local endpoints per bridge); stress and participants need monitoring',
                      ),
                      engine: described(
                        z.optional(z.enum(AUTOSCALE_ENGINES)),
                        'for stress/participants: keda (a ScaledObject with a Prometheus trigger) or hpa (an HPA on a custom metric served by e.g. prometheus-adapter); absent = keda; the wizard picks the one the cluster runs and preflight checks it',
                      ),
                      stressTarget: described(
                        z._default(z.number().check(z.gt(0, 'must be > 0'), z.lt(0.8, "must stay below jicofo's stress threshold 0.8")), STRESS_TARGET),
                        "the average stress per bridge the autoscaler aims at; below jicofo's threshold 0.8 (over it a bridge gets no new meeting) by enough to start a bridge before one is full",
                      ),
                      participantsTarget: described(
                        z._default(z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')), 100),
                        'the participants per bridge the autoscaler aims at (metric participants); set it below what `jitsi-k8s bench` measured for one bridge',
                      ),
                    }),
                    {},
                  ),
                  'JVB autoscaling',
                ),
                drain,
                heapMiB: described(
                  z.optional(z.number().check(z.int(), z.minimum(512, 'must be ≥ 512'))),
                  'JVM heap of the bridge (VIDEOBRIDGE_MAX_MEMORY); absent = sized from the memory limit',
                ),
                resources: z.optional(resources),
              }),
              {},
            ),
            'Jitsi Videobridge: forwards the media',
          ),
          jicofo: described(
            z.prefault(z.strictObject({ replicas: singleReplica('jicofo'), resources: z.optional(resources) }), {}),
            'conference focus; the chart runs exactly one',
          ),
          prosody: described(
            z.prefault(
              z.strictObject({
                replicas: singleReplica('prosody'),
                persistence: described(
                  z.prefault(
                    z.extend(storage('3G'), { enabled: described(z._default(z.boolean(), false), 'keep prosody data (needed for internal accounts)') }),
                    {},
                  ),
                  'prosody data volume',
                ),
                resources: z.optional(resources),
              }),
              {},
            ),
            'XMPP server; the chart runs exactly one',
          ),
          jibri: described(
            z.prefault(
              z.strictObject({
                enabled: described(z._default(z.boolean(), false), 'recording and live streaming'),
                replicas: replicas(1, 'jibri (one recording at a time each)'),
                storage: described(z.optional(storage('4Gi')), 'where recordings are kept'),
                resources: z.optional(resources),
              }),
              {},
            ),
            'Jibri: records or streams meetings',
          ),
          jigasi: described(
            z.prefault(
              z.strictObject({
                enabled: described(z._default(z.boolean(), false), 'SIP gateway'),
                replicas: singleReplica('jigasi'),
                resources: z.optional(resources),
              }),
              {},
            ),
            'Jigasi: SIP dial-in/out; the chart runs exactly one',
          ),
          transcriber: described(
            z.prefault(
              z.strictObject({
                enabled: described(z._default(z.boolean(), false), 'live transcription (jigasi in transcriber mode)'),
                replicas: singleReplica('transcriber'),
                storage: described(z.optional(storage('10Gi')), 'transcripts volume (the chart mounts it ReadWriteMany)'),
                resources: z.optional(resources),
              }),
              {},
            ),
            'transcriber; the chart runs exactly one',
          ),
        }),
        {},
      ),
      'replicas, storage and resources per component',
    ),
    video: described(
      z.prefault(
        z.strictObject({
          resolution: described(
            z._default(z.union([z.literal(180), z.literal(360), z.literal(480), z.literal(540), z.literal(720), z.literal(1080)]), 720),
            'highest capture height in pixels',
          ),
          simulcast: described(z._default(z.boolean(), true), 'senders send several qualities; the bridge picks per receiver'),
          codecs: described(
            z._default(z.array(z.enum(CODECS)).check(z.minLength(1, 'name at least one codec')), ['VP9', 'VP8', 'H264']),
            'enabled video codecs, most preferred first',
          ),
          bitrates: described(
            z.prefault(
              z.strictObject({
                vp8: z.optional(bitrateLayers),
                vp9: z.optional(bitrateLayers),
                h264: z.optional(bitrateLayers),
                av1: z.optional(bitrateLayers),
              }),
              {},
            ),
            'per-codec bitrate targets; absent layers keep Jitsi defaults',
          ),
          ssrcRewriting: described(z._default(z.boolean(), true), 'the bridge rewrites SSRCs so large meetings need fewer renegotiations'),
          lastN: described(
            z.optional(z.number().check(z.int(), z.minimum(-1, 'must be ≥ -1 (-1 = no limit)'))),
            'forward video of at most this many speakers to each participant (-1 = all)',
          ),
          adaptiveMode: described(z.optional(z.boolean()), 'lower quality automatically when the client CPU struggles'),
        }),
        {},
      ),
      'video quality',
    ),
    exposure: described(
      z.prefault(
        z.strictObject({
          mode: described(z._default(z.enum(EXPOSURE_MODES), 'loadBalancer'), 'how clients reach web (TCP 443) and media (UDP)'),
          publicIP: described(z.optional(z.union([z.ipv4(), z.ipv6()])), 'address the JVB advertises to clients (LB address, VPS address for pangolin)'),
          extraPublicIPs: described(
            z.optional(z.array(z.union([z.ipv4(), z.ipv6()]))),
            'more addresses the JVB advertises besides publicIP (apply saves here the other addresses a load balancer host name resolves to)',
          ),
          udpPort: described(z._default(z.number().check(z.int(), z.minimum(1), z.maximum(65535)), 10000), 'first UDP media port'),
          nodePort: described(
            z.optional(
              z
                .number()
                .check(z.int(), z.minimum(30000, 'must be in the NodePort range 30000-32767'), z.maximum(32767, 'must be in the NodePort range 30000-32767')),
            ),
            'first NodePort for media in nodePort mode',
          ),
          loadBalancerClass: described(z.optional(text()), 'loadBalancerClass for the JVB Service'),
          annotations: described(z.optional(z.record(z.string(), z.string())), 'extra annotations on the JVB Service'),
          tailscale: described(
            z.optional(
              z.strictObject({
                hostname: described(
                  z.optional(text()),
                  'tailnet device name of the site, <hostname>.<tailnet>.ts.net (default: the device in fqdn, else the first label of a domain that is a tailnet name, else the release name)',
                ),
                fqdn: described(
                  z.optional(
                    z.string().check(z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'a DNS name such as meet.tail1234.ts.net')),
                  ),
                  'tailnet name the operator gave the web Ingress (<hostname>.<tailnet>.ts.net): the public URL; apply reads and saves it',
                ),
                installOperator: described(z._default(z.boolean(), true), 'install the Tailscale operator chart'),
              }),
            ),
            'tailscale mode settings',
          ),
          pangolin: described(
            z.optional(z.strictObject({ endpoint: described(z.url('a URL such as https://pangolin.example.com'), 'Pangolin server URL') })),
            'pangolin mode settings (Newt runs in the cluster)',
          ),
          turn: described(
            z.prefault(
              z.strictObject({
                enabled: described(z._default(z.boolean(), false), 'run coturn for clients behind UDP-blocking firewalls'),
                host: described(z.optional(text()), 'TURN host name (default turn.<domain>)'),
                allowedPeerIPs: described(
                  z.optional(z.array(z.string().check(z.regex(/^[0-9a-f.:]+-[0-9a-f.:]+$/i, 'an address range "first-last"')))),
                  'address ranges coturn may relay to (the pod network), e.g. ["10.42.0.0-10.42.255.255"]',
                ),
              }),
              {},
            ),
            'TURN relay',
          ),
        }),
        {},
      ),
      'exposure / VPN',
    ),
    monitoring,
    tls: described(
      z.prefault(
        z.strictObject({
          mode: described(z._default(z.enum(TLS_MODES), 'letsencrypt'), 'letsencrypt (cert-manager), secret (existing), none'),
          email: described(z.optional(z.email()), 'ACME account e-mail for letsencrypt'),
          issuer: described(z.optional(text()), 'cert-manager ClusterIssuer name (default letsencrypt-prod)'),
          secretName: described(z.optional(text()), 'TLS Secret (existing for mode secret; issued into for letsencrypt)'),
          ingressClass: described(z.optional(text()), 'ingressClassName for the web Ingress'),
        }),
        {},
      ),
      'TLS for the web site',
    ),
    auth,
    security: described(
      z.prefault(
        z.strictObject({
          networkPolicies: described(
            z._default(z.enum(['auto', 'on', 'off']), 'auto'),
            'NetworkPolicies in the release namespace (default deny, then only what Jitsi needs); auto: on when preflight finds a CNI that enforces them',
          ),
          ingressNamespaces: described(
            z._default(z.array(z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name'))), [
              'ingress-nginx',
              'traefik',
              'kube-system',
            ]),
            'namespaces whose pods may reach the web (where the ingress controller runs)',
          ),
        }),
        {},
      ),
      'what the install lets in (docs: README "Security")',
    ),
    expect: described(
      z.optional(
        z.strictObject({
          peakParticipants: described(
            z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')),
            'the most participants at once you plan for: the bridges needed and the HPA bounds are worked out for it',
          ),
          roomSize: described(
            z._default(z.number().check(z.int(), z.minimum(1, 'must be ≥ 1')), 10),
            'people in a typical meeting: a bridge carries far more people in small rooms than in big ones',
          ),
          profile: described(
            z.optional(text()),
            'capacity.json of a `bench --find-capacity` run (a file); absent: the published estimate for the room size (scale jvb --for and status also read the ConfigMap `bench capacity save` made)',
          ),
        }),
      ),
      'the load you expect, for sizing (render NOTES, scale jvb --for, status)',
    ),
  }),
  'jitsi-k8s configuration (jitsi-k8s.yaml)',
);

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

const password = () => z.string().check(z.minLength(16));

/** The secrets file (0600) beside the config: generated once, then read. Never on argv, never printed. */
export const secretsSchema = described(
  z.strictObject({
    apiVersion: z._default(z.literal(API_VERSION), API_VERSION),
    xmpp: described(
      z.strictObject({ jicofo: password(), jvb: password(), jibri: password(), recorder: password(), jigasi: password(), transcriber: password() }),
      'internal XMPP passwords',
    ),
    turnSecret: described(password(), 'coturn shared secret'),
    tailscale: described(z.optional(z.strictObject({ clientId: text(), clientSecret: text() })), 'Tailscale operator OAuth client'),
    newt: described(z.optional(z.strictObject({ id: text(), secret: text() })), 'Pangolin Newt credentials'),
    jwt: described(
      z.optional(
        z.strictObject({
          appSecret: described(z.string().check(z.minLength(32, 'at least 32 characters')), 'the HS256 key prosody verifies tokens with (JWT_APP_SECRET)'),
        }),
      ),
      'jwt mode: the app secret; generated once, only ever passed to the cluster in a Secret',
    ),
  }),
  'jitsi-k8s secrets (jitsi-k8s.secrets.yaml, mode 0600)',
);
export type Secrets = z.output<typeof secretsSchema>;

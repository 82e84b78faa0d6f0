/**
 * The one model of what the user chose. `jitsi-k8s.yaml` is its file form; the JSON Schema for
 * editors (schema/jitsi-k8s.schema.json) is generated from it. Every field has a description.
 */
import { z } from 'zod';
import { CODECS, EXPOSURE_MODES, TLS_MODES } from './choices.js';

// Descriptions are registered in place (`.register`), not with `.describe()`, which clones the whole
// schema node: 91 clones cost every command that reads a config (startup benchmark, issue 11).

export const API_VERSION = 'jitsi-k8s/v1';

/** Components the chart deploys exactly once; their replicas cannot be changed through it. */
export const FIXED_SINGLE = ['prosody', 'jicofo', 'jigasi', 'transcriber'] as const;
export const SCALABLE = ['web', 'jvb', 'jibri'] as const;
export const COMPONENTS = ['web', 'jvb', 'jicofo', 'prosody', 'jibri', 'jigasi', 'transcriber'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export { CODECS, EXPOSURE_MODES, TLS_MODES, type Codec, type ExposureMode } from './choices.js';

// Kubernetes quantities: "500m", "2", "1.5"; memory "512Mi", "4Gi", "1G".
const cpuQuantity = z
  .string()
  .regex(/^\d+(\.\d+)?m?$/, 'a CPU quantity such as "500m" or "2"')
  .register(z.globalRegistry, { description: 'CPU quantity in Kubernetes notation, e.g. "500m" or "2"' });
const memoryQuantity = z
  .string()
  .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/, 'a memory quantity such as "512Mi" or "4Gi"')
  .register(z.globalRegistry, { description: 'memory quantity in Kubernetes notation, e.g. "512Mi" or "4Gi"' });

const resources = z
  .strictObject({
    requests: z
      .strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() })
      .optional()
      .register(z.globalRegistry, { description: 'what the scheduler reserves for the pod' }),
    limits: z
      .strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() })
      .optional()
      .register(z.globalRegistry, { description: 'hard caps; never give the JVB a CPU limit (throttling breaks media)' }),
  })
  .register(z.globalRegistry, { description: 'explicit Kubernetes resources; when absent they are sized from the node size' });
export type Resources = z.infer<typeof resources>;

const replicas = (def: number, what: string) =>
  z.number().int('must be a whole number').min(0, 'must be ≥ 0').default(def).register(z.globalRegistry, { description: `number of ${what} pods` });

const storage = (defSize: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(true).register(z.globalRegistry, { description: 'keep data on a PersistentVolumeClaim' }),
      size: memoryQuantity.default(defSize).register(z.globalRegistry, { description: 'size of the volume, e.g. "20Gi"' }),
      storageClass: z.string().min(1).optional().register(z.globalRegistry, { description: 'StorageClass name; absent = the cluster default class' }),
      accessMode: z
        .enum(['ReadWriteOnce', 'ReadWriteMany'])
        .optional()
        .register(z.globalRegistry, { description: 'volume access mode; more than one pod sharing the volume needs ReadWriteMany' }),
    })
    .register(z.globalRegistry, { description: 'persistent storage' });

const bitrateLayers = z
  .strictObject({
    low: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s of the lowest simulcast layer (180p)' }),
    standard: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s of the middle layer (360p)' }),
    high: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s of the top layer (720p)' }),
    full: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s at 1080p' }),
    ultra: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s at 4k' }),
    ssHigh: z.number().int().positive('must be > 0').optional().register(z.globalRegistry, { description: 'bits/s of high-quality screen sharing' }),
  })
  .register(z.globalRegistry, { description: 'target bitrates per quality layer, in bits per second' });
export type BitrateLayers = z.infer<typeof bitrateLayers>;

export const configSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).default(API_VERSION).register(z.globalRegistry, { description: 'file format version' }),
    cluster: z
      .strictObject({
        context: z.string().min(1).optional().register(z.globalRegistry, { description: 'kubeconfig context; absent = the current context' }),
        namespace: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name (lowercase letters, digits, -)')
          .max(63)
          .default('jitsi')
          .register(z.globalRegistry, { description: 'namespace for the release' }),
        release: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Helm release name (lowercase letters, digits, -)')
          .max(53)
          .default('jitsi')
          .register(z.globalRegistry, { description: 'Helm release name' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'where Jitsi is installed' }),
    domain: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
        'a DNS name such as meet.example.com (lowercase, no scheme, no port)',
      )
      .register(z.globalRegistry, { description: 'public host name of the meeting site; the site is https://<domain>' }),
    nodes: z
      .strictObject({
        count: z.number().int().min(1, 'must be ≥ 1').default(3).register(z.globalRegistry, { description: 'number of worker nodes Jitsi may use' }),
        cpu: z.number().positive('must be > 0').default(4).register(z.globalRegistry, { description: 'CPU cores per node (its size; 90 % is taken as allocatable)' }),
        memoryGiB: z.number().positive('must be > 0').default(16).register(z.globalRegistry, { description: 'memory per node in GiB (its size; 90 % is taken as allocatable)' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'size of the nodes; resources are derived from it unless given explicitly' }),
    components: z
      .strictObject({
        web: z
          .strictObject({ replicas: replicas(1, 'web (nginx + static site)'), resources: resources.optional() })
          .prefault({})
          .register(z.globalRegistry, { description: 'the web front end; stateless' }),
        jvb: z
          .strictObject({
            replicas: z
              .number()
              .int('must be a whole number')
              .min(1, 'must be ≥ 1')
              .default(1)
              .register(z.globalRegistry, { description: 'number of video bridges' }),
            autoscale: z
              .strictObject({
                enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'add a HorizontalPodAutoscaler per bridge Deployment (hostPort only)' }),
                min: z.number().int().min(1, 'must be ≥ 1').default(1).register(z.globalRegistry, { description: 'fewest bridges' }),
                max: z.number().int().min(1, 'must be ≥ 1').default(4).register(z.globalRegistry, { description: 'most bridges' }),
                cpuPercent: z
                  .number()
                  .int()
                  .min(10, 'must be ≥ 10')
                  .max(100, 'must be ≤ 100')
                  .default(70)
                  .register(z.globalRegistry, { description: 'target CPU use, percent of the request' }),
              })
              .prefault({})
              .register(z.globalRegistry, { description: 'JVB autoscaling' }),
            heapMiB: z
              .number()
              .int()
              .min(512, 'must be ≥ 512')
              .optional()
              .register(z.globalRegistry, { description: 'JVM heap of the bridge (VIDEOBRIDGE_MAX_MEMORY); absent = sized from the memory limit' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'Jitsi Videobridge: forwards the media' }),
        jicofo: z
          .strictObject({
            replicas: z.number().int().optional().register(z.globalRegistry, { description: 'always 1: the chart runs a single jicofo' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'conference focus; the chart runs exactly one' }),
        prosody: z
          .strictObject({
            replicas: z.number().int().optional().register(z.globalRegistry, { description: 'always 1: the chart runs a single prosody' }),
            persistence: storage('3G')
              .extend({ enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'keep prosody data (needed for internal accounts)' }) })
              .prefault({})
              .register(z.globalRegistry, { description: 'prosody data volume' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'XMPP server; the chart runs exactly one' }),
        jibri: z
          .strictObject({
            enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'recording and live streaming' }),
            replicas: replicas(1, 'jibri (one recording at a time each)'),
            storage: storage('4Gi').optional().register(z.globalRegistry, { description: 'where recordings are kept' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'Jibri: records or streams meetings' }),
        jigasi: z
          .strictObject({
            enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'SIP gateway' }),
            replicas: z.number().int().optional().register(z.globalRegistry, { description: 'always 1: the chart runs a single jigasi' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'Jigasi: SIP dial-in/out; the chart runs exactly one' }),
        transcriber: z
          .strictObject({
            enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'live transcription (jigasi in transcriber mode)' }),
            replicas: z.number().int().optional().register(z.globalRegistry, { description: 'always 1: the chart runs a single transcriber' }),
            storage: storage('10Gi').optional().register(z.globalRegistry, { description: 'transcripts volume (the chart mounts it ReadWriteMany)' }),
            resources: resources.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'transcriber; the chart runs exactly one' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'replicas, storage and resources per component' }),
    video: z
      .strictObject({
        resolution: z
          .union([z.literal(180), z.literal(360), z.literal(480), z.literal(540), z.literal(720), z.literal(1080)])
          .default(720)
          .register(z.globalRegistry, { description: 'highest capture height in pixels' }),
        simulcast: z.boolean().default(true).register(z.globalRegistry, { description: 'senders send several qualities; the bridge picks per receiver' }),
        codecs: z
          .array(z.enum(CODECS))
          .min(1, 'name at least one codec')
          .default(['VP9', 'VP8', 'H264'])
          .register(z.globalRegistry, { description: 'enabled video codecs, most preferred first' }),
        bitrates: z
          .strictObject({
            vp8: bitrateLayers.optional(),
            vp9: bitrateLayers.optional(),
            h264: bitrateLayers.optional(),
            av1: bitrateLayers.optional(),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'per-codec bitrate targets; absent layers keep Jitsi defaults' }),
        ssrcRewriting: z
          .boolean()
          .default(true)
          .register(z.globalRegistry, { description: 'the bridge rewrites SSRCs so large meetings need fewer renegotiations' }),
        lastN: z
          .number()
          .int()
          .min(-1, 'must be ≥ -1 (-1 = no limit)')
          .optional()
          .register(z.globalRegistry, { description: 'forward video of at most this many speakers to each participant (-1 = all)' }),
        adaptiveMode: z.boolean().optional().register(z.globalRegistry, { description: 'lower quality automatically when the client CPU struggles' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'video quality' }),
    exposure: z
      .strictObject({
        mode: z.enum(EXPOSURE_MODES).default('loadBalancer').register(z.globalRegistry, { description: 'how clients reach web (TCP 443) and media (UDP)' }),
        publicIP: z
          .union([z.ipv4(), z.ipv6()])
          .optional()
          .register(z.globalRegistry, { description: 'address the JVB advertises to clients (LB address, VPS address for pangolin)' }),
        extraPublicIPs: z
          .array(z.union([z.ipv4(), z.ipv6()]))
          .optional()
          .register(z.globalRegistry, { description: 'more addresses the JVB advertises besides publicIP (apply saves here the other addresses a load balancer host name resolves to)' }),
        udpPort: z.number().int().min(1).max(65535).default(10000).register(z.globalRegistry, { description: 'first UDP media port' }),
        nodePort: z
          .number()
          .int()
          .min(30000, 'must be in the NodePort range 30000-32767')
          .max(32767, 'must be in the NodePort range 30000-32767')
          .optional()
          .register(z.globalRegistry, { description: 'first NodePort for media in nodePort mode' }),
        loadBalancerClass: z.string().min(1).optional().register(z.globalRegistry, { description: 'loadBalancerClass for the JVB Service' }),
        annotations: z.record(z.string(), z.string()).optional().register(z.globalRegistry, { description: 'extra annotations on the JVB Service' }),
        tailscale: z
          .strictObject({
            hostname: z.string().min(1).optional().register(z.globalRegistry, { description: 'tailnet host name of the web Service' }),
            fqdn: z
              .string()
              .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'a DNS name such as meet.tail1234.ts.net')
              .optional()
              .register(z.globalRegistry, { description: 'tailnet name the operator gave the web Ingress (<hostname>.<tailnet>.ts.net): the public URL; apply reads and saves it' }),
            installOperator: z.boolean().default(true).register(z.globalRegistry, { description: 'install the Tailscale operator chart' }),
          })
          .optional()
          .register(z.globalRegistry, { description: 'tailscale mode settings' }),
        pangolin: z
          .strictObject({
            endpoint: z.url('a URL such as https://pangolin.example.com').register(z.globalRegistry, { description: 'Pangolin server URL' }),
          })
          .optional()
          .register(z.globalRegistry, { description: 'pangolin mode settings (Newt runs in the cluster)' }),
        turn: z
          .strictObject({
            enabled: z.boolean().default(false).register(z.globalRegistry, { description: 'run coturn for clients behind UDP-blocking firewalls' }),
            host: z.string().min(1).optional().register(z.globalRegistry, { description: 'TURN host name (default turn.<domain>)' }),
            allowedPeerIPs: z
              .array(z.string().regex(/^[0-9a-f.:]+-[0-9a-f.:]+$/i, 'an address range "first-last"'))
              .optional()
              .register(z.globalRegistry, { description: 'address ranges coturn may relay to (the pod network), e.g. ["10.42.0.0-10.42.255.255"]' }),
          })
          .prefault({})
          .register(z.globalRegistry, { description: 'TURN relay' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'exposure / VPN' }),
    tls: z
      .strictObject({
        mode: z.enum(TLS_MODES).default('letsencrypt').register(z.globalRegistry, { description: 'letsencrypt (cert-manager), secret (existing), none' }),
        email: z.email().optional().register(z.globalRegistry, { description: 'ACME account e-mail for letsencrypt' }),
        issuer: z.string().min(1).optional().register(z.globalRegistry, { description: 'cert-manager ClusterIssuer name (default letsencrypt-prod)' }),
        secretName: z.string().min(1).optional().register(z.globalRegistry, { description: 'TLS Secret (existing for mode secret; issued into for letsencrypt)' }),
        ingressClass: z.string().min(1).optional().register(z.globalRegistry, { description: 'ingressClassName for the web Ingress' }),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'TLS for the web site' }),
  })
  .register(z.globalRegistry, { description: 'jitsi-k8s configuration (jitsi-k8s.yaml)' });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** The secrets file (0600) beside the config: generated once, then read. Never on argv, never printed. */
export const secretsSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).default(API_VERSION),
    xmpp: z
      .strictObject({
        jicofo: z.string().min(16),
        jvb: z.string().min(16),
        jibri: z.string().min(16),
        recorder: z.string().min(16),
        jigasi: z.string().min(16),
        transcriber: z.string().min(16),
      })
      .register(z.globalRegistry, { description: 'internal XMPP passwords' }),
    turnSecret: z.string().min(16).register(z.globalRegistry, { description: 'coturn shared secret' }),
    tailscale: z
      .strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) })
      .optional()
      .register(z.globalRegistry, { description: 'Tailscale operator OAuth client' }),
    newt: z
      .strictObject({ id: z.string().min(1), secret: z.string().min(1) })
      .optional()
      .register(z.globalRegistry, { description: 'Pangolin Newt credentials' }),
  })
  .register(z.globalRegistry, { description: 'jitsi-k8s secrets (jitsi-k8s.secrets.yaml, mode 0600)' });
export type Secrets = z.output<typeof secretsSchema>;

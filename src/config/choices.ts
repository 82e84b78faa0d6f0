/** The closed sets of Config choices, apart from the zod schema so flag tables can list them without loading zod. */
export const EXPOSURE_MODES = ['loadBalancer', 'nodePort', 'hostPort', 'tailscale', 'pangolin'] as const;
export type ExposureMode = (typeof EXPOSURE_MODES)[number];
export const TLS_MODES = ['letsencrypt', 'secret', 'none'] as const;
export const CODECS = ['VP9', 'VP8', 'H264', 'AV1'] as const;
export type Codec = (typeof CODECS)[number];

/** What the bridges' autoscaler acts on (components.jvb.autoscale.metric). */
export const AUTOSCALE_METRICS = ['cpu', 'stress', 'participants'] as const;
export type AutoscaleMetric = (typeof AUTOSCALE_METRICS)[number];
/** Who moves the bridges on stress/participants: KEDA (ScaledObject, Prometheus trigger) or an HPA on a custom metric. */
export const AUTOSCALE_ENGINES = ['keda', 'hpa'] as const;
export type AutoscaleEngine = (typeof AUTOSCALE_ENGINES)[number];

/** Who may start a meeting (auth.mode). */
export const AUTH_MODES = ['open', 'accounts', 'jwt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

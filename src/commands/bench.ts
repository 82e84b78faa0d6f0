import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CommandError, InterruptedError, ThresholdsFailedError, UsageError } from '../errors.js';
import { thresholdHelp } from '../bench/results/thresholds.js';

type BenchFlags = import('../bench/options.js').BenchOptions & {
  config: string;
  context?: string;
  scenario?: string;
  json?: boolean;
  yes?: boolean;
  runner?: string;
  perPod?: string;
  splitRooms?: boolean;
  image?: string;
  benchNamespace?: string;
  nodeSelector?: string;
  onBridgeNodes?: boolean;
  startDelay?: string;
  dryRun?: boolean;
  baseline?: string;
  maxRegression?: string;
  jwt?: string;
  jwtFile?: string;
  roomPassword?: boolean;
};

const collectFlags = (cmd: Command) => cmd.opts<BenchFlags>();

// the logger loads when a bench command runs, not for --help
let ui: typeof import('../ui/log.js') | undefined;
const log = () => ui!.log();

/** The report of a run folder, when the results module can make one; the run's own figures otherwise. */
async function writeReport(dir: string): Promise<{ summary: import('../bench/results/index.js').Summary; files: string[]; text?: string }> {
  const results = await import('../bench/results/index.js');
  const { summary, files } = await results.writeResults(dir);
  return { summary, files, text: results.formatTerminalSummary(summary) };
}

function printReport(r: { summary: unknown; files: string[]; text?: string }, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r.summary, null, 2)}\n`);
    return;
  }
  if (r.text) log().line(r.text);
  for (const f of r.files) process.stdout.write(`${f}\n`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** --baseline and --max-regression, checked before anything runs. */
async function baselineOf(flags: BenchFlags): Promise<{ dir: string; allowance: import('../bench/results/index.js').Allowance } | undefined> {
  if (!flags.baseline) {
    if (flags.maxRegression !== undefined) throw new UsageError('--max-regression judges a run against --baseline <dir>', 'add --baseline <run folder>, or use `bench compare <baseline> <run> --max-regression ...`');
    return undefined;
  }
  if (!existsSync(join(flags.baseline, 'samples.jsonl'))) throw new UsageError(`--baseline: ${flags.baseline} is not a run folder (no samples.jsonl)`, 'give the --out folder of an earlier bench run');
  const { parseMaxRegression } = await import('../bench/results/regression.js');
  return { dir: flags.baseline, allowance: parseMaxRegression(flags.maxRegression ?? '10%') };
}

/**
 * The end of a run: report, then the exit code — 130 interrupted, 1 when no participant could join
 * (nothing was measured), 99 when a threshold failed or the run regressed against the baseline.
 */
async function concludeRun(
  outcome: { outDir: string; samplesFile: string; interrupted: boolean; exhausted?: string; capacity?: import('../bench/find-capacity.js').CapacitySearch },
  flags: BenchFlags,
  baseline: Awaited<ReturnType<typeof baselineOf>>,
): Promise<void> {
  const profile = outcome.capacity?.outcome === 'knee' ? await writeProfile(outcome.outDir, outcome.capacity, flags) : undefined;
  const report = await writeReport(outcome.outDir);
  printReport(report, flags.json);
  if (profile && !flags.json) process.stdout.write(`${profile}\n`);
  if (outcome.capacity) {
    await concludeClimb(outcome.capacity, outcome);
    return;
  }
  // says which signal stopped the run (its exit code follows from it)
  if (outcome.interrupted) throw new InterruptedError(`${((await import('../interrupt.js')).interruptSignal().reason as Error).message}: samples so far are in ${outcome.samplesFile}`);
  if (outcome.exhausted) {
    throw new CommandError(outcome.exhausted, `what was measured is in ${outcome.samplesFile}; drive fewer --participants here, or spread them over load-generator pods (--runner k8s)`);
  }
  const { summary } = report;
  if (summary.overall.participants.joined === 0) {
    const first = summary.run.failures[0];
    throw new CommandError(
      `no participant could join, so nothing was measured${first?.detail ? ` (${first.participant ?? 'first failure'}: ${first.detail})` : ''}`,
      summary.scenario.target === 'jitsi' ? `check that ${summary.scenario.url ?? '--url'} is a Jitsi Meet site this machine reaches; details in ${join(outcome.outDir, 'report.html')}` : `details in ${join(outcome.outDir, 'report.html')}`,
    );
  }
  const failures = [...(summary.verdict?.failures ?? [])];
  if (baseline) {
    const { compareRuns, formatRegressionText } = await import('../bench/results/index.js');
    const { comparison, files } = await compareRuns(baseline.dir, outcome.outDir, undefined, baseline.allowance);
    log().line(formatRegressionText(comparison.regression!));
    if (!flags.json) for (const f of files) process.stdout.write(`${f}\n`);
    failures.push(...comparison.regression!.regressions.map((r) => `regressed against ${baseline.dir}: ${r}`));
  }
  if (failures.length) {
    throw new ThresholdsFailedError(
      `the run did not meet its thresholds:\n${failures.map((f) => `  ${f}`).join('\n')}`,
      `the verdict is at the top of ${join(outcome.outDir, 'report.html')}${baseline ? ` and ${join(outcome.outDir, 'compare.html')}` : ''}`,
    );
  }
}

/** The end of a climb: exit 0 with a knee, 1 when the load generator (or nothing at all) held the climb back. */
async function concludeClimb(search: import('../bench/find-capacity.js').CapacitySearch, outcome: { outDir: string; samplesFile: string; interrupted: boolean }): Promise<void> {
  const { GENERATOR_LIMIT } = await import('../bench/find-capacity.js');
  if (outcome.interrupted) throw new InterruptedError(`${((await import('../interrupt.js')).interruptSignal().reason as Error).message}: the climb so far is in ${join(outcome.outDir, 'capacity-search.json')}`);
  if (search.outcome === 'generator-limit') {
    throw new CommandError(
      `${GENERATOR_LIMIT}: ${search.generatorLimit}`,
      `what held so far is in ${join(outcome.outDir, 'summary.json')}; drive the climb from more machines (--runner k8s) or a bigger one, or try smaller rooms`,
    );
  }
  if (search.knees.every((k) => k.participants === null)) {
    throw new CommandError('even one room broke a threshold: there is no load that held', `see why in ${join(outcome.outDir, 'report.html')}`);
  }
  if (search.outcome === 'no-knee') log().warn('nothing broke up to the ceiling of the climb: raise --participants (the most tried per bridge) to find the knee');
}

/** capacity.json beside the run: the knee with what it was measured on (JVB image, node size, shape). */
async function writeProfile(outDir: string, search: import('../bench/find-capacity.js').CapacitySearch, flags: BenchFlags): Promise<string> {
  const { CAPACITY_PROFILE_FILE } = await import('../config/capacity-profile.js');
  const { capacityProfile } = await import('../bench/find-capacity.js');
  const { writeFileSync } = await import('node:fs');
  const scenario = JSON.parse(readFileSync(join(outDir, 'scenario.json'), 'utf8')) as { target: 'loopback' | 'jitsi'; url?: string; lookalikeStress?: number; startedAt?: string };
  let deployment: import('../config/capacity-profile.js').MeasuredOn['deployment'];
  if (scenario.target === 'jitsi' && existsSync(flags.config)) {
    const { config } = (await import('../config/file.js')).loadConfig(flags.config);
    deployment = { nodes: { cpu: config.nodes.cpu, memoryGiB: config.nodes.memoryGiB }, release: config.cluster.release, namespace: config.cluster.namespace };
  }
  const profile = capacityProfile(search, { target: scenario.target, site: scenario.url, lookalikeStress: scenario.lookalikeStress, measuredAt: scenario.startedAt ?? new Date().toISOString(), run: outDir, deployment });
  const file = join(outDir, CAPACITY_PROFILE_FILE);
  writeFileSync(file, `${JSON.stringify(profile, null, 2)}\n`);
  return file;
}

/** For the climb: why this machine cannot drive a load, by calibration or the built-in estimate. */
async function machineEstimate(scenario: import('../bench/scenario.js').Scenario): Promise<(load: { participants: number; rooms: number }) => string | undefined> {
  const { loadCalibration } = await import('../bench/calibrate.js');
  const { checkCapacity, participantCosts, thisMachine } = await import('../bench/capacity.js');
  const costs = participantCosts(loadCalibration());
  return (load) => {
    const v = checkCapacity({ ...scenario, ...load }, costs, thisMachine());
    return v.fits ? undefined : `by the estimate, ${v.estimate}`;
  };
}

/** One bridge's cores (the JVB CPU request jitsi-k8s renders), when the deployment's config is here. */
async function bridgeCoresOf(flags: BenchFlags): Promise<number | undefined> {
  if (!existsSync(flags.config)) return undefined;
  const { config } = (await import('../config/file.js')).loadConfig(flags.config);
  const jvb = (await import('../config/sizing.js')).sizeRelease(config).components.find((c) => c.component === 'jvb');
  return jvb ? jvb.cpuMilli / 1000 : undefined;
}

export function defineBench(program: Command): void {
  const bench = program
    .command('bench')
    .hook('preAction', async () => {
      ui = await import('../ui/log.js');
    })
    .description('load-test with real browsers; record JVB CPU, stress and packet loss')
    .option('--target <target>', 'jitsi (default when a site is known) | loopback (a local conference, no Jitsi needed)')
    .option('--url <url>', 'Jitsi Meet site (default: https://<domain> from jitsi-k8s.yaml)')
    .option('-c, --config <file>', 'config file: default --url, and where the bridges are (namespace, release)', 'jitsi-k8s.yaml')
    .option('--context <name>', 'kube context of the cluster (default: the current one)')
    .option('--scenario <file>', 'a scenario preset (YAML with these options by their long names, e.g. bench/scenarios/*.yaml)')
    .option('-p, --participants <n>', 'participants to join (default 4)')
    .option('--rooms <n>', 'rooms to spread them over (default: rooms of --room-size; --rooms 1 is one big meeting)')
    .option('--room-size <n>', 'participants per room when --rooms is not given (default 10)')
    .option('--senders <n>', 'participants sending video in each room, the first to join it (default 2)')
    .option('--audio-senders <n>', 'participants sending audio in each room (default: its video senders)')
    .option('--lite-receivers <n>', 'receivers in lite mode in each room, not decoding video (default: all)')
    .option('--no-lite', 'every receiver decodes video')
    .option('-d, --duration <time>', 'steady phase, e.g. 20s, 5m (default 60s)')
    .option('--ramp <rate>', 'joins per second, e.g. 2/s, 30/m (default 2/s)')
    .option('--interval <time>', 'sample interval (default 1s)')
    .option('--warmup <time>', 'before joining (default 3s)')
    .option('--cooldown <time>', 'after leaving (default 3s)')
    .option('--join-timeout <time>', 'a participant without media after this failed to join (default 30s)')
    .option('--video <WxH@fps>', "senders' fake camera (default 640x360@15)")
    .option('--replicas <list>', 'sweep bridge counts, e.g. 1,2,4 (restored afterwards)')
    .option('--per-browser <n>', 'participants per browser process (default 4, at most 16)')
    .option('--room-prefix <name>', 'rooms are <prefix>-<n> (default jk8s-bench)')
    .option('--browser <path>', 'Chrome/Chromium binary (default: PUPPETEER_EXECUTABLE_PATH, else found on this machine)')
    .option('--listen <address>', 'address of the loopback conference (default 127.0.0.1)')
    .option('--viewport <WxH>', 'page size of every participant (default 1280x720: Jitsi sends each receiver the layer that fits its tiles)')
    .option('--display-name <prefix>', 'display names are <prefix>-<n> (default bench)')
    .option('--insecure', "accept the site's self-signed or internal-CA certificate (warned about)")
    .option('--jwt-file <file>', 'a token for a site with token authentication, read from this file (or set JK8S_JWT)')
    .option('--jwt <token>', 'the token itself (visible in the process list: prefer --jwt-file or JK8S_JWT)')
    .option('--room-password', 'the rooms are locked: the password comes from JK8S_ROOM_PASSWORD, else a prompt (never argv)')
    .option('-o, --out <dir>', 'output folder (default bench-results/<time>)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-y, --yes', 'run even when the estimate says this machine cannot drive the participants (else asked on a terminal, refused without one)')
    .option('--runner <where>', 'local (browsers on this machine) | k8s (load-generator pods: an Indexed Job in the cluster)', 'local')
    .option('--per-pod <n>', 'k8s: participants per load-generator pod (default: whole rooms filling 4 cores, by calibration or the built-in estimate)')
    .option('--split-rooms', 'k8s: let a room span load-generator pods')
    .option('--image <image>', 'k8s: load-generator image with Chrome and Node (default ghcr.io/puppeteer/puppeteer at our puppeteer version)')
    .option('--bench-namespace <ns>', 'k8s: namespace for the load generators (default jitsi-k8s-bench)')
    .option('--node-selector <k=v,...>', 'k8s: run the load generators on these nodes only')
    .option('--on-bridge-nodes', 'k8s: allow load generators on the nodes that run bridges (off by default: they would steal the bridges\' CPU)')
    .option('--start-delay <time>', 'k8s: time for the pods to start before ramp-up (default 2m)')
    .option('--dry-run', 'k8s: print the shard plan, ConfigMap and Job as YAML; touch nothing')
    .option('--find-capacity', 'climb to the largest load that holds: add rooms of --room-size (coarse, then finer) until a threshold breaks; --participants caps it per bridge; writes capacity.json')
    .option('--lookalike-stress <rate>', 'loopback: stress per participant of the look-alike bridges (default 0.01, jicofo\'s assumed stress per participant)')
    .option('--threshold <expr>', 'a pass/fail condition, e.g. "audio.loss.p95<2%" (repeatable; replaces the scenario file\'s; grammar below)', collect, [])
    .option('--baseline <dir>', 'an earlier run folder: exit 99 when this run is worse beyond --max-regression (writes compare.html)')
    .option('--max-regression <allowance>', 'with --baseline: how much worse a figure may be, e.g. 10% or 10%,rtt.p95=25% (default 10%)')
    .addHelpText('after', `\n${thresholdHelp()}`)
    .action(async (_opts, cmd: Command) => {
      const flags = collectFlags(cmd);
      if (flags.runner !== 'local' && flags.runner !== 'k8s') throw new UsageError(`--runner: local or k8s (got "${flags.runner}")`);
      if (flags.dryRun && flags.runner !== 'k8s') throw new UsageError('--dry-run shows the Kubernetes objects of --runner k8s', 'add --runner k8s');
      const { scenarioInput, toScenario, defaultOutDir } = await import('../bench/options.js');
      const { readYamlFile } = await import('../config/file.js');
      const preset = flags.scenario ? (readYamlFile(flags.scenario) as BenchFlags) : undefined;
      let configDomain: string | undefined;
      if (!flags.url && !preset?.url && flags.target !== 'loopback' && existsSync(flags.config)) {
        const { loadConfig } = await import('../config/file.js');
        configDomain = loadConfig(flags.config).config.domain;
      }
      const scenario = toScenario(scenarioInput({ flags, preset, configDomain, defaultOut: defaultOutDir() }));
      const { describeShape } = await import('../bench/scenario.js');
      // the shape first, before any pod or browser starts
      log().info(`bench: ${describeShape(scenario)}`);
      const baseline = await baselineOf(flags);

      const credentials = await siteCredentials(flags);
      if (scenario.target === 'jitsi' && !credentials.jwt && existsSync(flags.config)) {
        // a jwt deployment: tokens from its secrets file, one per participant (one shared by the load-generator pods)
        const { benchTokens } = await import('../bench/tokens.js');
        const tokens = await benchTokens(flags.config, flags.runner === 'k8s' ? 1 : scenario.participants, scenario.displayName);
        if (tokens) {
          log().info(`bench: ${flags.config} is a jwt deployment: ${tokens.length === 1 ? 'a token' : `${tokens.length} tokens, one per participant,`} minted from its secrets file`);
          if (flags.runner === 'k8s') credentials.jwt = tokens[0];
          else credentials.jwtFor = tokens;
        }
      }
      if (flags.runner === 'k8s') {
        await runOnKubernetes(flags, scenario, baseline, credentials);
        return;
      }
      // the climb weighs each step against this machine itself
      if (!scenario.findCapacity) await refuseBeyondThisMachine(scenario, Boolean(flags.yes));
      let bridges: import('../bench/bridges.js').Bridges | undefined;
      if (scenario.target === 'jitsi' && existsSync(flags.config)) {
        const { clusterBridges } = await import('../bench/cluster-bridges.js');
        const { pipelineIO } = await import('./pipeline-io.js');
        bridges = await clusterBridges({ configPath: flags.config, context: flags.context, sweep: Boolean(scenario.replicas), log: log(), runTasks: (await pipelineIO(log())).runTasks });
      } else if (scenario.replicas && scenario.target !== 'loopback') {
        throw new UsageError(`--replicas needs the deployment's ${flags.config} to find and scale the bridges`, 'run where `jitsi-k8s init` wrote it, or pass -c FILE');
      } else if (scenario.target === 'jitsi') {
        log().warn(`no ${flags.config}: the bridges of ${scenario.url} are not measured, only the participants`);
      }

      const { runBench, STOP_GRACE_MS } = await import('../bench/runner.js');
      const { interruptSignal, setStopGrace } = await import('../interrupt.js');
      // a sweep puts the bridges back after a signal too: that takes the scaler's time (bridges.ts)
      setStopGrace(scenario.replicas?.length ? 11 * 60_000 : STOP_GRACE_MS);
      log().info(`bench: against ${scenario.target === 'loopback' ? 'the loopback conference' : scenario.url}; results in ${scenario.outDir}`);
      const outcome = await runBench(scenario, { signal: interruptSignal(), log: log(), bridges, credentials, bridgeCores: scenario.findCapacity && scenario.target === 'jitsi' ? await bridgeCoresOf(flags) : undefined,
        beyondGenerator: scenario.findCapacity ? await machineEstimate(scenario) : undefined,
      });
      log().info(`bench: ${outcome.joined} joined, ${outcome.failed} failed, ${outcome.records} records in ${Math.round(outcome.wallMs / 1000)}s → ${outcome.samplesFile}`);
      await concludeRun(outcome, flags, baseline);
    });

  bench
    .command('worker')
    .description('(inside the Job of --runner k8s) drive one shard; records as JSON lines on stdout')
    .requiredOption('--spec <file>', 'the worker spec from the ConfigMap')
    .requiredOption('--shard <index>', 'this pod\'s shard ($JOB_COMPLETION_INDEX)')
    .option('--browser <path>', 'Chrome/Chromium binary (default: PUPPETEER_EXECUTABLE_PATH, else found)')
    .action(async (_o, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ spec: string; shard: string; browser?: string }>();
      if (!/^\d+$/.test(opts.shard)) throw new UsageError(`--shard: a whole number (got "${opts.shard}")`);
      const { credentialsFromEnv, readWorkerSpec, runWorker, lineWriter } = await import('../bench/k8s/worker.js');
      const { STOP_GRACE_MS } = await import('../bench/runner.js');
      const { interruptSignal, setStopGrace } = await import('../interrupt.js');
      // the pod's terminationGracePeriodSeconds (job.ts) leaves room for this
      setStopGrace(STOP_GRACE_MS);
      const spec = readWorkerSpec(opts.spec);
      const out = lineWriter((text) => process.stdout.write(text));
      const r = await runWorker({ spec, shard: Number(opts.shard), signal: interruptSignal(), out, log: log(), browser: opts.browser, credentials: credentialsFromEnv(process.env) });
      log().info(`shard ${opts.shard}: ${r.joined} joined, ${r.failed} failed, ${out.count} records`);
      if (interruptSignal().aborted) throw interruptSignal().reason as Error;
    });

  bench
    .command('calibrate')
    .description('how many participants can this machine drive? (loopback conference, a few minutes at most)')
    .option('--browser <path>', 'Chrome/Chromium binary')
    .option('--video <WxH@fps>', "senders' fake camera (default 640x360@15)")
    .option('--steps <list>', 'lite receivers per step (default 1,2,4,8,12)')
    .option('--steady <time>', 'steady window per step (default 8s)')
    .option('-o, --out <dir>', 'folder for the steps\' samples (default bench-results/calibrate-<time>)')
    .option('--json', 'print the calibration as JSON on stdout')
    .action(async (_o, cmd: Command) => {
      // `bench` has --browser/--video/--out/--json too and commander hands them to it: read both levels
      const opts = cmd.optsWithGlobals<{ browser?: string; video?: string; steps?: string; steady?: string; out?: string; json?: boolean }>();
      const { parseVideo, parseReplicas, defaultOutDir } = await import('../bench/options.js');
      const { parseDuration } = await import('../bench/scenario.js');
      const { runCalibration, saveCalibration } = await import('../bench/calibrate.js');
      const { STOP_GRACE_MS } = await import('../bench/runner.js');
      const { interruptSignal, setStopGrace } = await import('../interrupt.js');
      setStopGrace(STOP_GRACE_MS);
      const steadyMs = opts.steady === undefined ? undefined : parseDuration(opts.steady);
      if (opts.steady !== undefined && (steadyMs === undefined || steadyMs < 3_000)) throw new UsageError(`--steady: a duration of at least 3s (got "${opts.steady}")`);
      const steps = opts.steps ? parseReplicas(opts.steps).map((n) => Math.min(n, 16)) : undefined;
      const c = await runCalibration({
        browser: opts.browser,
        video: opts.video ? parseVideo(opts.video) : undefined,
        steps,
        steadyMs,
        outDir: opts.out ?? defaultOutDir().replace('bench-results/', 'bench-results/calibrate-'),
        signal: interruptSignal(),
        log: log(),
      });
      if (c.interrupted) throw new InterruptedError(`calibration ${(interruptSignal().reason as Error).message}: nothing stored`);
      const file = saveCalibration(c);
      if (opts.json) process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
      else {
        log().line(
          `per sender ${c.coresPerSender ?? '?'} cores, ${c.memoryMiBPerSender ?? '?'} MiB; per lite receiver ${c.coresPerLiteReceiver ?? '?'} cores, ${c.memoryMiBPerLiteReceiver ?? '?'} MiB (${c.cpus} cores here)`,
        );
        log().line(
          `recommended on this machine: ${c.recommended.participantsAt10PctSenders} participants with 10 % senders (${c.recommended.senders} senders or ${c.recommended.liteReceivers} lite receivers alone)`,
        );
        process.stdout.write(`${file}\n`);
      }
    });

  const capacity = bench.command('capacity').description('the capacity profile of a --find-capacity run (capacity.json)');
  capacity
    .command('save')
    .description('store a run\'s capacity.json in the cluster, as the ConfigMap <release>-capacity next to the release (scale jvb --for, status and apply read it)')
    .argument('<run>', 'a run folder of bench --find-capacity that found a knee (holds capacity.json)')
    .action(async (run: string, _o, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ config: string; context?: string; json?: boolean }>();
      const { CAPACITY_PROFILE_FILE, parseCapacityProfile } = await import('../config/capacity-profile.js');
      const file = join(run, CAPACITY_PROFILE_FILE);
      if (!existsSync(file)) throw new UsageError(`${file} not found`, 'give the --out folder of a `bench --find-capacity` run that found a knee');
      let profile: import('../config/capacity-profile.js').CapacityProfile;
      try {
        profile = parseCapacityProfile(JSON.parse(readFileSync(file, 'utf8')), file);
      } catch (e) {
        throw new UsageError(`${file}: not a capacity profile (${(e as Error).message})`, 'run `jitsi-k8s bench --find-capacity` again');
      }
      if (!existsSync(opts.config)) throw new UsageError(`no ${opts.config}: the profile is kept next to a release`, 'run where `jitsi-k8s init` wrote it, or pass -c FILE');
      const { config } = (await import('../config/file.js')).loadConfig(opts.config);
      const { openKube } = await import('../cluster/kube.js');
      const { saveCapacityProfile } = await import('../cluster/capacity.js');
      const where = await saveCapacityProfile(openKube({ context: opts.context ?? config.cluster.context }), { namespace: config.cluster.namespace, release: config.cluster.release }, profile);
      if (profile.target === 'loopback') log().warn(`this profile was measured on the loopback look-alike bridges, not on Jitsi Videobridge: sizing from it is flagged as such`);
      log().line(`saved ${profile.participantsPerBridge} participants per bridge (${profile.shape.roomSize}-person rooms, measured ${profile.measuredAt.slice(0, 10)}) as ConfigMap ${where}`);
      if (opts.json) process.stdout.write(`${JSON.stringify({ configMap: where, profile }, null, 2)}\n`);
    });

  bench
    .command('report')
    .description('re-render summary.json, CSVs and report.html of a run folder')
    .argument('<dir>', 'a run folder (has samples.jsonl and scenario.json)')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (dir: string, _o, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      if (!existsSync(dir)) throw new UsageError(`${dir}: no such folder`, 'give the --out folder of a bench run');
      printReport(await writeReport(dir), opts.json);
    });

  bench
    .command('compare')
    .description('put two runs side by side (compare.html); with --max-regression, judge the second against the first')
    .argument('<a>', 'first run folder (the baseline)')
    .argument('<b>', 'second run folder')
    .option('-o, --out <path>', 'folder or .html file (default: <b>/compare.html)')
    .option('--json', 'print the comparison as JSON on stdout')
    .option('--max-regression <allowance>', 'exit 99 when <b> is worse than <a> beyond this, per figure: 10% (every figure), rtt.p95=25% (one), or 10%,rtt.p95=25%')
    .action(async (a: string, b: string, _o, cmd: Command) => {
      // `bench` has --max-regression too and commander hands it to it: read both levels
      const opts = cmd.optsWithGlobals<{ out?: string; json?: boolean; maxRegression?: string }>();
      const { parseMaxRegression } = await import('../bench/results/regression.js');
      const allowance = opts.maxRegression !== undefined ? parseMaxRegression(opts.maxRegression) : undefined;
      for (const d of [a, b]) if (!existsSync(d)) throw new UsageError(`${d}: no such folder`, 'give the --out folders of two bench runs');
      const { compareRuns, formatRegressionText } = await import('../bench/results/index.js');
      const { comparison, files } = await compareRuns(a, b, opts.out, allowance);
      if (opts.json) process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
      else for (const f of files) process.stdout.write(`${f}\n`);
      const regression = comparison.regression;
      if (!regression) return;
      log().line(formatRegressionText(regression));
      if (!regression.passed) {
        throw new ThresholdsFailedError(`${b} regressed against ${a}:\n${regression.regressions.map((r) => `  ${r}`).join('\n')}`, `the figures are side by side in ${files[0]}`);
      }
    });
}

/** A protected site's token and room password: from a file, the environment or a prompt; never logged. */
async function siteCredentials(flags: BenchFlags): Promise<import('../bench/step/join.js').ParticipantCredentials> {
  const { resolveJwt, ROOM_PASSWORD_ENV } = await import('../bench/options.js');
  const { jwt, warning } = resolveJwt({ jwt: flags.jwt, jwtFile: flags.jwtFile, env: process.env, readFile: (p) => readFileSync(p, 'utf8') });
  if (warning) log().warn(warning);
  let roomPassword = process.env[ROOM_PASSWORD_ENV] || undefined;
  if (flags.roomPassword && roomPassword === undefined) {
    if (!process.stdin.isTTY || process.env.CI) throw new UsageError('--room-password: no terminal to ask the password on', `set ${ROOM_PASSWORD_ENV} instead`);
    const { inquirerPrompter } = await import('../prompts/prompter.js');
    roomPassword = await inquirerPrompter().password({ name: 'roomPassword', message: 'room password', validate: (v) => (v ? true : 'the room password') });
  }
  return { ...(jwt ? { jwt } : {}), ...(roomPassword ? { roomPassword } : {}) };
}

/**
 * Before any browser starts: when the estimate says this machine cannot drive the scenario, say so
 * with the figures and the alternatives, then ask on a terminal; without one (or without --yes) stop.
 */
async function refuseBeyondThisMachine(scenario: import('../bench/scenario.js').Scenario, yes: boolean): Promise<void> {
  const { loadCalibration } = await import('../bench/calibrate.js');
  const { checkCapacity, k8sCommand, participantCosts, podPlan, thisMachine } = await import('../bench/capacity.js');
  const calibration = loadCalibration();
  const costs = participantCosts(calibration);
  const verdict = checkCapacity(scenario, costs, thisMachine());
  if (verdict.fits) return;
  const pods = podPlan({ ...scenario, target: 'jitsi' }, costs);
  log().warn(`this machine cannot drive ${scenario.participants} participants: ${verdict.estimate}`);
  log().line(calibration ? '  measure this machine again: jitsi-k8s bench calibrate' : '  measure this machine instead of estimating: jitsi-k8s bench calibrate');
  log().line(`  or drive them from ${pods.pods} load-generator pod${pods.pods === 1 ? '' : 's'} × ${pods.perPod} participants (${pods.roomsPerPod} room${pods.roomsPerPod === 1 ? '' : 's'} each):`);
  log().line(`    ${k8sCommand(scenario)}`);
  if (yes) return;
  const refused = new UsageError(`this machine cannot drive ${scenario.participants} participants (estimate above); no browser was started`, 'take one of the ways above, use fewer --participants, or pass --yes to run here anyway');
  if (!process.stdin.isTTY || process.env.CI) throw refused;
  const { confirmOrRefuse } = await import('./confirm.js');
  if (!(await confirmOrRefuse(`run ${scenario.participants} participants on this machine anyway?`))) throw refused;
}

/** `bench --runner k8s`: shards → Indexed Job per step → merged samples → the same report. */
async function runOnKubernetes(
  flags: BenchFlags,
  scenario: import('../bench/scenario.js').Scenario,
  baseline: Awaited<ReturnType<typeof baselineOf>>,
  credentials: import('../bench/step/join.js').SiteCredentials,
): Promise<void> {
  const { parseDuration } = await import('../bench/scenario.js');
  const { DEFAULT_WORKER_IMAGE } = await import('../bench/k8s/job.js');
  const { dryRunYaml, runK8sBench } = await import('../bench/k8s/runner.js');
  const { loadCalibration } = await import('../bench/calibrate.js');
  const { participantCosts, podCost, podPlan, POD_PARTICIPANT_CORES } = await import('../bench/capacity.js');
  const costs = participantCosts(loadCalibration());
  const plan = podPlan(scenario, costs);
  const perPod = flags.perPod !== undefined ? Number(flags.perPod) : plan.perPod;
  if (!Number.isInteger(perPod) || perPod < 1) throw new UsageError(`--per-pod: a whole number ≥ 1 (got "${flags.perPod}")`);
  const cost = podCost(scenario, costs);
  if (flags.perPod === undefined) {
    log().info(
      `bench: ${plan.pods} load-generator pod${plan.pods === 1 ? '' : 's'} × ${plan.perPod} participants (${plan.roomsPerPod} room${plan.roomsPerPod === 1 ? '' : 's'} each, about ${POD_PARTICIPANT_CORES} cores of participants at most; ${costs.source})`,
    );
  }
  const startDelayMs = flags.startDelay === undefined ? 120_000 : parseDuration(flags.startDelay);
  if (startDelayMs === undefined) throw new UsageError(`--start-delay: a duration such as 90s or 2m (got "${flags.startDelay}")`);
  const nodeSelector: Record<string, string> = {};
  for (const pair of (flags.nodeSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = pair.split('=');
    if (!k || v === undefined) throw new UsageError(`--node-selector: key=value pairs separated by commas (got "${pair}")`);
    nodeSelector[k.trim()] = v.trim();
  }
  let avoidBridges: { namespace: string; release: string } | undefined;
  if (!flags.onBridgeNodes) {
    if (existsSync(flags.config)) {
      const { loadConfig } = await import('../config/file.js');
      const { config } = loadConfig(flags.config);
      avoidBridges = { namespace: config.cluster.namespace, release: config.cluster.release };
    } else {
      avoidBridges = { namespace: 'jitsi', release: 'jitsi' };
    }
  }
  const options = {
    scenario,
    perPod,
    splitRooms: Boolean(flags.splitRooms),
    image: flags.image ?? DEFAULT_WORKER_IMAGE,
    workerBundle: (await import('../bench/k8s/bundle.js')).readWorkerBundle(),
    namespace: flags.benchNamespace ?? 'jitsi-k8s-bench',
    nodeSelector,
    avoidBridges,
    startDelayMs,
    cost,
  };
  if (scenario.target !== 'jitsi') throw new UsageError('--runner k8s drives a Jitsi site', 'give --url (or run where jitsi-k8s.yaml names the domain)');
  if (flags.dryRun) {
    process.stdout.write(dryRunYaml(options, credentials));
    return;
  }
  const { openKube } = await import('../cluster/kube.js');
  const { interruptSignal, setStopGrace } = await import('../interrupt.js');
  // after a signal: delete the Job, the ConfigMap and the Secret (15 s each at most), put swept bridges back, the report
  setStopGrace(scenario.replicas?.length ? 11 * 60_000 : 60_000);
  const kube = openKube({ context: flags.context });
  let bridges: import('../bench/bridges.js').Bridges | undefined;
  if (existsSync(flags.config)) {
    const { clusterBridges } = await import('../bench/cluster-bridges.js');
    const { pipelineIO } = await import('./pipeline-io.js');
    bridges = await clusterBridges({ configPath: flags.config, context: flags.context, sweep: Boolean(scenario.replicas), log: log(), runTasks: (await pipelineIO(log())).runTasks });
  }
  log().info(`bench: ${scenario.participants} participant(s) on load-generator pods in ${options.namespace} against ${scenario.url}; results in ${scenario.outDir}`);
  const bridgeCores = scenario.findCapacity ? await bridgeCoresOf(flags) : undefined;
  const outcome = await runK8sBench(options, { kube, bridges, signal: interruptSignal(), log: log(), credentials, bridgeCores });
  log().info(`bench: ${outcome.joined} joined, ${outcome.failed} failed, ${outcome.workersDied} load generator(s) died, ${outcome.records} records → ${outcome.samplesFile}`);
  await concludeRun(outcome, flags, baseline);
}

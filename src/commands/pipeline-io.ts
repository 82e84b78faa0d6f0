/** What the commands that change a cluster hand to src/pipeline/: warnings and the preflight table to the stderr logger, the plan's progress to listr2. */
import type { TaskRunner } from '../cluster/apply.js';
import type { PipelineReport } from '../pipeline/apply.js';
import type { Logger } from '../ui/log.js';

export async function pipelineIO(logger: Logger): Promise<{ report: PipelineReport; runTasks: TaskRunner }> {
  const { formatPreflight } = await import('../ui/preflight.js');
  return {
    report: { warn: (m) => logger.warn(m), info: (m) => logger.info(m), preflight: (r) => logger.line(formatPreflight(r)) },
    // listr2 loads only when a plan runs (not for --dry-run)
    runTasks: async (tasks) => (await import('../ui/tasks.js')).runTasks(tasks),
  };
}

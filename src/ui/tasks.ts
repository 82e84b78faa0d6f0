/** The one listr2 factory: live progress on a TTY, plain lines otherwise, nothing with --quiet. All on stderr. */
import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { TaskRunner } from '../cluster/apply.js';
import { colorWanted, log } from './log.js';

export interface TaskListOptions {
  quiet?: boolean;
}

export function taskList<Ctx>(tasks: ListrTask<Ctx>[], opts: TaskListOptions = {}): Listr<Ctx> {
  const quiet = opts.quiet ?? log().quiet;
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  // stdout carries data only: progress goes to stderr, whatever the renderer
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  const logger = new ListrLogger({ processOutput });
  return new Listr<Ctx>(tasks, {
    concurrent: false,
    exitOnError: true,
    renderer: quiet ? 'silent' : tty ? 'default' : 'simple',
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, formatOutput: 'wrap', logger },
    fallbackRendererOptions: { logger },
    // our own SIGINT handling (src/cli.ts) aborts the running subprocess; listr must not exit on its own
    registerSignalListeners: false,
    forceColor: colorWanted(),
  } as never);
}

/** A plan's tasks under the task list: the progress display src/cluster/apply.ts runs a plan under. */
export const runTasks: TaskRunner = async (tasks) => {
  await taskList(
    tasks.map((t) => ({
      title: t.title,
      task: (_: unknown, task: { output: string; title: string }) =>
        t.run({
          output: (line) => {
            task.output = line;
          },
          retitle: (title) => {
            task.title = title;
          },
        }),
    })),
  ).run();
};

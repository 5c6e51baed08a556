/**
 * The `ssbench` command line (yargs). Every command takes a config path where it needs one; errors that a user
 * can fix (config, data, plugin) print one message and exit with status 2, never a stack trace.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SsbenchError, readJsonl, readResults, writeFileAtomic } from '@ssbench/core';
import { type ReportRecord, compareResults, htmlReport, markdownReport } from '@ssbench/report';
import {
  BUNDLED_PLUGINS,
  CELL_KINDS,
  DEFAULT_MERGE_TOLERANCE,
  type Reporter,
  benchCommand,
  checkMergeTarget,
  cellKey,
  describeCell,
  describeSelection,
  formatDatasets,
  listDatasets,
  listPlugins,
  loadExperiment,
  makePlan,
  mergeResults,
  parseShard,
  prepareDatasets,
  publishedSchema,
  runExperiment,
  schemaText,
  selectCells,
  shardDirName,
  writeMergedResults,
} from '@ssbench/runner';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CREATE_PLUGIN_KINDS, createPlugin, formatCreated } from './create-plugin';
import { writeRunReports } from './run-reports';

function consoleReporter(): Reporter {
  const tty = process.stderr.isTTY;
  let last = 0;
  let lastCell = '';
  return {
    info: (m) => {
      if (tty && lastCell) process.stderr.write('\n');
      lastCell = '';
      process.stderr.write(`${m}\n`);
    },
    progress: (e) => {
      const now = Date.now();
      const final = e.step === e.total;
      if (!final && now - last < (tty ? 250 : 10_000) && e.cell === lastCell) return;
      last = now;
      lastCell = e.cell;
      const eta = ((e.total - e.step) * e.msPerStep) / 1000;
      const line = `  ${e.cell}: step ${e.step}/${e.total} loss ${e.loss.toFixed(4)} ${e.msPerStep.toFixed(1)} ms/step eta ${fmtDuration(eta)}`;
      process.stderr.write(tty ? `\r${line.padEnd(110)}` : `${line}\n`);
    },
    cellDone: (cell, summary) => {
      if (tty && lastCell) process.stderr.write('\n');
      lastCell = '';
      process.stderr.write(`done: ${cell}: ${summary}\n`);
    },
  };
}

/** A word as a POSIX shell would need it typed (quoted when it has special characters). */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Runs `fn`, turning SsbenchErrors into a one-line message and exit status 2. */
async function guarded(fn: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await fn()) ?? 0;
  } catch (err) {
    if (err instanceof SsbenchError) {
      process.stderr.write(`ssbench: ${err.format()}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  await yargs(hideBin(['node', 'ssbench', ...argv]))
    .scriptName('ssbench')
    .usage(
      'ssbench: self-supervised pretraining and transfer benchmarks.\n\n' +
        'One JSON config names models, pretraining objectives, downstream tasks, compute backends and seeds;\n' +
        'ssbench pretrains, fine-tunes and evaluates every cell of that matrix and writes results.jsonl + report.md + report.html.\n\n' +
        'Usage: $0 <command> [options]',
    )
    .command(
      'run <config>',
      'Run an experiment: pretrain, fine-tune and evaluate every cell; resumes an interrupted run',
      (y) =>
        y
          .positional('config', { type: 'string', demandOption: true, describe: 'experiment config (JSON), e.g. configs/quickstart.json' })
          .option('output', { alias: 'o', type: 'string', describe: 'results directory (default: the config\'s output.dir, else runs/<name>)' })
          .option('cache', { type: 'string', default: '.ssbench-cache', describe: 'where pretrained checkpoints and vocabularies are cached' })
          .option('report', { type: 'boolean', default: true, describe: 'write report.md and report.html (charts) next to results.jsonl when done' })
          .option('shard', {
            type: 'string',
            describe: 'run only shard i of n (i/n, from 1), a balanced part of the cells; results go to <output>/shard-i-of-n unless --output is given (join them with ssbench merge)',
          })
          .option('only', {
            choices: CELL_KINDS,
            describe: 'run only these cells: pretrain (pretraining jobs; with --shard, the shards split them), finetune, incontext or probe (with the pretraining they need)',
          })
          .example('$0 run config.json --shard 2/4', 'the second of four parts of the sweep, in runs/<name>/shard-2-of-4 (see docs/sharding.md)')
          .example('$0 run config.json --only pretrain', 'pretrain every checkpoint into the cache, then fan out the shards'),
      (args) =>
        guarded(async () => {
          const shard = args.shard === undefined ? undefined : parseShard(args.shard);
          let exp = await loadExperiment(args.config, { outputDir: args.output });
          if (shard && args.output === undefined) exp = { ...exp, outputDir: join(exp.outputDir, shardDirName(shard)) };
          const plan = makePlan(exp);
          const reporter = consoleReporter();
          reporter.info(`${exp.config.name}: ${plan.pretrain.length} pretraining job(s), ${plan.finetune.length} fine-tuning cell(s), ${plan.incontext.length} in-context cell(s) -> ${exp.outputDir}`);
          const selection = shard || args.only ? selectCells(plan, { shard, only: args.only }) : undefined;
          if (selection) reporter.info(describeSelection(plan, selection, { shard, only: args.only }));
          const summary = await runExperiment(exp, plan, { reporter, cacheDir: args.cache, filter: selection?.filter });
          // A shard with nothing to run still leaves a (empty) results file, for CI artifacts and `ssbench merge`.
          if (!existsSync(summary.resultsFile)) writeFileAtomic(summary.resultsFile, '');
          reporter.info(`results: ${summary.resultsFile} (${summary.ran} ran, ${summary.resumed} already done, ${summary.skipped} skipped, ${summary.failed} failed)`);
          if (args.report) {
            const html = join(exp.outputDir, 'report.html');
            const command = ['ssbench', 'report', summary.resultsFile, '--html', html].map(shellWord).join(' ');
            const written = await writeRunReports(summary.resultsFile, exp.outputDir, { title: exp.config.name, command });
            if (written.htmlError !== undefined) process.stderr.write(`ssbench: warning: report.html not written (${written.htmlError}); the results and report.md are kept\n`);
            reporter.info(`report: ${written.markdown}${written.html ? `, ${written.html}` : ''}`);
          }
          return summary.failed > 0 ? 1 : 0;
        }),
    )
    .command(
      'merge <out> <results..>',
      'Merge the results of one config (the shards of `run --shard`, or runs on several machines) into <out>/results.jsonl and report.md',
      (y) =>
        y
          .positional('out', { type: 'string', demandOption: true, describe: 'directory to write results.jsonl and report.md to' })
          .positional('results', { type: 'string', array: true, demandOption: true, describe: 'results.jsonl files, or directories holding one' })
          .option('tolerance', { type: 'number', default: DEFAULT_MERGE_TOLERANCE, describe: 'relative difference up to which two results of the same cell count as the same (0: exact)' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite <out>/results.jsonl even when it is not one of the merged files' })
          .option('report', { type: 'boolean', default: true, describe: 'write report.md next to the merged results.jsonl' })
          .example('$0 merge runs/sweep runs/sweep/shard-*', 'join the shards of runs/sweep into runs/sweep/results.jsonl'),
      (args) =>
        guarded(async () => {
          if (!(args.tolerance >= 0)) throw new SsbenchError('config', '--tolerance must be a number >= 0 (a relative difference, e.g. 1e-6)');
          if (!args.force) checkMergeTarget(args.out, args.results);
          const merged = mergeResults(args.results, { tolerance: args.tolerance });
          for (const w of merged.warnings) process.stderr.write(`ssbench merge: note: ${w}\n`);
          const file = writeMergedResults(args.out, merged.records);
          process.stderr.write(
            `merged ${args.results.length} file(s), ${merged.read} record(s) -> ${file}: ${merged.records.length} record(s) (${merged.duplicates} duplicate(s), ${merged.droppedSkips} skip(s) of finished cells dropped)\n`,
          );
          if (args.report) {
            const out = join(args.out, 'report.md');
            writeFileAtomic(out, markdownReport(merged.records as unknown as ReportRecord[], merged.configName ? { title: merged.configName } : {}));
            process.stderr.write(`report: ${out}\n`);
          }
          return 0;
        }),
    )
    .command(
      'validate <config>',
      'Check a config against the schema (core + every plugin it names) without running anything',
      (y) => y.positional('config', { type: 'string', demandOption: true }),
      (args) =>
        guarded(async () => {
          const exp = await loadExperiment(args.config);
          process.stdout.write(`${args.config}: valid (${exp.models.length} model(s), ${exp.pretraining.length} pretraining recipe(s), ${exp.tasks.length} task(s), ${exp.backends.length} backend(s), ${exp.config.seeds.length} seed(s))\n`);
          return 0;
        }),
    )
    .command(
      'plan <config>',
      'Print the cells an experiment would run (and which are already done)',
      (y) => y.positional('config', { type: 'string', demandOption: true }).option('output', { alias: 'o', type: 'string' }),
      (args) =>
        guarded(async () => {
          const exp = await loadExperiment(args.config, { outputDir: args.output });
          const plan = makePlan(exp);
          const done = new Set<string>();
          const results = join(exp.outputDir, 'results.jsonl');
          if (existsSync(results))
            for (const r of readJsonl<{ kind: string; cell: Record<string, unknown>; provenance?: { configHash?: string } }>(results))
              // Only this config's results count (`run` refuses to resume from another config's).
              if (r.kind !== 'skipped' && r.provenance?.configHash === exp.hash) done.add(cellKey({ kind: r.kind, ...r.cell } as Parameters<typeof cellKey>[0]));
          const mark = (c: Parameters<typeof cellKey>[0]) => (done.has(cellKey(c)) ? '[done]' : '      ');
          process.stdout.write(`reference backend: ${plan.referenceBackend}; pretraining on: ${plan.pretrainBackend}\n`);
          for (const c of plan.pretrain) process.stdout.write(`${mark(c)} ${describeCell(c)}\n`);
          for (const c of plan.finetune) process.stdout.write(`${mark(c)} ${describeCell(c)}\n`);
          for (const c of plan.incontext) process.stdout.write(`${mark(c)} ${describeCell(c)}\n`);
          for (const c of plan.probes) process.stdout.write(`${mark(c)} ${describeCell(c)}\n`);
          process.stdout.write(`${plan.pretrain.length + plan.finetune.length + plan.incontext.length + plan.probes.length} cells\n`);
          return 0;
        }),
    )
    .command(
      'list',
      'List the bundled plugins and whether each backend device can run on this machine',
      (y) => y,
      () =>
        guarded(async () => {
          process.stdout.write(await listPlugins(BUNDLED_PLUGINS));
          return 0;
        }),
    )
    .command(
      'data <action> [names..]',
      'List the data sets of the bundled tasks (source, licence, size, ready or not) or prepare them',
      (y) =>
        y
          .positional('action', { choices: ['list', 'prepare'] as const, demandOption: true, describe: 'list: show every data set and whether it is ready; prepare: make the named ones (or all) ready' })
          .positional('names', { type: 'string', array: true, default: [] as string[], describe: 'data set names (prepare; default: all)' })
          .option('data-dir', { type: 'string', default: '.ssbench-cache/data', describe: 'where extracted Debian packages, downloads and canonical forms are cached' })
          .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text (list)' })
          .example('$0 data list', 'which data sets are ready here, and how to get the others')
          .example('$0 data prepare splice-junctions', 'extract r-cran-mlbench\'s DNA data (apt-get download, no root) and cache it'),
      (args) =>
        guarded(async () => {
          const ctx = { dataDir: resolve(args.dataDir) };
          if (args.action === 'list') {
            const rows = await listDatasets(BUNDLED_PLUGINS, ctx);
            process.stdout.write(args.json ? `${JSON.stringify(rows, null, 2)}\n` : formatDatasets(rows));
            return 0;
          }
          const out = await prepareDatasets(BUNDLED_PLUGINS, args.names, ctx, (line) => process.stderr.write(`${line}\n`));
          return out.every((o) => o.status.ready) ? 0 : 1;
        }),
    )
    .command(
      'bench [config]',
      'Time a training step and inference of a config\'s model on every backend (tokens/s, GFLOP/s)',
      (y) =>
        y
          .positional('config', { type: 'string', default: 'configs/quickstart.json' })
          .option('steps', { type: 'number', default: 20, describe: 'timed training steps per backend (after 3 warm-up steps)' })
          .option('batch', { type: 'number', describe: 'batch size (default: the first pretraining recipe\'s)' })
          .option('seq', { type: 'number', describe: 'sequence length (default: the first pretraining recipe\'s)' })
          .option('threads', { type: 'number', describe: 'CPU threads for backends that take them' })
          .option('json', { type: 'string', describe: 'also write the measurements to this JSON file' }),
      (args) =>
        guarded(async () => {
          await benchCommand({ config: resolve(args.config), steps: args.steps, batch: args.batch, seq: args.seq, threads: args.threads, json: args.json, out: process.stdout });
          return 0;
        }),
    )
    .command(
      'report <results>',
      'Write a report of a results.jsonl file: Markdown (default), or a self-contained HTML page with charts (--html)',
      (y) =>
        y
          .positional('results', { type: 'string', demandOption: true })
          .option('out', { type: 'string', describe: 'Markdown file to write (default: stdout, unless --html is given)' })
          .option('html', { type: 'string', describe: 'write a self-contained HTML report (charts as inline SVG, nothing loaded from the network) to this file' })
          .example('$0 report runs/quickstart/results.jsonl --html report.html', 'HTML report with charts; open it in any browser, offline'),
      (args) =>
        guarded(async () => {
          if (!existsSync(args.results)) throw new SsbenchError('data', `results file not found: ${args.results}`, { file: args.results });
          const records = readJsonl<ReportRecord>(args.results);
          if (args.html) {
            const command = ['ssbench', 'report', args.results, '--html', args.html].map(shellWord).join(' ');
            writeFileSync(args.html, await htmlReport(records, { command }));
            process.stderr.write(`report: ${args.html}\n`);
          }
          if (args.out || !args.html) {
            const md = markdownReport(records, {});
            if (args.out) writeFileSync(args.out, md);
            else process.stdout.write(md);
          }
          return 0;
        }),
    )
    .command(
      'compare <base> <head>',
      'Compare two results.jsonl files: metric changes against seed noise, speed ratios, new and removed cells',
      (y) =>
        y
          .positional('base', { type: 'string', demandOption: true, describe: 'the reference results.jsonl' })
          .positional('head', { type: 'string', demandOption: true, describe: 'the results.jsonl to judge against it' })
          .option('threshold', {
            type: 'number',
            describe: 'exit 1 when a downstream metric regresses beyond the seed noise AND by more than this, in absolute metric units (0.02 = 2 accuracy points); default: report only',
          })
          .option('speed-threshold', { type: 'number', describe: 'exit 1 when a step time, latency or throughput is slower by more than this ratio (1.25 = 25% slower); default: report only' })
          .option('out', { type: 'string', describe: 'Markdown file to write (default: stdout)' })
          .example('$0 compare runs/main/results.jsonl runs/pr/results.jsonl --threshold 0.02 --speed-threshold 1.25', 'fail (exit 1) on a 2-point metric drop beyond noise or a 25% slowdown'),
      (args) =>
        guarded(async () => {
          // Exit status 2, not 1: a mistyped option must not read as a regression.
          if (args.threshold !== undefined && !(args.threshold >= 0)) throw new SsbenchError('config', '--threshold must be a number >= 0 (absolute metric units, e.g. 0.02)');
          if (args.speedThreshold !== undefined && !(args.speedThreshold >= 1)) throw new SsbenchError('config', '--speed-threshold must be a ratio >= 1 (e.g. 1.25 = 25% slower)');
          // readResults checks each line's shape; ReportRecord names the fields the report reads (a looser type).
          const base = readResults(args.base) as unknown as ReportRecord[];
          const head = readResults(args.head) as unknown as ReportRecord[];
          const c = compareResults(base, head, { baseName: args.base, headName: args.head, threshold: args.threshold, speedThreshold: args.speedThreshold });
          if (args.out) writeFileSync(args.out, c.markdown);
          else process.stdout.write(c.markdown);
          for (const r of c.regressions) process.stderr.write(`ssbench compare: regression: ${r.message}\n`);
          return c.regressions.length ? 1 : 0;
        }),
    )
    .command(
      'schema',
      'Print (or write) the JSON Schema of experiment configs, with the bundled plugins\' options',
      (y) => y.option('out', { type: 'string', describe: 'file to write, e.g. schema.json (default: stdout)' }),
      (args) =>
        guarded(async () => {
          const text = schemaText(await publishedSchema());
          if (args.out) writeFileSync(args.out, text);
          else process.stdout.write(text);
          return 0;
        }),
    )
    .command(
      'create-plugin <kind> <name>',
      'Scaffold a plugin package (task, model, objective or backend) to test, publish on npm and name in a config',
      (y) =>
        y
          .positional('kind', { choices: CREATE_PLUGIN_KINDS, demandOption: true, describe: 'what the plugin is' })
          .positional('name', { type: 'string', demandOption: true, describe: 'npm package name, e.g. ssbench-task-foo or @lab/ssbench-task-foo' })
          .option('dir', { type: 'string', default: '.', describe: 'parent directory: the package is created in <dir>/<name without its scope>' })
          .example('$0 create-plugin task ssbench-task-foo', 'a classification task with tests, README and options schema, in ./ssbench-task-foo')
          .example('$0 create-plugin backend @lab/ssbench-backend-bar --dir plugins', 'a backend that passes the conformance suite, in plugins/ssbench-backend-bar'),
      (args) =>
        guarded(async () => {
          const created = createPlugin({ kind: args.kind, name: args.name, parentDir: resolve(args.dir) });
          for (const w of created.warnings) process.stderr.write(`ssbench create-plugin: note: ${w}\n`);
          process.stdout.write(formatCreated(created, process.cwd()));
          return 0;
        }),
    )
    .demandCommand(1, 'Name a command: run, validate, plan, list, data, bench, report, compare, merge, create-plugin or schema (see --help).')
    .example('$0 run configs/quickstart.json', 'pretrain a small BERT on the State of the Union corpus, fine-tune on sentiment, on two backends')
    .example('$0 validate configs/quickstart.json', 'check a config (typos, types, ranges, plugin options)')
    .example('$0 bench', 'training and inference throughput of the quickstart model on each backend')
    .fail((msg, err, y) => {
      if (err) {
        // A bug, not a usage error: the stack helps whoever reports it; the usage text would not.
        process.stderr.write(`ssbench: internal error: ${err.stack ?? err.message}\n`);
        process.exitCode = 1;
        return;
      }
      y.showHelp((text: string) => process.stderr.write(`${text}\n\n`));
      process.stderr.write(`ssbench: ${msg}\n`);
      process.exitCode = 1;
    })
    .strict()
    .strictCommands()
    .recommendCommands()
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .parseAsync();
}

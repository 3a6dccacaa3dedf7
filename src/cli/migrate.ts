import type { Command, CommanderError } from 'commander';

// Exit codes are part of the command's contract (docs/migration.md): 0 converted (even with reported fields),
// 1 the input could not be parsed or a document could not be converted, 2 the command was called wrongly.
const EXIT_INPUT = 1;
const EXIT_USAGE = 2;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_SUFFIX = /^[-.a-z0-9]*[a-z0-9]$/;

interface MigrateOptions {
  filename?: string;
  group?: string;
  nameSuffix?: string;
  stagingGroup?: string;
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'convert MCPRemoteProxy and MCPServerEntry manifests into MCPRemoteEndpoint: YAML on stdout, one line per field without an equivalent on stderr',
    )
    .option('-f, --filename <file>', 'multi-document YAML to convert, or - to read stdin')
    .option('--group <name>', 'MCPGroup for objects that have no groupRef (an MCPRemoteEndpoint always needs one)')
    .option(
      '--name-suffix <suffix>',
      'append to every converted name, so the new endpoint can run beside the old object (e.g. -v2)',
    )
    .option(
      '--staging-group <name>',
      'put every converted endpoint into this MCPGroup and record its own group in an annotation, to verify it before switching',
    )
    .addHelpText('after', '\nExit status: 0 converted, 1 unparseable or unconvertible input, 2 bad usage.')
    // commander exits 1 on a usage error; this command promises 2 for those (help and --version still exit 0).
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .action(async (opts: MigrateOptions) => {
      const usage = usageError(opts);
      if (usage) {
        process.stderr.write(`mcpre migrate: ${usage}\n(run mcpre migrate --help for usage)\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const filename = opts.filename as string;
      let text: string;
      try {
        text =
          filename === '-' ? await readStdin() : await (await import('node:fs/promises')).readFile(filename, 'utf8');
      } catch (err) {
        process.stderr.write(
          `mcpre migrate: cannot read ${filename}: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exitCode = EXIT_USAGE;
        return;
      }
      const { migrateManifests } = await import('../api/migrate/migrate-documents.ts');
      const { formatEntry, formatSummary } = await import('../api/migrate/report.ts');
      const result = migrateManifests(text, {
        defaultGroup: opts.group,
        nameSuffix: opts.nameSuffix,
        stagingGroup: opts.stagingGroup,
      });
      if (!result.ok) {
        process.stderr.write(`mcpre migrate: ${result.error}\n`);
        process.exitCode = EXIT_INPUT;
        return;
      }
      const lines = [...result.entries.map(formatEntry), formatSummary(result)];
      process.stdout.write(result.output);
      process.stderr.write(`${lines.join('\n')}\n`);
      process.exitCode = 0;
    });
}

function usageError(opts: MigrateOptions): string | undefined {
  if (!opts.filename) return 'missing -f FILE (use -f - to read stdin)';
  for (const [flag, value] of [
    ['--group', opts.group],
    ['--staging-group', opts.stagingGroup],
  ] as const) {
    if (value !== undefined && (!DNS_SUBDOMAIN.test(value) || value.length > 253)) {
      return `${flag} ${JSON.stringify(value)} is not a valid MCPGroup name (lower-case letters, digits, - and .)`;
    }
  }
  if (opts.nameSuffix !== undefined && !NAME_SUFFIX.test(opts.nameSuffix)) {
    return `--name-suffix ${JSON.stringify(opts.nameSuffix)} must be lower-case letters, digits, - and ., ending in a letter or digit`;
  }
  return undefined;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// Runs one of scripts/setup-*.sh (the cached builds of helm and Jaeger) for the integration global setup and the
// benchmarks that need the same binary.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** A scripts/setup-*.sh builder: its progress goes to our stderr, the path it prints last is the result. */
export function runSetupScript(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [join(import.meta.dirname, '../../scripts', script)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last) resolve(last);
      else reject(new Error(`scripts/${script} failed (exit ${code}); its messages above say why`));
    });
  });
}

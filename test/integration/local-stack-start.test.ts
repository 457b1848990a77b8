/** `npm start` (bin/local-stack.ts) says, when it starts, that the local stack keeps everything in memory. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IN_MEMORY_NOTICE } from '../../emulator/stack.ts';

describe('npm start', () => {
  it('says that a restart loses the uploads, the records and sweeps, and the executions', async () => {
    // Arrange
    const child = spawn(process.execPath, ['bin/local-stack.ts', '--no-demo', '--aws-port', '0', '--api-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });

    try {
      // Act
      await expect.poll(() => stdout, { timeout: 60_000, interval: 100 }).toContain('Ctrl-C stops it');

      // Assert
      for (const line of IN_MEMORY_NOTICE) expect(stdout).toContain(`  ${line}\n`);
      expect(IN_MEMORY_NOTICE.join(' ')).toMatch(/uploads.*record.*sweep.*executions/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
  });
});

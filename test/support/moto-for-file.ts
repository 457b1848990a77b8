/** A test file's own moto_server (apart from workflow.ts, which the bench's processes import without vitest). */
import { afterAll, beforeAll } from 'vitest';
import { startMoto, type MotoServer } from '../../emulator/moto.ts';

/** one moto_server for the test file that calls it: started before its tests, stopped after them */
export function motoForFile(): { readonly server: MotoServer } {
  const handle = {} as { server: MotoServer };
  beforeAll(async () => {
    handle.server = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await handle.server?.stop();
  });
  return handle;
}

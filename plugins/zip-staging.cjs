'use strict';

/**
 * Local Serverless (osls) plugin: removes the directories serverless-esbuild stages each function's zip in. Its zip()
 * copies the bundle into `<tmpdir>/<function>-<pid>-<ms>-<8 hex>` and releases it with a non-recursive remove whose
 * ENOTEMPTY it swallows (serverless-esbuild 1.57.2, src/utils/effect-fs.ts safeFileRemove; floydspace/serverless-esbuild
 * pull request 589), so every package and deploy left ~4 MB per function in the temp directory (20 GB on the machine
 * that found it). Only this process's directories are removed: the pid is in the name. Once the upstream fix is
 * installed this finds nothing.
 */
const { readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** the names serverless-esbuild gives the staging directories of the process `pid` */
const stagingName = (pid) => new RegExp(`^.+-${pid}-\\d{13}-[0-9a-f]{8}$`);

/** removes the staging directories of process `pid` in `dir`; returns their names */
function removeStaging(pid = process.pid, dir = tmpdir()) {
  const pattern = stagingName(pid);
  const removed = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !pattern.test(entry.name)) continue;
    rmSync(join(dir, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}

class ZipStaging {
  constructor() {
    const clean = () => {
      removeStaging();
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': clean,
      'after:deploy:function:packageFunction': clean,
    };
    // a build that fails halfway leaves its staging too
    process.once('exit', clean);
  }
}

module.exports = ZipStaging;
module.exports.removeStaging = removeStaging;
module.exports.stagingName = stagingName;

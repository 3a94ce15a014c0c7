'use strict';

// Hash-based bytecode in the zip, compiled by the runtime's Python once the zip is complete
// (serverless-python-requirements, listed before this plugin, injects the dependencies into the
// finished zip in the same hook). bytecode.py says why it must be hash-based.
const path = require('path');
const { spawnSync } = require('child_process');

class Bytecode {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:createDeploymentArtifacts': () => this.compile() };
  }

  compile() {
    const { service, serviceDir } = this.serverless;
    const artifacts = new Set();
    if (service.package && service.package.artifact) artifacts.add(service.package.artifact);
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      if (fn.package && fn.package.artifact) artifacts.add(fn.package.artifact);
    }
    if (artifacts.size === 0) return;
    const custom = service.custom && service.custom.pythonRequirements;
    const python = (custom && custom.pythonBin) || service.provider.runtime;
    const script = path.join(__dirname, 'bytecode.py');
    const zips = [...artifacts].map((artifact) => path.resolve(serviceDir, artifact));
    const run = spawnSync(python, [script, '--runtime', service.provider.runtime, ...zips], {
      encoding: 'utf8',
    });
    if (run.error) {
      throw new this.serverless.classes.Error(
        `bytecode: cannot run ${python} (${run.error.code}): set ORDERS_PYTHON to a ` +
          `${service.provider.runtime} interpreter`
      );
    }
    if (run.status !== 0) throw new this.serverless.classes.Error(run.stderr.trim());
    this.serverless.cli.log(run.stdout.trim());
  }
}

module.exports = Bytecode;

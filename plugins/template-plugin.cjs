'use strict';

/**
 * The shape both of this project's Serverless plugins share: read `custom.<key>` and refuse a bad one before anything is
 * built ('before:package:initialize'), then change the compiled CloudFormation template once the framework has merged
 * resources.Resources and resources.extensions ('after:aws:package:finalize:mergeCustomProviderResources'), before it
 * is saved. Errors reach the user as the framework's errors, with the plugin's code.
 */
function templatePlugin({ customKey, parse, addToTemplate, errorCode }) {
  return class {
    constructor(serverless) {
      this.serverless = serverless;
      this.hooks = {
        'before:package:initialize': () => {
          this.options();
        },
        'after:aws:package:finalize:mergeCustomProviderResources': () => this.apply(),
      };
    }

    options() {
      try {
        return parse(this.serverless.service.custom?.[customKey]);
      } catch (error) {
        throw new this.serverless.classes.Error(error.message, `${errorCode}_INVALID_OPTIONS`);
      }
    }

    apply() {
      const options = this.options();
      const template = this.serverless.service.provider.compiledCloudFormationTemplate;
      const stack = { service: this.serverless.service.service, stage: this.serverless.getProvider('aws').getStage() };
      try {
        addToTemplate(template, options, stack);
      } catch (error) {
        throw new this.serverless.classes.Error(error.message, `${errorCode}_TEMPLATE`);
      }
    }
  };
}

module.exports = { templatePlugin };

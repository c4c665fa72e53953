// The baseline of the synth benchmark: the smallest app CloudFormation accepts, one stack with
// one no-op resource (a template needs at least one resource, and synthesis validates that).
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';

/** Adds the benchmark's baseline stack to an app. */
export function buildEmptyApp(app: App = new App()): App {
  new CfnWaitConditionHandle(new Stack(app, 'Empty'), 'Nothing');
  return app;
}

if (require.main === module) {
  buildEmptyApp().synth();
}

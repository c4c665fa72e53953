// The baseline of the synth benchmark: an empty CDK app with one empty stack.
import { App, Stack } from 'aws-cdk-lib';

const app = new App();
new Stack(app, 'Empty');
app.synth();

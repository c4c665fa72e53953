import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MlInterfaceEndpoint, MlNetwork } from '../../lib';
import { expectNoFindings, testApp, testStack } from '../harness';

describe('MlNetwork defaults', () => {
  const stack = testStack();
  const network = new MlNetwork(stack, 'Network');
  const template = Template.fromStack(stack);

  test('a VPC over two AZs with isolated subnets only: no NAT, no internet gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  test('an S3 gateway endpoint and no interface endpoints (no idle endpoint cost)', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });

  test('flow logs of all traffic go to a KMS-encrypted log group kept a year, delivered by a role without inline policy', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudWatchLogsOfThisAccount',
        Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } },
      })]) },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^NetworkFlowLogRole') }],
    });
  });

  test('the job security group allows TCP among members and HTTPS out only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'ML jobs: TCP among members, HTTPS to S3 and to the VPC endpoints only',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 0, ToPort: 65535,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkJobSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkJobSecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkEndpointSecurityGroup'), 'GroupId'] },
    });
    expect(network.vpcSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
  });

  test('has no unacknowledged cdk-nag or CloudFormation Validate finding, with every private-platform endpoint', () => {
    const app = testApp();
    new MlNetwork(new Stack(app, 'NetworkStack'), 'Network', { interfaceEndpoints: MlInterfaceEndpoint.ALL_FOR_PRIVATE_PLATFORM });
    expectNoFindings(app);
  });
});

describe('MlNetwork options', () => {
  test('interface endpoints use private DNS, the endpoint group and are added once', () => {
    const stack = testStack();
    const network = new MlNetwork(stack, 'Network', { interfaceEndpoints: [MlInterfaceEndpoint.SAGEMAKER_API, MlInterfaceEndpoint.STS] });
    const again = network.addInterfaceEndpoint(MlInterfaceEndpoint.STS);
    expect(network.interfaceEndpoints).toHaveLength(2);
    expect(network.interfaceEndpoints).toContain(again);
    network.addInterfaceEndpoint(MlInterfaceEndpoint.of('Sns', ec2.InterfaceVpcEndpointAwsService.SNS));
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 3);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.sagemaker.api']] },
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkEndpointSecurityGroup'), 'GroupId'] }],
    });
    expect(MlInterfaceEndpoint.ALL_FOR_PRIVATE_PLATFORM).toHaveLength(10);
  });

  test('the Firehose endpoint (inference capture from isolated subnets) is one line, outside the all-private list', () => {
    const stack = testStack();
    new MlNetwork(stack, 'Network', { interfaceEndpoints: [MlInterfaceEndpoint.FIREHOSE] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.kinesis-firehose']] },
    });
    expect(MlInterfaceEndpoint.ALL_FOR_PRIVATE_PLATFORM).not.toContain(MlInterfaceEndpoint.FIREHOSE);
  });

  test('bring your own VPC: no VPC, flow log or gateway endpoint is created', () => {
    const stack = new Stack(testApp(), 'Own');
    const vpc = new ec2.Vpc(stack, 'Existing', { natGateways: 1, maxAzs: 2 });
    const network = new MlNetwork(stack, 'Network', { vpc });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(network.vpc).toBe(vpc);
    expect(network.vpcSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    expect(network.flowLogGroup).toBeUndefined();
  });

  test('maxAzs sets the subnet count', () => {
    const stack = new Stack(testApp(), 'Azs', { env: { account: '111111111111', region: 'eu-west-1' } });
    new MlNetwork(stack, 'Network', { maxAzs: 3 });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::Subnet', 3);
  });

  test('fails when maxAzs is out of range', () => {
    expect(() => new MlNetwork(testStack(), 'Network', { maxAzs: 0 })).toThrow(
      'Invalid MlNetworkProps.maxAzs: received 0. It must be a whole number from 1 to 6.');
  });

  test('fails when your VPC has only public subnets', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Public', { subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(() => new MlNetwork(stack, 'Network', { vpc })).toThrow(
      /Invalid MlNetworkProps.vpc: received .*\. The VPC has no private or isolated subnets; ML jobs must not run in public subnets/);
  });
});

describe('MlNetwork availabilityZones', () => {
  const account = '111111111111';
  const lookupKey = (region: string) => `availability-zones:account=${account}:region=${region}`;

  test('a stack with a concrete account and region needs no Availability Zone lookup', () => {
    const app = testApp();
    const stack = new Stack(app, 'Azs', { env: { account, region: 'eu-west-1' } });
    const network = new MlNetwork(stack, 'Network', { availabilityZones: ['eu-west-1b', 'eu-west-1c'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1b' });
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1c' });
    expect(network.vpc.availabilityZones).toEqual(['eu-west-1b', 'eu-west-1c']);
    expect(app.synth().manifest.missing).toBeUndefined();
    // The stack's own zones are the lookup again once the network is built.
    expect(stack.availabilityZones).toEqual(['dummy1a', 'dummy1b', 'dummy1c']);
  });

  test('literal zones are acknowledged (CloudFormation Validate W3010, as CDK does for looked-up zones): no unacknowledged finding', () => {
    const app = testApp();
    new MlNetwork(new Stack(app, 'Azs', { env: { account, region: 'eu-west-1' } }), 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    expectNoFindings(app);
  });

  test('without them the same stack asks the CLI to look its zones up', () => {
    const app = testApp();
    const stack = new Stack(app, 'Azs', { env: { account, region: 'eu-west-1' } });
    new MlNetwork(stack, 'Network');
    expect(app.synth().manifest.missing?.map(m => m.key)).toEqual([lookupKey('eu-west-1')]);
  });

  test('zones cdk.context.json holds are accepted', () => {
    const stack = new Stack(testApp({ context: { [lookupKey('eu-west-1')]: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } }), 'Azs',
      { env: { account, region: 'eu-west-1' } });
    new MlNetwork(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1c'] });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::Subnet', 2);
  });

  test('fails when a zone is not among those cdk.context.json holds for the account', () => {
    const stack = new Stack(testApp({ context: { [lookupKey('eu-west-1')]: ['eu-west-1a', 'eu-west-1b'] } }), 'Azs',
      { env: { account, region: 'eu-west-1' } });
    expect(() => new MlNetwork(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1c'] })).toThrow(
      'Invalid MlNetworkProps.availabilityZones: received [\'eu-west-1a\', \'eu-west-1c\']. The account\'s zones in that region (cdk.context.json) are eu-west-1a, eu-west-1b; eu-west-1c is not among them.');
  });

  test('fails when a zone is of another region', () => {
    const stack = new Stack(testApp(), 'Azs', { env: { account, region: 'eu-west-1' } });
    expect(() => new MlNetwork(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-2a'] })).toThrow(
      'Invalid MlNetworkProps.availabilityZones: received [\'eu-west-1a\', \'eu-west-2a\']. \'eu-west-2a\' is not a zone of the stack\'s region \'eu-west-1\'.');
    expect(() => new MlNetwork(stack, 'Network2', { availabilityZones: ['us-east-1a', 'us-east-10a'] })).toThrow(/is not a zone of the stack's region/);
  });

  test('fails when a zone is not a zone name, repeats, or there are none or more than 6', () => {
    const stack = new Stack(testApp(), 'Azs', { env: { account, region: 'us-east-1' } });
    expect(() => new MlNetwork(stack, 'A', { availabilityZones: ['use1-az1'] })).toThrow(
      'Invalid MlNetworkProps.availabilityZones: received [\'use1-az1\']. \'use1-az1\' is not an Availability Zone name (e.g. \'eu-west-1a\').');
    expect(() => new MlNetwork(stack, 'B', { availabilityZones: ['us-east-1a', 'us-east-1a'] })).toThrow('Each Availability Zone may appear once.');
    expect(() => new MlNetwork(stack, 'C', { availabilityZones: [] })).toThrow('Give 1 to 6 Availability Zones.');
    expect(() => new MlNetwork(stack, 'D', { availabilityZones: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(z => `us-east-1${z}`) }))
      .toThrow('Give 1 to 6 Availability Zones.');
    // A Local Zone of the region is a zone name too.
    new MlNetwork(stack, 'E', { availabilityZones: ['us-east-1-bos-1a'] });
  });

  test('fails with maxAzs or with your own VPC', () => {
    const stack = new Stack(testApp(), 'Azs', { env: { account, region: 'eu-west-1' } });
    expect(() => new MlNetwork(stack, 'A', { availabilityZones: ['eu-west-1a'], maxAzs: 2 })).toThrow(
      'Invalid MlNetworkProps.availabilityZones: received [\'eu-west-1a\']. Give either availabilityZones or maxAzs (2), not both.');
    const vpc = new ec2.Vpc(stack, 'Own', { availabilityZones: ['eu-west-1a'], natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => new MlNetwork(stack, 'B', { vpc, availabilityZones: ['eu-west-1a'] })).toThrow(
      /Invalid MlNetworkProps.availabilityZones: .*It configures the new VPC; with your own vpc, leave it out/);
  });

  test('in an environment-agnostic stack, literal zones warn that the template is tied to their region', () => {
    const stack = testStack();
    new MlNetwork(stack, 'Network', { availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    Annotations.fromStack(stack).hasWarning('/TestStack/Network',
      Match.stringLikeRegexp('names zones \\(eu-west-1a, eu-west-1b\\) but the stack has no concrete region'));
  });
});

import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
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

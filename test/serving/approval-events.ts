// Real approval events and a matcher for the rules' event patterns, shared by the serving tests.

/**
 * The model package state change sample of the SageMaker Developer Guide ("Events that Amazon
 * SageMaker AI sends to Amazon EventBridge", section "Model package state change";
 * awsdocs/amazon-sagemaker-developer-guide, doc_source/automating-sagemaker-with-eventbridge.md),
 * verbatim except that the page's stray second `"source": ["aws.sagemaker"]` line (an event
 * pattern fragment; as JSON it would replace the string) is left out. It is a rejection.
 */
export const AWS_DOCS_SAMPLE = {
  'version': '0',
  'id': '844e2571-85d4-695f-b930-0153b71dcb42',
  'detail-type': 'SageMaker Model Package State Change',
  'source': 'aws.sagemaker',
  'account': '123456789012',
  'time': '2021-02-24T17:00:14Z',
  'region': 'us-east-2',
  'resources': ['arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2'],
  'detail': {
    ModelPackageGroupName: 'versionedmp-p-idy6c3e1fiqj',
    ModelPackageVersion: 2,
    ModelPackageArn: 'arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2',
    CreationTime: '2021-02-24T17:00:14Z',
    InferenceSpecification: {
      Containers: [{
        Image: '257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3',
        ImageDigest: 'sha256:4dc8a7e4a010a19bb9e0a6b063f355393f6e623603361bd8b105f554d4f0c004',
        ModelDataUrl: 's3://sagemaker-project-p-idy6c3e1fiqj/versionedmp-p-idy6c3e1fiqj/AbaloneTrain/pipelines-4r83jejmhorv-TrainAbaloneModel-xw869y8C4a/output/model.tar.gz',
      }],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['text/csv'],
    },
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    CertifyForMarketplace: false,
    ModelApprovalStatus: 'Rejected',
    MetadataProperties: { GeneratedBy: 'arn:aws:sagemaker:us-east-2:123456789012:pipeline/versionedmp-p-idy6c3e1fiqj/execution/4r83jejmhorv' },
    ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://sagemaker-project-p-idy6c3e1fiqj/versionedmp-p-idy6c3e1fiqj/script-2021-02-24-10-55-15-413/output/evaluation/evaluation.json' } } },
    LastModifiedTime: '2021-02-24T17:00:14Z',
  },
};

/** The same event as an approval (what SageMaker sends when the version is approved). */
export const APPROVED_SAMPLE = { ...AWS_DOCS_SAMPLE, detail: { ...AWS_DOCS_SAMPLE.detail, ModelApprovalStatus: 'Approved' } };

/**
 * EventBridge content matching for the pattern subset rules use here: a field's array lists
 * the values that match; an object nests (EventBridge User Guide, "Event patterns").
 */
export function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some(value => value === event);
  }
  if (pattern && typeof pattern === 'object') {
    if (!event || typeof event !== 'object') {
      return false;
    }
    return Object.entries(pattern as Record<string, unknown>).every(([k, v]) => matches(v, (event as Record<string, unknown>)[k]));
  }
  throw new Error(`unsupported pattern ${JSON.stringify(pattern)}`);
}

import { DefaultLogger, Runtime } from '@temporalio/worker';

// Keep test output to what matters: Temporal's worker at WARN, and the AWS SDK's notice about
// Node 20 (this machine's Node) said once in the README instead of in every test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this jest worker process by an earlier test file.
}

// The worker's workflow bundle entry point.
export { incidentWorkflow } from './incident';
export { identificationWorkflow } from './identification';
export { hygieneWorkflow } from './hygiene';
export { rotationWorkflow } from './rotation';

/**
 * Where a model's new versions go when its stage changes (policy.deploy.targets). Each entry names a
 * target of targets/registry.ts; every stage change tells every target, in order, inside the same
 * durable workflow step.
 */
import { z } from 'zod';

const driftloopTarget = z.object({ type: z.literal('driftloop') }).strict();

const modelRepositoryTarget = z
  .object({
    type: z.literal('model-repository'),
    /** Repository root: `<path>/<model>/<version>/model.onnx`, `config.pbtxt`, `traffic.json`. */
    path: z.string().min(1),
    /** The model's directory name in the repository (default: the model's name). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .optional(),
    /** Versions kept besides the live ones (production, canary, shadow); older ones are removed. */
    keepVersions: z.number().int().min(0).default(2),
  })
  .strict();

const mlflowTarget = z
  .object({
    type: z.literal('mlflow'),
    /** MLflow tracking server base URL (the Model Registry REST API lives there). */
    trackingUri: z.url(),
    /** Registered model name (default: the model's name). */
    registeredModel: z.string().min(1).optional(),
    experiment: z.string().min(1).default('driftloop'),
    championAlias: z.string().min(1).default('champion'),
    challengerAlias: z.string().min(1).default('challenger'),
  })
  .strict();

const webhookTarget = z
  .object({
    type: z.literal('webhook'),
    url: z.url(),
    /** Environment variable holding the HMAC secret the body is signed with. */
    secretEnv: z.string().min(1).default('DRIFTLOOP_DEPLOY_WEBHOOK_SECRET'),
    timeoutSeconds: z.number().positive().default(10),
  })
  .strict();

export const deploymentTargetSchema = z.discriminatedUnion('type', [
  driftloopTarget,
  modelRepositoryTarget,
  mlflowTarget,
  webhookTarget,
]);
export type DeploymentTargetConfig = z.infer<typeof deploymentTargetSchema>;
export type DeploymentTargetType = DeploymentTargetConfig['type'];

export const deployPolicySchema = z
  .object({
    targets: z
      .array(deploymentTargetSchema)
      .min(1)
      .default([{ type: 'driftloop' }]),
  })
  .strict()
  .prefault({});

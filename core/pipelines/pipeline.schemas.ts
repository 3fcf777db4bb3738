import { z } from 'zod';

/** Bounds of what a pipeline takes from its requester and from the LLM (all of it hostile until checked). */
export const PIPELINE_LIMITS = {
  requirementsChars: 20_000,
  files: 40,
  fileBytes: 200_000,
  totalBytes: 1_000_000,
  pathChars: 200,
} as const;

const shortText = (max: number) => z.string().trim().min(1).max(max);

/** What the project is and where its tool steps write (each key optional: a step without its key is skipped). */
export const ProjectSchema = z.strictObject({
  name: shortText(100),
  description: z.string().max(4000).optional(),
  /** Jira project the plan's epic is filed in. */
  jiraProjectKey: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,9}$/)
    .optional(),
  /** Confluence space the plan's page is written to. */
  confluenceSpaceKey: z
    .string()
    .regex(/^~?[A-Za-z0-9_-]{1,255}$/)
    .optional(),
  /** Slack channel the plan and the outcome are posted to. */
  slackChannel: z.string().min(1).max(80).optional(),
  /** The language or stack the code stage writes in. */
  language: z.string().max(100).optional(),
});
export type Project = z.infer<typeof ProjectSchema>;

const capabilityName = z.string().min(1).max(100);

export const DeployTargetSchema = z.strictObject({
  capability: capabilityName,
  /**
   * The tool input. String values may hold {{path}}, {{content}}, {{pipelineId}} and {{summary}}; with
   * {{path}} or {{content}} the capability is invoked once per generated file, else once.
   */
  input: z.record(z.string(), z.unknown()).optional(),
});

export const CreatePipelineSchema = z.strictObject({
  agentId: z.uuid(),
  requirements: z.string().trim().min(1).max(PIPELINE_LIMITS.requirementsChars),
  project: ProjectSchema,
  deployTarget: DeployTargetSchema.optional(),
  /** A sandbox of the agent: every step whose capability's server fronts its target runs there. */
  sandboxId: z.uuid().optional(),
  /** More sandboxes, one per target (emulated Jira, mock Slack, moto for S3…). */
  sandboxIds: z.array(z.uuid()).max(10).optional(),
  /** Capability names per tool step, instead of the ones found by the integration tool they bind. */
  capabilities: z
    .strictObject({
      jira_epic: capabilityName.optional(),
      confluence_page: capabilityName.optional(),
      slack_plan: capabilityName.optional(),
      notify: capabilityName.optional(),
    })
    .optional(),
});
export type CreatePipeline = z.infer<typeof CreatePipelineSchema>;

/** The plan stage's structured output. */
export const PlanSchema = z.object({
  title: shortText(200),
  summary: shortText(4000),
  milestones: z
    .array(z.object({ name: shortText(200), description: z.string().max(2000) }))
    .min(1)
    .max(20),
  risks: z.array(z.string().max(500)).max(20).default([]),
});
export type Plan = z.infer<typeof PlanSchema>;

/** The architect stage's structured output. */
export const DesignSchema = z.object({
  summary: shortText(4000),
  components: z
    .array(z.object({ name: shortText(200), responsibility: z.string().max(2000) }))
    .min(1)
    .max(30),
  files: z
    .array(z.object({ path: shortText(PIPELINE_LIMITS.pathChars), purpose: z.string().max(1000) }))
    .max(PIPELINE_LIMITS.files),
});
export type Design = z.infer<typeof DesignSchema>;

/** The code stage's structured output: files, bounded in count and size (paths are checked after). */
export const CodeSchema = z.object({
  files: z
    .array(
      z.object({
        path: z.string().min(1).max(PIPELINE_LIMITS.pathChars),
        content: z.string().max(PIPELINE_LIMITS.fileBytes),
      }),
    )
    .min(1)
    .max(PIPELINE_LIMITS.files),
});
export type Code = z.infer<typeof CodeSchema>;

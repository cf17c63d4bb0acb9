"""Built-in checks: ML platform and infrastructure read statically (MLC800-MLC859).

Terraform/OpenTofu, CloudFormation, Kubernetes manifests, compose files and Dockerfiles are
parsed with maintained parsers (python-hcl2, PyYAML, dockerfile-parse); what cannot be parsed or
evaluated (a broken file, an unrendered Helm template, a module from outside the project) is a
named gap, never a pass. Storage: public access (MLC800), encryption at rest (MLC801),
customer-managed keys for weight locations (MLC802), object-level access logging (MLC803);
workloads: credentials from secret references or workload identity (MLC810), static credential
rotation (MLC811), read-only model store (MLC812), default-deny serving egress (MLC813),
namespace default deny (MLC814), training separated from serving (MLC816);
training egress (MLC815); environments in separate accounts (MLC820); delivery: enforcing
signed-image admission (MLC825), progressive rollout with automated analysis and rollback
(MLC826); ML platform component versions against advisories (MLC835); monitoring: Prometheus
drift alerts (MLC840) and availability/cost alerts (MLC841) with promtool replay tests in CI.
"""
